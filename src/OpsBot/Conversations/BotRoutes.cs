using System.Text.Json.Nodes;
using OpsBot.BotFramework.Schema;

namespace OpsBot.Conversations;

public delegate Task CommandHandler(BotTurn turn, string args, CancellationToken ct);
public delegate Task<InvokeResponse> VerbHandler(BotTurn turn, JsonObject data, CancellationToken ct);
public delegate Task<InvokeResponse> InvokeHandler(BotTurn turn, JsonObject value, CancellationToken ct);
public delegate Task<IReadOnlyList<SearchResult>> SearchHandler(BotTurn turn, string queryText, int skip, int top, CancellationToken ct);

/// <summary>One choice of a typeahead search answer: what the user sees and the value the input submits.</summary>
public sealed record SearchResult(string Title, string Value);

/// <summary>
/// The declarative route table features register with, e.g. in <c>AddCommitments()</c>:
/// <c>services.AddBotRoutes(r =&gt; r.Command&lt;CommitmentHandlers&gt;("commit", "Capture a commitment", (h, t, a, ct) =&gt; h.StartAsync(t, a, ct)));</c>
/// </summary>
public sealed class BotRoutes
{
    private readonly List<CommandRoute> _commands = [];
    private readonly Dictionary<string, VerbHandler> _verbs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, (InvokeHandler Fetch, InvokeHandler Submit)> _messageActions = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SearchHandler> _searches = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<CommandRoute> Commands => _commands;

    public IEnumerable<string> Verbs => _verbs.Keys;

    /// <summary>A text command: one or more words, matched case-insensitively by longest prefix. The rest of the text is the argument.</summary>
    public BotRoutes Command(string name, string description, CommandHandler handler, string? usage = null, bool hidden = false)
    {
        var words = Split(name);
        if (_commands.Any(c => c.Words.SequenceEqual(words, StringComparer.OrdinalIgnoreCase)))
            throw new InvalidOperationException($"Command '{name}' is registered twice.");
        _commands.Add(new CommandRoute(words, description, usage ?? name, hidden, handler));
        return this;
    }

    public BotRoutes Command<THandler>(string name, string description, Func<THandler, BotTurn, string, CancellationToken, Task> handler, string? usage = null, bool hidden = false)
        where THandler : notnull =>
        Command(name, description, (turn, args, ct) => handler(turn.GetService<THandler>(), turn, args, ct), usage, hidden);

    /// <summary>An <c>Action.Execute</c> verb (also reached by an <c>Action.Submit</c> whose data carries <c>verb</c>).</summary>
    public BotRoutes Verb(string verb, VerbHandler handler)
    {
        if (!_verbs.TryAdd(verb, handler)) throw new InvalidOperationException($"Verb '{verb}' is registered twice.");
        return this;
    }

    public BotRoutes Verb<THandler>(string verb, Func<THandler, BotTurn, JsonObject, CancellationToken, Task<InvokeResponse>> handler)
        where THandler : notnull =>
        Verb(verb, (turn, data, ct) => handler(turn.GetService<THandler>(), turn, data, ct));

    /// <summary>A message-extension action command (<c>composeExtension/fetchTask</c> and <c>/submitAction</c>).</summary>
    public BotRoutes MessageAction(string commandId, InvokeHandler fetchTask, InvokeHandler submitAction)
    {
        if (!_messageActions.TryAdd(commandId, (fetchTask, submitAction)))
            throw new InvalidOperationException($"Message action '{commandId}' is registered twice.");
        return this;
    }

    /// <summary>
    /// A dataset for Teams typeahead search: an <c>Input.ChoiceSet</c> whose <c>choices.data</c> is
    /// <c>{"type":"Data.Query","dataset":"…"}</c> asks the bot with an <c>application/search</c> invoke as the user types.
    /// </summary>
    public BotRoutes Search(string dataset, SearchHandler handler)
    {
        if (!_searches.TryAdd(dataset, handler)) throw new InvalidOperationException($"Search dataset '{dataset}' is registered twice.");
        return this;
    }

    public BotRoutes Search<THandler>(string dataset, Func<THandler, BotTurn, string, int, int, CancellationToken, Task<IReadOnlyList<SearchResult>>> handler)
        where THandler : notnull =>
        Search(dataset, (turn, q, skip, top, ct) => handler(turn.GetService<THandler>(), turn, q, skip, top, ct));

    public SearchHandler? FindSearch(string dataset) => _searches.GetValueOrDefault(dataset);

    public VerbHandler? FindVerb(string verb) => _verbs.GetValueOrDefault(verb);

    public (InvokeHandler Fetch, InvokeHandler Submit)? FindMessageAction(string commandId) =>
        _messageActions.TryGetValue(commandId, out var h) ? h : null;

    /// <summary>The command whose words are the longest prefix of <paramref name="text"/>, and the remaining argument text.</summary>
    public (CommandRoute Route, string Args)? MatchCommand(string text)
    {
        var words = Split(text);
        CommandRoute? best = null;
        foreach (var c in _commands)
        {
            if (c.Words.Length > words.Length || (best is not null && c.Words.Length <= best.Words.Length)) continue;
            if (c.Words.Select((w, i) => string.Equals(w, words[i], StringComparison.OrdinalIgnoreCase)).All(x => x)) best = c;
        }
        if (best is null) return null;
        var args = string.Join(' ', words.Skip(best.Words.Length));
        return (best, args);
    }

    private static string[] Split(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public sealed record CommandRoute(string[] Words, string Description, string Usage, bool Hidden, CommandHandler Handler)
{
    public string Name => string.Join(' ', Words);
}

public static class BotRoutesExtensions
{
    /// <summary>Adds routes to the bot. Call from a feature's <c>AddXxx</c> extension.</summary>
    public static IServiceCollection AddBotRoutes(this IServiceCollection services, Action<BotRoutes> configure) =>
        services.Configure(configure);
}
