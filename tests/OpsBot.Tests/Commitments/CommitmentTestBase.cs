using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using OpsBot.Api;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Commitments;

/// <summary>OpsBot with the Commitments configuration used by every commitment test, on SQLite or PostgreSQL, with a fake clock.</summary>
public abstract class CommitmentTestBase(DatabaseProvider provider) : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    public const string ErpKey = "erp-key-0123456789";
    public const string PartnerKey = "partner-key-0123456789";

    protected FakeConnector Connector { get; private set; } = null!;
    protected OpsBotFactory App { get; set; } = null!;
    protected string Database { get; private set; } = "";
    protected FakeTimeProvider Clock { get; } = new(Start);
    protected HttpClient Client { get; set; } = null!;
    protected DatabaseProvider Provider => provider;

    /// <summary>A connection string for a new, empty database (SQLite: a file this test owns).</summary>
    protected abstract Task<string> NewDatabaseAsync();

    public async Task InitializeAsync()
    {
        Connector = await FakeConnector.StartAsync();
        Database = await NewDatabaseAsync();
        App = NewApp(Database);
        Client = App.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Connector.DisposeAsync();
    }

    protected OpsBotFactory NewApp(string connectionString, bool fakeClock = true)
    {
        var app = new OpsBotFactory(provider, connectionString);
        if (fakeClock) app.Time = Clock;
        var s = app.Settings;
        s["People:Admins:0"] = "29:admin";
        s["Commitments:Accounts:0:Number"] = "ACME-001";
        s["Commitments:Accounts:0:Name"] = "Acme Industrial";
        s["Commitments:Accounts:0:Segment"] = "Strategic";
        s["Commitments:Accounts:0:ShipToSites:0"] = "Acme Plant 3";
        s["Commitments:Accounts:0:BillToSites:0"] = "Acme HQ";
        s["Commitments:Accounts:0:MasterAgreementRef"] = "MSA-ACME-2024";
        s["Commitments:Accounts:0:PaymentTerms"] = "Net 60";
        s["Commitments:Accounts:0:UsualValueMin"] = "100000";
        s["Commitments:Accounts:0:UsualValueMax"] = "500000";
        s["Commitments:Accounts:1:Number"] = "SECRET-007";
        s["Commitments:Accounts:1:Name"] = "Secret Strategic Co";
        s["Commitments:Accounts:1:Segment"] = "Strategic";
        s["Commitments:Accounts:1:Restricted"] = "true";
        s["Commitments:Accounts:1:AllowedUsers:0"] = "29:strategic-rep";
        s["Commitments:Accounts:1:AllowedUsers:1"] = "29:order-desk";
        s["Commitments:Accounts:2:Number"] = "GLOBEX-002";
        s["Commitments:Accounts:2:Name"] = "Globex";
        s["People:Roles:OrderDesk:People:0"] = "29:order-desk";
        s["People:Roles:SalesOps:People:0"] = "29:sales-ops";
        s["People:Roles:SupplyChain:ChannelId"] = "19:supply@thread.tacv2";
        s["People:Roles:Service:People:0"] = "29:service";
        s["Commitments:OverdueAlertKind"] = "order-error";
        s["Commitments:OverdueAlertSeverity"] = "3";
        s["Alerts:Routes:0:Name"] = "order-flow";
        s["Alerts:Routes:0:Kind"] = "order-error";
        s["Alerts:Routes:0:Channels:0:ChannelId"] = "19:alerts@thread.tacv2";
        s["Commitments:AlertAfterOverdue"] = "2.00:00:00";
        s["Commitments:ScanInterval"] = "01:00:00";
        s["Commitments:TrustedApiClients:0"] = "erp";
        s["Api:Keys:erp"] = ApiKeyHandler.Hash(ErpKey);
        s["Api:Keys:partner"] = ApiKeyHandler.Hash(PartnerKey);
        Configure(app);
        return app;
    }

    /// <summary>Extra settings of a derived test class, applied to every app it starts.</summary>
    protected virtual void Configure(OpsBotFactory app)
    {
    }

    public static JsonObject ValidInput(string opp, string account = "ACME-001", string po = "4471") => new()
    {
        ["formId"] = Guid.NewGuid().ToString("n"),
        ["opportunityId"] = opp,
        ["accountNumber"] = account,
        ["customerName"] = "Acme Industrial",
        ["segment"] = "Strategic",
        ["masterAgreementRef"] = "MSA-ACME-2024",
        ["customerPoNumber"] = po,
        ["committedValue"] = "250000",
        ["currency"] = "USD",
        ["commitDate"] = "2026-11-23",
        ["requestedDeliveryDate"] = "2027-01-15",
        ["shipToSite"] = "Acme Plant 3",
        ["billToSite"] = "Acme HQ",
        ["paymentTerms"] = "Net 60",
        ["accountOwner"] = "29:rep-one",
    };

    /// <summary>Posts an <c>adaptiveCard/action</c> invoke and returns the invoke response body.</summary>
    protected async Task<JsonObject> ExecuteAsync(string verb, JsonObject data, string user = "29:rep-one", string? name = null, string? replyToId = null, HttpClient? client = null)
    {
        var activity = Activities.Execute(Connector.ServiceUrl, verb, (JsonObject)data.DeepClone(), user, replyToId, conversationId: "a:personal-" + user);
        activity.From!.Name = name ?? NameOf(user);
        var response = await (client ?? Client).PostActivityAsync(activity);
        response.EnsureSuccessStatusCode();
        return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Sends a text message and returns what OpsBot posted back to the connector.</summary>
    protected async Task<JsonNode> SayAsync(string text, string user = "29:rep-one")
    {
        var before = Connector.Posts.Count();
        var activity = Activities.Message(Connector.ServiceUrl, text, user, NameOf(user), "a:personal-" + user);
        var response = await Client.PostActivityAsync(activity);
        response.EnsureSuccessStatusCode();
        // Only the reply in the asking conversation: the outbox dispatcher may deliver proactive messages meanwhile.
        var conversation = "/v3/conversations/" + Uri.EscapeDataString("a:personal-" + user) + "/";
        var posts = Connector.Posts.Skip(before).Where(p => p.Path.Contains(conversation, StringComparison.Ordinal)).ToList();
        return Assert.Single(posts).Body!;
    }

    protected static string NameOf(string user) => user switch
    {
        "29:rep-one" => "Rep One",
        "29:rep-two" => "Rep Two",
        "29:order-desk" => "Olga Desk",
        "29:strategic-rep" => "Stella Strategic",
        "29:admin" => "Ada Admin",
        _ => user,
    };

    protected async Task<JsonObject> CaptureAsync(string opp, string account = "ACME-001", string po = "4471", string user = "29:rep-one")
    {
        var data = ValidInput(opp, account, po);
        data["accountOwner"] = user;
        var body = await ExecuteAsync("commitment.submit", data, user, replyToId: "card-" + opp);
        var card = CardOf(body);
        Assert.Contains($"Commitment {opp}", Text(card), StringComparison.Ordinal);
        return card;
    }

    public static JsonObject CardOf(JsonNode body)
    {
        Assert.Equal("application/vnd.microsoft.card.adaptive", body["type"]?.GetValue<string>());
        return (JsonObject)body["value"]!;
    }

    public static JsonObject CardOfPost(JsonNode post) => (JsonObject)post["attachments"]![0]!["content"]!;

    public static string MessageOf(JsonNode body)
    {
        Assert.Equal("application/vnd.microsoft.activity.message", body["type"]?.GetValue<string>());
        return body["value"]!.GetValue<string>();
    }

    /// <summary>All text a card shows (TextBlocks and facts), one line each.</summary>
    public static string Text(JsonNode card) => string.Join('\n', Walk(card).SelectMany(o =>
        o["type"]?.GetValue<string>() == "TextBlock" ? [o["text"]!.ToString()]
        : o.ContainsKey("title") && o.ContainsKey("value") && o["type"] is null ? [$"{o["title"]}: {o["value"]}"] : Array.Empty<string>()));

    public static IEnumerable<JsonObject> Walk(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            yield return o;
            foreach (var p in o) foreach (var x in Walk(p.Value)) yield return x;
        }
        else if (node is JsonArray a) foreach (var i in a) foreach (var x in Walk(i)) yield return x;
    }

    /// <summary>The card's inputs: id → value.</summary>
    public static Dictionary<string, string> Inputs(JsonNode card) =>
        Walk(card).Where(o => o["type"]?.GetValue<string>()?.StartsWith("Input.", StringComparison.Ordinal) == true)
            .ToDictionary(o => o["id"]!.GetValue<string>(), o => o["value"]?.ToString() ?? "");

    /// <summary>The element right after input <paramref name="id"/> in its container (where the error text sits).</summary>
    public static JsonObject? AfterInput(JsonNode card, string id)
    {
        var body = (JsonArray)card["body"]!;
        for (var i = 0; i < body.Count - 1; i++)
            if (body[i]?["id"]?.GetValue<string>() == id) return body[i + 1] as JsonObject;
        return null;
    }

    public static JsonObject ActionData(JsonNode card, string title) =>
        (JsonObject)Walk(card).First(o => o["type"]?.GetValue<string>() == "Action.Execute" && o["title"]?.GetValue<string>() == title)["data"]!.DeepClone();

    protected HttpClient ApiClient(string key, OpsBotFactory? app = null)
    {
        var c = (app ?? App).CreateClient();
        c.DefaultRequestHeaders.Add("X-Api-Key", key);
        return c;
    }

    protected static async Task<JsonObject> GetJsonAsync(HttpClient c, string url)
    {
        var r = await c.GetAsync(url);
        Assert.True(r.IsSuccessStatusCode, $"{url}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        return (JsonObject)JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
    }

    protected static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail("Timed out waiting for " + what);
    }
}
