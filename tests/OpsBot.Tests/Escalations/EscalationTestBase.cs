using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Escalations;

/// <summary>
/// OpsBot over a real database with a loopback connector and a fake clock starting Monday 2026-11-23 09:00 UTC.
/// Directory: Ann (sponsor of ACME Corp, delegate 29:ann-delegate, backup Bob), Bob (cap 2), Cara (cap 2).
/// </summary>
public abstract class EscalationTestBase(DatabaseProvider provider) : IAsyncLifetime
{
    public static readonly DateTimeOffset Monday9 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    public const string Rep = "29:rep-one";
    public const string Ann = "29:ann";
    public const string AnnDelegate = "29:ann-delegate";
    public const string Bob = "29:bob";
    public const string Cara = "29:cara";
    public const string Ceo = "29:ceo";
    public const string Channel = "19:escalations@thread.tacv2";

    /// <summary>Card JSON as text without escaping of '·', '&amp;' or quotes, for readable Contains assertions.</summary>
    protected static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    protected FakeConnector Connector { get; private set; } = null!;
    protected OpsBotFactory App { get; set; } = null!;
    protected HttpClient Client { get; set; } = null!;
    protected FakeTimeProvider Clock { get; } = new(Monday9);
    protected DatabaseProvider Provider => provider;
    protected string? ConnectionString { get; private set; }

    protected abstract Task<string?> ConnectionStringAsync();

    protected virtual void Configure(OpsBotFactory factory) { }

    public virtual async Task InitializeAsync()
    {
        Connector = await FakeConnector.StartAsync();
        ConnectionString = await ConnectionStringAsync();
        App = NewFactory(ConnectionString);
        Client = App.CreateClient();
    }

    public virtual async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Connector.DisposeAsync();
    }

    protected OpsBotFactory NewFactory(string? connectionString, bool scheduler = false)
    {
        var f = new OpsBotFactory(provider, connectionString) { Time = Clock };
        var s = f.Settings;
        s["People:Admins:0"] = "29:admin";
        AddExec(s, 0, "ann", "Ann Lee", Ann, 4, sponsor: "ACME Corp", @delegate: AnnDelegate, backup: "bob");
        AddExec(s, 1, "bob", "Bob Stone", Bob, 2);
        AddExec(s, 2, "cara", "Cara Diaz", Cara, 2);
        s["People:Leadership:0"] = Ceo;
        s["Escalations:ChannelId"] = Channel;
        s["Escalations:SchedulerEnabled"] = scheduler ? "true" : "false";
        s["Escalations:SchedulerInterval"] = "00:01:00";
        Configure(f);
        return f;
    }

    protected static void AddExec(Dictionary<string, string?> s, int i, string id, string name, string userId, int cap,
        string? sponsor = null, string? @delegate = null, string? backup = null, string? awayFrom = null, string? awayTo = null)
    {
        var p = $"People:Executives:{i}:";
        s[p + "Id"] = id;
        s[p + "Name"] = name;
        s[p + "UserId"] = userId;
        s[p + "MonthlyCapacity"] = cap.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (sponsor is not null) s[p + "Sponsors:0"] = sponsor;
        if (@delegate is not null) s[p + "Delegates:0"] = @delegate;
        if (backup is not null) s[p + "Backup"] = backup;
        if (awayFrom is not null) { s[p + "TimeOff:0:From"] = awayFrom; s[p + "TimeOff:0:To"] = awayTo; }
    }

    protected static string NameOf(string userId) => userId switch
    {
        Ann => "Ann Lee", AnnDelegate => "Dee Legate", Bob => "Bob Stone", Cara => "Cara Diaz", Ceo => "Chief Exec", Rep => "Rep One", _ => userId,
    };

    protected Activity Execute(string verb, JsonObject data, string userId, string? replyToId = null)
    {
        var a = Activities.Execute(Connector.ServiceUrl, verb, (JsonObject)data.DeepClone(), userId, replyToId, conversationId: $"a:personal-{userId}");
        a.From!.Name = NameOf(userId);
        return a;
    }

    protected async Task<JsonObject> InvokeAsync(Activity activity, HttpClient? client = null)
    {
        var response = await (client ?? Client).PostActivityAsync(activity);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return string.IsNullOrEmpty(body) ? new JsonObject() : (JsonObject)JsonNode.Parse(body)!;
    }

    /// <summary>An Action.Execute answer's card (asserts the answer is a card).</summary>
    /// <summary>The status and message of an invoke answered with an error (<c>application/vnd.microsoft.error</c>).</summary>
    protected static (int Status, string Message) ErrorOf(JsonObject invokeBody) =>
        (invokeBody["statusCode"]!.GetValue<int>(), invokeBody["value"]!["message"]!.GetValue<string>());

    protected static JsonObject CardOf(JsonObject invokeBody)
    {
        Assert.Equal(AdaptiveCardInvoke.CardType, invokeBody["type"]?.GetValue<string>());
        return (JsonObject)invokeBody["value"]!;
    }

    public static JsonObject ValidForm(string account, string? executive = null, string? formId = null) => new()
    {
        ["account"] = account,
        ["contact"] = "Jane Doe, procurement",
        ["summary"] = "Second late delivery this quarter, line 2 stopped.",
        ["impact"] = "Six hours of lost production",
        ["desiredOutcome"] = "Credit note and root-cause report",
        ["severity"] = "High",
        ["orderRef"] = "SO-1",
        ["opportunityRef"] = "",
        ["executive"] = executive ?? "",
        ["formId"] = formId ?? Guid.NewGuid().ToString("n"),
        ["alertId"] = "",
        ["sourceLink"] = "",
        ["sourceAuthor"] = "",
        ["origin"] = "Command",
    };

    protected async Task<Escalation> EscalateAsync(string account, string? executive = null, string rep = Rep)
    {
        var form = ValidForm(account, executive);
        var card = CardOf(await InvokeAsync(Execute("escalation.submit", form, rep, replyToId: "form-" + form["formId"])));
        Assert.Contains("ESC-", card.ToJsonString(), StringComparison.Ordinal);
        var key = "form:" + form["formId"]!.GetValue<string>();
        return await App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync(c => c.IdempotencyKey == key));
    }

    protected Task<Escalation> EscalationAsync(long id) => App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync(c => c.Id == id));

    protected Task<List<OutboxMessage>> OutboxAsync() => App.WithDbAsync(db => db.OutboxMessages.AsNoTracking().OrderBy(m => m.Id).ToListAsync());

    protected Task<List<EscalationEvent>> EventsAsync(long id) => App.WithDbAsync(db => db.EscalationEvents.AsNoTracking().Where(e => e.EscalationId == id).OrderBy(e => e.Id).ToListAsync());

    /// <summary>Plays the outbox dispatcher: every queued create is marked sent with a conversation and activity id.</summary>
    protected Task MarkDeliveredAsync() => App.WithDbAsync(async db =>
    {
        foreach (var m in await db.OutboxMessages.Where(m => m.Status == OutboxStatus.Queued).ToListAsync())
        {
            m.Status = OutboxStatus.Sent;
            m.SentAt = Clock.GetUtcNow().UtcDateTime;
            if (m.Kind == OutboxKind.Update) continue;
            m.ResultConversationId = m.ConversationId ?? $"a:chat-{m.UserId ?? m.ChannelId}";
            m.ResultActivityId = $"act-{m.Id}";
        }
        return await db.SaveChangesAsync();
    });

    /// <summary>The card the dispatcher would send for a live copy now (its card source, on the app's store).</summary>
    protected Task<JsonObject> RenderLiveAsync(OutboxMessage m) => App.WithDbAsync(async db =>
    {
        var source = App.Services.GetRequiredService<IEnumerable<ILiveCardSource>>().Single(s => m.LiveCard!.StartsWith(s.Prefix + ":", StringComparison.Ordinal));
        var json = await source.RenderAsync(db, new LiveCardCopy(m.LiveCard!, m.LiveCard![(source.Prefix.Length + 1)..], m.Kind, m.UserId, m.ChannelId,
            m.ResultConversationId ?? m.ConversationId), default);
        return (JsonObject)JsonNode.Parse(json!)!["attachments"]![0]!["content"]!;
    });

    protected static JsonObject CardIn(OutboxMessage m) => (JsonObject)JsonNode.Parse(m.ActivityJson)!["attachments"]![0]!["content"]!;

    protected static JsonObject Data(long escalationId, int version, params (string Key, string Value)[] inputs)
    {
        var o = new JsonObject { ["escalationId"] = escalationId, ["version"] = version };
        foreach (var (k, v) in inputs) o[k] = v;
        return o;
    }

    /// <summary>The titles of the card's top-level actions.</summary>
    protected static List<string> ActionTitles(JsonObject card) =>
        (card["actions"] as JsonArray ?? []).Select(a => a!["title"]!.GetValue<string>()).ToList();
}
