using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.Alerts;
using OpsBot.BotFramework.Schema;
using OpsBot.Tests.Escalations;
using OpsBot.Hosting;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Setup;

/// <summary>
/// A newcomer's first run through <c>/api/messages</c> on a fresh SQLite store: in Development the demo makes every flow the
/// welcome card offers complete; elsewhere nothing is seeded, the installer becomes the first admin and the setup card closes
/// each gap.
/// </summary>
public sealed class FirstRunTests : IAsyncLifetime
{
    private const string Newcomer = "29:newcomer";
    private const string Colleague = "29:colleague";
    private FakeConnector _connector = null!;
    private readonly List<OpsBotFactory> _apps = [];

    public async Task InitializeAsync() => _connector = await FakeConnector.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    private (OpsBotFactory App, HttpClient Client) Start(string environment, Action<OpsBotFactory>? configure = null)
    {
        var app = new OpsBotFactory { EnvironmentName = environment }.WithoutCommonCustomers();
        app.Settings["Alerts:TimerInterval"] = "01:00:00";
        app.Settings["Bot:AllowUnauthenticated"] = "true";
        configure?.Invoke(app);
        _apps.Add(app);
        return (app, app.CreateClient());
    }

    private static string Name(string user) => user == Newcomer ? "Nia Newcomer" : "Cole League";

    private Activity Install(string user)
    {
        var a = Activities.Message(_connector.ServiceUrl, "", user, Name(user), "a:personal-" + user);
        a.Type = ActivityTypes.InstallationUpdate;
        a.Text = null;
        a.Action = "add";
        return a;
    }

    /// <summary>What OpsBot posted to the person's chat for <paramref name="activity"/>.</summary>
    private async Task<List<JsonNode>> SendAsync(HttpClient client, Activity activity)
    {
        var before = _connector.Posts.Count();
        (await client.PostActivityAsync(activity)).EnsureSuccessStatusCode();
        var conversation = "/v3/conversations/" + Uri.EscapeDataString(activity.Conversation!.Id!) + "/";
        return _connector.Posts.Skip(before).Where(p => p.Path.Contains(conversation, StringComparison.Ordinal)).Select(p => p.Body!).ToList();
    }

    /// <summary>Posts carrying the "Open setup" button (cards/setup-offer.json).</summary>
    private int SetupOffers() => _connector.Posts.Count(p => p.Body?.ToJsonString().Contains("\"Open setup\"", StringComparison.Ordinal) == true);

    private async Task<JsonNode> SayAsync(HttpClient client, string text, string user = Newcomer) =>
        Assert.Single(await SendAsync(client, Activities.Message(_connector.ServiceUrl, text, user, Name(user), "a:personal-" + user)));

    private async Task<JsonObject> InvokeAsync(HttpClient client, string verb, JsonObject data, string user = Newcomer, Action<Activity>? shape = null)
    {
        var a = Activities.Execute(_connector.ServiceUrl, verb, (JsonObject)data.DeepClone(), user, "card-1", "a:personal-" + user);
        a.From!.Name = Name(user);
        shape?.Invoke(a);
        var response = await client.PostActivityAsync(a);
        response.EnsureSuccessStatusCode();
        return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static JsonObject CardIn(JsonNode post) => (JsonObject)post["attachments"]![0]!["content"]!;

    /// <summary>What a person submits: every input's current value plus the data of the button titled <paramref name="button"/>.</summary>
    private static (string Verb, JsonObject Data) Submit(JsonObject card, string button)
    {
        var data = new JsonObject();
        JsonObject? action = null;
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    if (o["type"]?.GetValue<string>() is { } type && type.StartsWith("Input.", StringComparison.Ordinal) && o["id"] is { } id)
                        data[id.GetValue<string>()] = o["value"]?.DeepClone() ?? "";
                    if (o["type"]?.GetValue<string>() == "Action.Execute" && o["title"]?.GetValue<string>() == button) action ??= o;
                    foreach (var (_, child) in o) Walk(child);
                    break;
                case JsonArray arr:
                    foreach (var child in arr) Walk(child);
                    break;
            }
        }
        Walk(card);
        Assert.NotNull(action);
        foreach (var (key, value) in action["data"] as JsonObject ?? []) data[key] = value?.DeepClone();
        return (action["verb"]!.GetValue<string>(), data);
    }

    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The JSON as a person reads it (no escaped apostrophes).</summary>
    private static string Text(JsonNode node) => node.ToJsonString(Relaxed);

    [Fact]
    public async Task In_Development_every_flow_the_welcome_card_offers_completes_on_an_empty_store()
    {
        var (app, client) = Start("Development");
        var welcome = Assert.Single(await SendAsync(client, Install(Newcomer)));
        var welcomeText = Text(welcome);
        Assert.Contains("Hi Nia Newcomer", welcomeText, StringComparison.Ordinal);
        var example = System.Text.RegularExpressions.Regex.Match(welcomeText, "Try: (commit [^\"]+)").Groups[1].Value;
        Assert.Equal("commit ACME-001 PO 4471 250000 USD deliver 2027-01-15", example);

        // The welcome card's commitment: the form comes pre-filled from the demo customer and saves as submitted.
        var form = CardIn(await SayAsync(client, example));
        var (verb, data) = Submit(form, "Submit");
        var saved = (await InvokeAsync(client, verb, data))["value"]!.ToJsonString(Relaxed);
        Assert.Contains("Saved. The downstream forms went to their owners.", saved, StringComparison.Ordinal);
        Assert.True(await app.WithDbAsync(db => db.Commitments.AnyAsync(c => c.Customer.Number == "ACME-001")));

        // escalate: the demo's executive (the newcomer) takes it.
        var complaint = EscalationTestBase.ValidForm("ACME-001");
        var escalated = (await InvokeAsync(client, "escalation.submit", complaint))["value"]!.ToJsonString(Relaxed);
        Assert.DoesNotContain("no executive available", escalated, StringComparison.Ordinal);
        var escalation = await app.WithDbAsync(db => db.Escalations.SingleAsync());
        Assert.Equal("demo-exec", escalation.AssigneeId);

        // alert: the demo route reaches the newcomer.
        var alertForm = new JsonObject { ["formId"] = "f1", ["account"] = "ACME-001", ["reference"] = "PO-4471", ["kind"] = "late-shipment", ["severity"] = "2", ["impact"] = "Line 3 waits for parts", ["description"] = "" };
        var alertCard = (await InvokeAsync(client, "alert.create", alertForm))["value"]!.ToJsonString(Relaxed);
        Assert.DoesNotContain("No routed conversations", alertCard, StringComparison.Ordinal);
        var alert = await app.WithDbAsync(db => db.Alerts.SingleAsync());
        Assert.True((await app.WithDbAsync(db => AlertDeliveries.CountAsync(db, alert.Id, default))).Total > 0);
        Assert.True(await app.WithDbAsync(db => AlertDeliveries.Copies(db, alert.Id).AnyAsync(m => m.UserId == Newcomer)));

        // The demo is tagged: its customers, route, admin, executive and role owners.
        var tags = await app.WithDbAsync(db => db.DemoRecords.Select(r => r.EntityType).ToListAsync());
        Assert.Equal(["Admin", "AlertRoute", "Customer", "Demo", "DemoPerson", "Executive", "RoleAssignment"], tags.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(4, tags.Count(t => t == "RoleAssignment"));
    }

    [Fact]
    public async Task In_Production_nothing_is_seeded_and_the_dead_ends_say_what_to_do_and_who_can()
    {
        var (app, client) = Start("Production");
        await SendAsync(client, Install(Newcomer));
        Assert.False(await app.WithDbAsync(db => db.Customers.AnyAsync()));
        Assert.False(await app.WithDbAsync(db => db.DemoRecords.AnyAsync()));
        Assert.False(await app.WithDbAsync(db => db.AlertRoutes.AnyAsync()));

        // The installer is the admin: pointed to setup. A colleague is pointed to the admin.
        var form = CardIn(await SayAsync(client, "commit ACME-001 PO 4471 250000 USD deliver 2027-01-15", Colleague));
        var (verb, data) = Submit(form, "Submit");
        var refused = (await InvokeAsync(client, verb, data, Colleague))["value"]!.ToJsonString(Relaxed);
        Assert.Contains("I couldn't find customer 'ACME-001'. Check the spelling, or ask the account owner for access. An OpsBot admin can add customers with the setup card; the admins are: Nia Newcomer.", refused, StringComparison.Ordinal);
        var offersBefore = SetupOffers();
        var mine = (await InvokeAsync(client, verb, data))["value"]!.ToJsonString(Relaxed);
        // The admin also gets the button that opens the set-up card; the colleague did not.
        Assert.Equal(offersBefore + 1, SetupOffers());
        Assert.Equal(0, offersBefore);
        Assert.Contains("I couldn't find customer 'ACME-001'. Check the spelling, or ask the account owner for access. You are an OpsBot admin: type setup to add customers.", mine, StringComparison.Ordinal);

        // With the customer added, the next dead ends: no executive, no route.
        Assert.Contains("Account ACME-001 (Acme Industrial, Strategic) added.", Text(await SayAsync(client, "account add ACME-001 Strategic Acme Industrial")), StringComparison.Ordinal);
        var escalated = (await InvokeAsync(client, "escalation.submit", EscalationTestBase.ValidForm("ACME-001"), Colleague))["value"]!.ToJsonString(Relaxed);
        Assert.Contains("No executives are set up. An OpsBot admin can pick executives with the setup card; the admins are: Nia Newcomer.", escalated, StringComparison.Ordinal);

        var alertForm = new JsonObject { ["formId"] = "f1", ["account"] = "ACME-001", ["reference"] = "PO-4471", ["kind"] = "late-shipment", ["severity"] = "2", ["impact"] = "Line 3 waits", ["description"] = "" };
        var alert = (await InvokeAsync(client, "alert.create", alertForm))["value"]!.ToJsonString(Relaxed);
        Assert.Contains("No alert route matches this alert, so it reached no one. You are an OpsBot admin: type setup to route alerts.", alert, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_installer_becomes_admin_once_and_a_later_installer_does_not()
    {
        var (app, client) = Start("Production");
        await SendAsync(client, Install(Newcomer));
        await SendAsync(client, Install(Colleague));
        await SendAsync(client, Install(Newcomer));
        var admin = Assert.Single(await app.WithDbAsync(db => db.Admins.ToListAsync()));
        Assert.Equal((Newcomer, "Nia Newcomer", "install"), (admin.UserId, admin.Name, admin.AddedBy));
        Assert.Single(await app.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "admin-added").ToListAsync()));
        Assert.Contains("Only OpsBot admins can change executives; the admins are: Nia Newcomer.", Text(await SayAsync(client, "exec add zed 29:zed 3 Zed", Colleague)), StringComparison.Ordinal);
        Assert.Contains("Added Zed", Text(await SayAsync(client, "exec add zed 29:zed 3 Zed")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_installer_becomes_admin_when_switched_off_or_when_admins_are_configured()
    {
        var (off, offClient) = Start("Production", a => a.Settings["People:FirstInstallerBecomesAdmin"] = "false");
        await SendAsync(offClient, Install(Newcomer));
        Assert.False(await off.WithDbAsync(db => db.Admins.AnyAsync()));
        Assert.Contains("Only OpsBot admins can set OpsBot up; there is no admin yet", Text(await SayAsync(offClient, "setup")), StringComparison.Ordinal);

        var (configured, configuredClient) = Start("Production", a => a.Settings["People:Admins:0"] = "29:boss");
        await SendAsync(configuredClient, Install(Newcomer));
        Assert.False(await configured.WithDbAsync(db => db.Admins.AnyAsync()));
        Assert.Contains("the admins are: 29:boss.", Text(await SayAsync(configuredClient, "setup")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_setup_card_lists_exactly_the_gaps_and_each_button_closes_its_own()
    {
        var (app, client) = Start("Production");
        await SendAsync(client, Install(Newcomer));
        var card = CardIn(await SayAsync(client, "setup"));
        Assert.Equal(["Add the customer", "Add the executives", "Route alerts to this conversation", "Assign order desk", "Assign sales ops", "Assign supply chain", "Assign service"], Buttons(card));
        Assert.Contains("7 things are missing", card.ToJsonString(), StringComparison.Ordinal);
        var picker = card.ToJsonString();
        Assert.Contains("\"choices.data\":{\"type\":\"Data.Query\",\"dataset\":\"graph.microsoft.com/users\"}", picker, StringComparison.Ordinal);

        // A colleague's click changes nothing.
        var refused = await InvokeAsync(client, "setup.route", new JsonObject(), Colleague);
        Assert.Equal("Only OpsBot admins can route alerts; the admins are: Nia Newcomer.", refused["value"]!.GetValue<string>());
        Assert.False(await app.WithDbAsync(db => db.AlertRoutes.AnyAsync()));

        var (verb, data) = Submit(card, "Add the customer");
        data["customerNumber"] = "acme-001";
        data["customerName"] = "Acme Industrial";
        card = (JsonObject)(await InvokeAsync(client, verb, data))["value"]!;
        Assert.Equal(["Add the executives", "Route alerts to this conversation", "Assign order desk", "Assign sales ops", "Assign supply chain", "Assign service"], Buttons(card));
        Assert.True(await app.WithDbAsync(db => db.Customers.AnyAsync(a => a.Number == "ACME-001")));

        (verb, data) = Submit(card, "Add the executives");
        data["executives"] = "aad-exec-1,aad-exec-2";
        card = (JsonObject)(await InvokeAsync(client, verb, data))["value"]!;
        Assert.Equal(["Route alerts to this conversation", "Assign order desk", "Assign sales ops", "Assign supply chain", "Assign service"], Buttons(card));
        Assert.Equal(2, await app.WithDbAsync(db => db.Executives.CountAsync()));

        (verb, data) = Submit(card, "Route alerts to this conversation");
        card = (JsonObject)(await InvokeAsync(client, verb, data))["value"]!;
        Assert.Equal(["Assign order desk", "Assign sales ops", "Assign supply chain", "Assign service"], Buttons(card));
        var route = await app.WithDbAsync(db => db.AlertRoutes.SingleAsync());
        Assert.Equal([Newcomer], route.People);

        foreach (var (role, left) in new[] { ("order desk", 3), ("sales ops", 2), ("supply chain", 1), ("service", 0) })
        {
            (verb, data) = Submit(card, "Assign " + role);
            data["owners" + data["role"]!.GetValue<string>()] = "aad-owner-" + left;
            card = (JsonObject)(await InvokeAsync(client, verb, data))["value"]!;
            Assert.Equal(left, Buttons(card).Count);
        }
        Assert.Contains("Everything OpsBot needs is in place.", card.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(4, await app.WithDbAsync(db => db.RoleAssignments.CountAsync()));
    }

    [Fact]
    public async Task Demo_reset_removes_only_what_the_demo_created()
    {
        var (app, client) = Start("Development");
        await SendAsync(client, Install(Newcomer));
        Assert.Contains("Added Zed", Text(await SayAsync(client, "exec add zed 29:zed 3 Zed")), StringComparison.Ordinal);
        Assert.Contains("Account NEW-9", Text(await SayAsync(client, "account add NEW-9 Key New Co")), StringComparison.Ordinal);
        var form = CardIn(await SayAsync(client, "commit ACME-001 PO 4471 250000 USD deliver 2027-01-15"));
        var (verb, data) = Submit(form, "Submit");
        await InvokeAsync(client, verb, data);

        var reset = await app.WithDbAsync(db => OpsBot.Setup.DemoData.ResetAsync(db, default));
        Assert.Equal(["ACME-001"], reset.KeptAccounts);
        Assert.Equal(["ACME-001", "NEW-9"], await app.WithDbAsync(db => db.Customers.OrderBy(a => a.Number).Select(a => a.Number).ToListAsync()));
        Assert.Equal(["zed"], await app.WithDbAsync(db => db.Executives.Select(e => e.Id).ToListAsync()));
        Assert.False(await app.WithDbAsync(db => db.AlertRoutes.AnyAsync()));
        Assert.False(await app.WithDbAsync(db => db.RoleAssignments.AnyAsync()));
        Assert.False(await app.WithDbAsync(db => db.Admins.AnyAsync()));
        Assert.Equal(["Customer"], await app.WithDbAsync(db => db.DemoRecords.Select(r => r.EntityType).ToListAsync()));
        Assert.Single(await app.WithDbAsync(db => db.Commitments.ToListAsync()));
    }

    [Fact]
    public async Task The_demo_reset_verb_runs_against_the_configured_store()
    {
        var (app, client) = Start("Development");
        await SendAsync(client, Install(Newcomer));
        Assert.True(await app.WithDbAsync(db => db.Customers.AnyAsync()));
        var output = new StringWriter();
        var connection = app.Settings["Database:ConnectionString"]!;
        Assert.Equal(0, await Cli.RunAsync(["demo", "reset", "--Database:Provider=Sqlite", "--Database:ConnectionString=" + connection], output, new StringWriter()));
        Assert.StartsWith("Removed ", output.ToString(), StringComparison.Ordinal);
        Assert.False(await app.WithDbAsync(db => db.Customers.AnyAsync()));
        Assert.False(await app.WithDbAsync(db => db.DemoRecords.AnyAsync()));
    }

    [Fact]
    public async Task The_demo_never_touches_a_store_that_has_data()
    {
        var (app, client) = Start("Development", a =>
        {
            a.Settings["Commitments:Accounts:0:Number"] = "REAL-1";
            a.Settings["Commitments:Accounts:0:Name"] = "Real Customer";
        });
        await SendAsync(client, Install(Newcomer));
        Assert.Equal(["REAL-1"], await app.WithDbAsync(db => db.Customers.Select(a => a.Number).ToListAsync()));
        Assert.False(await app.WithDbAsync(db => db.DemoRecords.AnyAsync()));
        Assert.False(await app.WithDbAsync(db => db.Executives.AnyAsync()));
    }

    private static List<string> Buttons(JsonObject card)
    {
        var titles = new List<string>();
        void Walk(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                if (o["type"]?.GetValue<string>() == "Action.Execute" && o["title"]?.GetValue<string>() is { } t) titles.Add(t);
                foreach (var (key, child) in o) if (key != "refresh") Walk(child);
            }
            else if (node is JsonArray a) foreach (var c in a) Walk(c);
        }
        Walk(card);
        return titles;
    }
}
