using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;
using OpsBot.Data;

namespace OpsBot.Conversations;

/// <summary>OpsBot's <see cref="IBot"/>: turns an activity into a call to the feature handler registered for it.</summary>
public sealed partial class BotRouter(IOptions<BotRoutes> routes, IServiceProvider services, CardTemplates cards, TimeProvider time, ILogger<BotRouter> log) : IBot
{

    private static readonly HashSet<string?> KnownTypes =
    [
        ActivityTypes.Message, ActivityTypes.Invoke, ActivityTypes.ConversationUpdate, ActivityTypes.InstallationUpdate, ActivityTypes.Event,
        ActivityTypes.Typing, ActivityTypes.MessageReaction, ActivityTypes.MessageUpdate, ActivityTypes.MessageDelete,
    ];

    private readonly BotRoutes _routes = routes.Value;

    public async Task OnTurnAsync(TurnContext context, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        using var span = BotTelemetry.ActivitySource.StartActivity("bot.turn");
        span?.SetTag("bot.activity.type", context.Activity.Type);
        span?.SetTag("bot.activity.name", context.Activity.Name);
        span?.SetTag("bot.conversation.type", context.Activity.Conversation?.ConversationType);
        try
        {
            await RunTurnAsync(context, ct);
        }
        finally
        {
            var type = new KeyValuePair<string, object?>("activity.type", KnownTypes.Contains(context.Activity.Type) ? context.Activity.Type : "other");
            BotTelemetry.Turns.Add(1, type);
            BotTelemetry.TurnDuration.Record(time.GetElapsedTime(started).TotalSeconds, type);
        }
    }

    private async Task RunTurnAsync(TurnContext context, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var turn = new BotTurn(context, scope.ServiceProvider, cards);
        var welcome = await CaptureReferenceAsync(turn, ct);
        await FirstRunAsync(turn, ct);
        switch (context.Activity.Type)
        {
            case ActivityTypes.Message:
                await OnMessageAsync(turn, ct);
                break;
            case ActivityTypes.Invoke:
                context.InvokeResponse = await OnInvokeAsync(turn, ct);
                break;
            case ActivityTypes.InstallationUpdate or ActivityTypes.ConversationUpdate when welcome:
                await SendWelcomeAsync(turn, ct);
                break;
        }
    }

    /// <summary>
    /// Every activity refreshes its conversation reference; install/uninstall (or the bot added/removed) switch it on/off.
    /// An unavailable store ends the turn here (and in the handlers below) instead of an error card: the activity is answered
    /// 503 and redelivered.
    /// </summary>
    private async Task<bool> CaptureReferenceAsync(BotTurn turn, CancellationToken ct)
    {
        try
        {
            return await turn.GetService<ConversationReferences>().CaptureAsync(turn.Activity, ReferenceEventOf(turn.Activity), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !StoreErrors.IsUnavailable(ex))
        {
            LogReferenceFailed(ex, turn.Activity.Type, turn.Activity.Id);
            return false;
        }
    }

    /// <summary>The installer may become the first admin; in Development the first person becomes the demo's person.</summary>
    private async Task FirstRunAsync(BotTurn turn, CancellationToken ct)
    {
        try
        {
            await turn.GetService<Setup.FirstRun>().OnTurnAsync(turn.UserId, turn.UserAadObjectId, turn.Activity.From?.Name, turn.TenantId,
                ReferenceEventOf(turn.Activity) == ReferenceEvent.Installed, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !StoreErrors.IsUnavailable(ex))
        {
            LogHandlerFailed(ex, "first run", turn.Activity.Id);
        }
    }

    internal static ReferenceEvent ReferenceEventOf(Activity a)
    {
        var botId = a.Recipient?.Id;
        return a.Type switch
        {
            ActivityTypes.InstallationUpdate => a.Action switch
            {
                "add" or "add-upgrade" => ReferenceEvent.Installed,
                "remove" or "remove-upgrade" => ReferenceEvent.Uninstalled,
                _ => ReferenceEvent.Seen,
            },
            ActivityTypes.ConversationUpdate when botId is not null && a.MembersAdded?.Any(m => m.Id == botId) == true => ReferenceEvent.Installed,
            ActivityTypes.ConversationUpdate when botId is not null && a.MembersRemoved?.Any(m => m.Id == botId) == true => ReferenceEvent.Uninstalled,
            _ => ReferenceEvent.Seen,
        };
    }

    private async Task SendWelcomeAsync(BotTurn turn, CancellationToken ct)
    {
        try
        {
            var name = string.IsNullOrWhiteSpace(turn.Activity.From?.Name) ? "there" : turn.Activity.From.Name;
            await turn.SendCardAsync("welcome", new WelcomeCardModel(name, HelpHandlers.VisibleCommands(_routes)), "Welcome to OpsBot", ct);
        }
        catch (ConnectorException ex) when (ex.Code == ConnectorException.UntrustedServiceUrlCode)
        {
            // The connector client logged the refusal.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHandlerFailed(ex, "welcome", turn.Activity.Id);
        }
    }

    private async Task OnMessageAsync(BotTurn turn, CancellationToken ct)
    {
        try
        {
            if (CardValue(turn.Activity.Value) is { } data && data["verb"] is JsonValue v && v.TryGetValue<string>(out var verb))
            {
                if (NulField(data) is { } field)
                {
                    await turn.SendTextAsync(NulAnswer(field), ct);
                    return;
                }
                await OnSubmitAsync(turn, verb, data, ct);
                return;
            }
            var text = CommandText.Normalize(turn.Activity);
            if (_routes.MatchCommand(text) is { } match)
                await match.Route.Handler(turn, match.Args, ct);
            else
                await HelpHandlers.SendHelpAsync(turn, _routes, text, ct);
        }
        catch (ConnectorException ex) when (ex.Code == ConnectorException.UntrustedServiceUrlCode)
        {
            // The connector client logged the refusal; an error card would be refused the same way.
        }
        catch (Exception ex) when (StoreLimits.Refusal(ex) is { } refusal)
        {
            LogValueRefused(turn.Activity.Type, refusal.Field);
            await turn.SendTextAsync(refusal.Message, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !StoreErrors.IsUnavailable(ex))
        {
            LogHandlerFailed(ex, turn.Activity.Type, turn.Activity.Id);
            await turn.SendCardAsync("error", ErrorCardModel.Unexpected(turn.Activity.Id), ct: ct);
        }
    }

    /// <summary>An <c>Action.Submit</c>: the same verb handler as Execute; a returned card replaces the clicked one.</summary>
    private async Task OnSubmitAsync(BotTurn turn, string verb, JsonObject data, CancellationToken ct)
    {
        var handler = _routes.FindVerb(verb);
        if (handler is null)
        {
            await HelpHandlers.SendHelpAsync(turn, _routes, verb, ct);
            return;
        }
        var result = await handler(turn, data, ct);
        if (result.Body is not JsonObject body) return;
        if (body["type"]?.GetValue<string>() == AdaptiveCardInvoke.CardType && body["value"] is JsonObject card)
        {
            var update = new Activity { Type = ActivityTypes.Message, Attachments = [Attachment.AdaptiveCard((JsonObject)card.DeepClone())] };
            if (turn.Activity.ReplyToId is { } cardId && !turn.Context.ExpectReplies)
            {
                update.Id = cardId;
                await turn.Context.UpdateActivityAsync(update, ct);
            }
            else await turn.Context.SendActivityAsync(update, ct);
        }
        else if (body["value"] is JsonValue v && v.TryGetValue<string>(out var text)) await turn.SendTextAsync(text, ct);
        else if (body["value"]?["message"]?.GetValue<string>() is { } message) await turn.SendTextAsync(message, ct);
    }

    private async Task<InvokeResponse?> OnInvokeAsync(BotTurn turn, CancellationToken ct)
    {
        var value = CardValue(turn.Activity.Value);
        if (NulField(value) is { } field) return Refused(turn, NulAnswer(field));
        try
        {
            switch (turn.Activity.Name)
            {
                case "adaptiveCard/action":
                    return await OnCardActionAsync(turn, value, ct);
                case "application/search":
                    return await OnSearchAsync(turn, value, ct);
                case "composeExtension/fetchTask" or "composeExtension/submitAction":
                    var commandId = value?["commandId"]?.GetValue<string>();
                    if (value is null || commandId is null || _routes.FindMessageAction(commandId) is not { } action) return null;
                    return turn.Activity.Name.EndsWith("fetchTask", StringComparison.Ordinal)
                        ? await action.Fetch(turn, value, ct)
                        : await action.Submit(turn, value, ct);
                default:
                    return null;
            }
        }
        catch (Exception ex) when (StoreLimits.Refusal(ex) is { } refusal)
        {
            LogValueRefused(turn.Activity.Name, refusal.Field);
            return Refused(turn, refusal.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !StoreErrors.IsUnavailable(ex))
        {
            LogHandlerFailed(ex, turn.Activity.Name, turn.Activity.Id);
            return AdaptiveCardInvoke.Error(500, "InternalError", "Something went wrong on our side. The team has the details; please try again.");
        }
    }

    /// <summary>Maximum choices per answer: Teams shows at most 15 in the dropdown.</summary>
    public const int MaxSearchResults = 15;

    /// <summary>
    /// Typeahead (<c>application/search</c>): <c>value.dataset</c> names the registered search, <c>value.queryText</c> is what the
    /// user typed, <c>value.queryOptions</c> pages (<c>skip</c>, <c>top</c>). Answers a <c>searchResponse</c> with title/value choices.
    /// </summary>
    private async Task<InvokeResponse> OnSearchAsync(BotTurn turn, JsonObject? value, CancellationToken ct)
    {
        if (value is null) return AdaptiveCardInvoke.BadRequest("BadRequest", "Missing value property for the search.");
        var dataset = value["dataset"] is JsonValue d && d.TryGetValue<string>(out var ds) ? ds : null;
        if (dataset is null || _routes.FindSearch(dataset) is not { } search)
            return AdaptiveCardInvoke.BadRequest("BadRequest", $"OpsBot has no search dataset '{dataset}'. The card may be out of date.");
        var query = value["queryText"] is JsonValue q && q.TryGetValue<string>(out var text) ? text : "";
        if (query.Length > 200) return AdaptiveCardInvoke.BadRequest("BadRequest", "The search text is longer than 200 characters.");
        var options = value["queryOptions"] as JsonObject;
        var skip = Math.Max(0, Int(options?["skip"]) ?? 0);
        var top = Math.Clamp(Int(options?["top"]) ?? MaxSearchResults, 1, MaxSearchResults);
        var results = await search(turn, query, skip, top, ct);
        var items = new JsonArray();
        foreach (var r in results) items.Add(new JsonObject { ["title"] = r.Title, ["value"] = r.Value });
        return new InvokeResponse(200, new JsonObject
        {
            ["type"] = "application/vnd.microsoft.search.searchResponse",
            ["value"] = new JsonObject { ["results"] = items },
        });

        static int? Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
    }

    private async Task<InvokeResponse> OnCardActionAsync(BotTurn turn, JsonObject? value, CancellationToken ct)
    {
        if (value is null) return AdaptiveCardInvoke.BadRequest("BadRequest", "Missing value property for the card action.");
        if (value["action"] is not JsonObject action) return AdaptiveCardInvoke.BadRequest("BadRequest", "Missing action property.");
        if (action["type"]?.GetValue<string>() != "Action.Execute")
            return AdaptiveCardInvoke.BadRequest("NotSupported", $"The action '{action["type"]}' is not supported.");
        var verb = action["verb"]?.GetValue<string>() ?? string.Empty;
        if (_routes.FindVerb(verb) is not { } handler)
            return AdaptiveCardInvoke.Error(400, "BadRequest", $"OpsBot does not know the action '{verb}'. The card may be out of date.");
        var data = action["data"] as JsonObject ?? new JsonObject();
        data["trigger"] ??= value["trigger"]?.DeepClone();
        return await handler(turn, data, ct);
    }

    /// <summary>
    /// The input (card data or message-action form) holding a NUL character, which no field of OpsBot may contain and
    /// PostgreSQL cannot store or even look up; such a submit is answered naming the input and reaches no handler.
    /// </summary>
    internal static string? NulField(JsonNode? node, string path = "")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                    if (NulField(child, key) is { } found) return found;
                return null;
            case JsonArray a:
                foreach (var child in a)
                    if (NulField(child, path) is { } found) return found;
                return null;
            case JsonValue v when v.TryGetValue<string>(out var text) && StoreLimits.HasNul(text):
                return path.Length > 0 ? path : "value";
            default:
                return null;
        }
    }

    /// <summary>A message extension shows a task's message in its dialog; a card action shows the error on the card.</summary>
    private static InvokeResponse Refused(BotTurn turn, string message) =>
        turn.Activity.Name?.StartsWith("composeExtension/", StringComparison.Ordinal) == true
            ? new InvokeResponse(200, new JsonObject { ["task"] = new JsonObject { ["type"] = "message", ["value"] = message } })
            : AdaptiveCardInvoke.Error(400, "BadRequest", message);

    private static string NulAnswer(string field) =>
        $"'{field}' contains a NUL character (\\u0000), which OpsBot cannot store. Nothing was changed; remove it and submit again.";

    /// <summary>Card data arrives as an object, or as a JSON string for messageBack.</summary>
    internal static JsonObject? CardValue(JsonNode? value) => value switch
    {
        JsonObject o => o,
        JsonValue s when s.TryGetValue<string>(out var text) && text.TrimStart().StartsWith('{') => TryParse(text),
        _ => null,
    };

    private static JsonObject? TryParse(string text)
    {
        try { return JsonNode.Parse(text) as JsonObject; }
        catch (JsonException) { return null; }
    }


    [LoggerMessage(Level = LogLevel.Error, Message = "Could not store the conversation reference of {ActivityType} {ActivityId}")]
    private partial void LogReferenceFailed(Exception ex, string? activityType, string? activityId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a value the store cannot hold in {ActivityType}: {Field}")]
    private partial void LogValueRefused(string? activityType, string field);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler failed for {ActivityType} {ActivityId}")]
    private partial void LogHandlerFailed(Exception ex, string? activityType, string? activityId);
}
