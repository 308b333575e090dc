using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpsBot.Conversations;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Cards;

/// <summary>
/// No dead buttons and no unreachable routes: every action in cards/*.json reaches a route of the running app, and every
/// card verb and command the app routes is sent by some card or is listed below as typed-only, with the reason.
/// </summary>
public sealed class CardRouteTests(CardRouteTests.App app) : IClassFixture<CardRouteTests.App>
{
    /// <summary>One started app for the class: the routes every feature registered.</summary>
    public sealed class App : IDisposable
    {
        private readonly OpsBotFactory _factory = new();

        public BotRoutes Routes => _factory.Services.GetRequiredService<IOptions<BotRoutes>>().Value;

        public void Dispose() => _factory.Dispose();
    }

    /// <summary>Commands no card button sends: the user types them (the help card lists them, Teams' command menu offers some).</summary>
    public static readonly IReadOnlyDictionary<string, string> TypedOnly = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["ping"] = "hidden: health and load checks",
        ["board"] = "admins set boards up by name and scope; the boards themselves are pages, not cards",
        ["metrics"] = "the scope and period are typed (me, @person, team, customer; last month, 2026-Q4)",
        ["kudos"] = "needs an @mention of the person and a reason in the person's own words",
        ["new commitment"] = "a second name for commit, whose buttons send 'commit'",
        ["my commitments"] = "personal list, offered by the command menu",
        ["my tasks"] = "personal list, offered by the command menu",
        ["my escalations"] = "personal list, offered by the command menu",
        ["status"] = "overview, offered by the command menu",
        ["commitments for"] = "needs an account typed after it",
        ["show"] = "needs an opportunity id; cards open a commitment with the commitment.show verb",
        ["history"] = "needs an opportunity id; cards use the commitment.history verb",
        ["edit"] = "needs an opportunity id; cards use the commitment.edit verb",
        ["enrich"] = "needs an opportunity id, a field and a value",
        ["escalation"] = "needs an ESC- number; cards use the escalation.view verb",
        ["escalations report"] = "leadership report with an optional month",
        ["alert status"] = "needs an alert id",
        ["alert plan"] = "needs an alert id; the plan card's buttons use the alert.plan.* verbs",
        ["alert route"] = "admins: list, add or remove routing rules",
        ["account"] = "hidden, admins: account maintenance",
        ["customer duplicates"] = "hidden, admins: proposes merges on a card whose buttons use the customer.merge verb",
        ["customer merge"] = "hidden, admins: needs two customer numbers",
        ["customer unmerge"] = "hidden, admins: needs a merged customer's number",
        ["exec"] = "admins: the executive directory",
        ["digest"] = "digest list and digest preview <name>; the digests themselves are sent on schedule",
    };

    /// <summary>Submit buttons without a verb: the dialog (task module) submit, which Teams sends to the named message action.</summary>
    private static readonly IReadOnlyDictionary<string, string> DialogSubmits = new Dictionary<string, string> { ["escalation-form"] = "escalateMessage" };

    private BotRoutes Routes => app.Routes;

    private sealed record CardAction(string Card, string Type, string Title, string? Verb, string? Text, bool DialogSubmit)
    {
        public override string ToString() => $"{Card}.json '{Title}' ({Type})";
    }

    private static List<CardAction> CardActions()
    {
        var actions = new List<CardAction>();
        foreach (var file in Directory.EnumerateFiles(RepoFiles.PathOf("cards"), "*.json").Order(StringComparer.Ordinal))
            Collect(Path.GetFileNameWithoutExtension(file), JsonNode.Parse(File.ReadAllText(file)), actions);
        return actions;
    }

    private static void Collect(string card, JsonNode? node, List<CardAction> actions)
    {
        if (node is JsonArray array)
        {
            foreach (var item in array) Collect(card, item, actions);
            return;
        }
        if (node is not JsonObject o) return;
        if (o["type"]?.ToString() is "Action.Submit" or "Action.Execute")
        {
            var data = o["data"] as JsonObject;
            var msteams = data?["msteams"] as JsonObject;
            var text = msteams?["type"]?.ToString() switch
            {
                "messageBack" => msteams["text"]?.ToString(),
                "imBack" => msteams["value"]?.ToString(),
                _ => null,
            };
            var verb = o["verb"]?.ToString() ?? data?["verb"]?.ToString();
            actions.Add(new(card, o["type"]!.ToString(), o["title"]?.ToString() ?? "(untitled)", verb, text,
                o["type"]!.ToString() == "Action.Submit" && verb is null && msteams is null));
        }
        foreach (var (_, child) in o) Collect(card, child, actions);
    }

    [Fact]
    public void Cards_have_actions_of_every_kind()
    {
        var actions = CardActions();
        Assert.Contains(actions, a => a.Type == "Action.Execute" && a.Verb is not null);
        Assert.Contains(actions, a => a.Text is not null);
        Assert.Contains(actions, a => a.DialogSubmit);
    }

    [Fact]
    public void Every_card_verb_has_a_route()
    {
        var dead = CardActions().Where(a => a.Verb is not null && (a.Verb.Contains("${", StringComparison.Ordinal) || Routes.FindVerb(a.Verb) is null))
            .Select(a => $"{a} sends verb '{a.Verb}'").ToList();
        Assert.True(dead.Count == 0, "no route for: " + string.Join("; ", dead));
    }

    [Fact]
    public void Every_message_back_and_im_back_text_is_a_command()
    {
        // The command's own words are fixed; its argument may come from the card's data (customer ${number}).
        var dead = CardActions().Where(a => a.Text is not null && Routes.MatchCommand(a.Text) is not ({ Args: "" } or { Args: ['$', '{', .., '}'] }))
            .Select(a => $"{a} sends '{a.Text}'").ToList();
        Assert.True(dead.Count == 0, "no command for: " + string.Join("; ", dead));
    }

    [Fact]
    public void Every_submit_without_verb_is_a_dialog_submit_with_its_message_action()
    {
        var submits = CardActions().Where(a => a.DialogSubmit).ToList();
        var unknown = submits.Where(a => !DialogSubmits.ContainsKey(a.Card)).Select(a => a.ToString()).ToList();
        Assert.True(unknown.Count == 0, "Action.Submit with neither verb nor msteams outside a dialog card: " + string.Join("; ", unknown));
        foreach (var (card, commandId) in DialogSubmits)
        {
            Assert.Contains(submits, a => a.Card == card);
            Assert.NotNull(Routes.FindMessageAction(commandId));
        }
    }

    [Fact]
    public void Every_routed_verb_is_sent_by_some_card()
    {
        var sent = CardActions().Select(a => a.Verb).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unreachable = Routes.Verbs.Where(v => !sent.Contains(v)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unreachable.Count == 0, "no card sends: " + string.Join(", ", unreachable));
    }

    [Fact]
    public void Every_command_is_sent_by_a_card_or_typed_only_with_a_reason()
    {
        var sent = CardActions().Select(a => a.Text).OfType<string>().Select(t => Routes.MatchCommand(t)?.Route.Name).OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var commands = Routes.Commands.Select(c => c.Name).ToList();

        var unlisted = commands.Where(c => !sent.Contains(c) && !TypedOnly.ContainsKey(c)).ToList();
        Assert.True(unlisted.Count == 0, "no card sends these and they are not listed as typed-only: " + string.Join(", ", unlisted));
        var stale = TypedOnly.Keys.Where(c => sent.Contains(c) || !commands.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
        Assert.True(stale.Count == 0, "listed as typed-only but sent by a card or not a command: " + string.Join(", ", stale));
    }
}
