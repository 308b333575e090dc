using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpsBot.Data;
using OpsBot.Messaging;
using OpsBot.Metrics;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Metrics;

/// <summary>The digest calendar alone: local time in its zone, DST, business days, period keys.</summary>
public sealed class DigestScheduleTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static DateTime Utc(string s) => DateTime.SpecifyKind(DateTime.Parse(s, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);

    [Fact]
    public void Daily_local_time_follows_daylight_saving()
    {
        var d = new DigestOptions { Cadence = DigestCadence.Daily, At = TimeSpan.FromHours(8) };
        Assert.Equal(new DigestPeriod("2026-12-03", Utc("2026-12-03T07:00:00")), DigestSchedule.Latest(d, Berlin, Utc("2026-12-03T07:00:00")));
        Assert.Equal("2026-12-02", DigestSchedule.Latest(d, Berlin, Utc("2026-12-03T06:59:59"))!.Key);
        Assert.Equal(Utc("2026-07-01T06:00:00"), DigestSchedule.Latest(d, Berlin, Utc("2026-07-01T12:00:00"))!.DueAt);
        // 02:30 does not exist on 2026-03-29 in Berlin: it goes out at 03:00 CEST (01:00 UTC).
        var gap = new DigestOptions { Cadence = DigestCadence.Daily, At = new TimeSpan(2, 30, 0) };
        Assert.Equal(Utc("2026-03-29T01:00:00"), DigestSchedule.Next(gap, Berlin, Utc("2026-03-28T12:00:00"))!.DueAt);
        // 02:30 occurs twice on 2026-10-25: the first one (CEST, 00:30 UTC).
        Assert.Equal(Utc("2026-10-25T00:30:00"), DigestSchedule.Next(gap, Berlin, Utc("2026-10-24T12:00:00"))!.DueAt);
    }

    [Fact]
    public void Business_days_weekly_and_monthly()
    {
        var bd = new DigestOptions { Cadence = DigestCadence.Daily, At = TimeSpan.FromHours(8), BusinessDaysOnly = true };
        Assert.Equal("2026-12-04", DigestSchedule.Latest(bd, Berlin, Utc("2026-12-06T20:00:00"))!.Key); // Sunday: Friday's
        Assert.Equal("2026-12-07", DigestSchedule.Next(bd, Berlin, Utc("2026-12-04T20:00:00"))!.Key);
        var weekly = new DigestOptions { Cadence = DigestCadence.Weekly, At = TimeSpan.FromHours(9) };
        Assert.Equal(new DigestPeriod("2026-W50", Utc("2026-12-07T08:00:00")), DigestSchedule.Next(weekly, Berlin, Utc("2026-12-03T08:00:00")));
        var monthly = new DigestOptions { Cadence = DigestCadence.Monthly, At = TimeSpan.FromHours(7), BusinessDaysOnly = true };
        // 2026-11-01 is a Sunday: the first business day is Monday the 2nd.
        Assert.Equal(new DigestPeriod("2026-11", Utc("2026-11-02T06:00:00")), DigestSchedule.Next(monthly, Berlin, Utc("2026-10-15T00:00:00")));
        monthly.BusinessDaysOnly = false;
        Assert.Equal(new DigestPeriod("2026-11", Utc("2026-11-01T06:00:00")), DigestSchedule.Next(monthly, Berlin, Utc("2026-10-15T00:00:00")));
    }
}

public sealed class DigestOptionsTests
{
    [Theory]
    [InlineData("Metrics:Digests:x:TimeZone", "Mars/Olympus")]
    [InlineData("Metrics:Digests:x:At", "1.02:00:00")]
    [InlineData("Metrics:Digests:x:Audience:0", " ")]
    [InlineData("Metrics:DigestCheckInterval", "00:00:00")]
    public void A_digest_that_could_never_be_sent_stops_the_start(string key, string value)
    {
        using var app = new OpsBotFactory();
        app.Settings["Metrics:Digests:x:Audience:0"] = "29:lead";
        app.Settings[key] = value;
        var error = Assert.ThrowsAny<Exception>(() => app.Services);
        Assert.Contains(key.Replace(":0", "", StringComparison.Ordinal), error.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>
/// Scheduled digests over the real store with a fake clock starting Thursday 2026-12-03 06:00 UTC (07:00 in Berlin):
/// <c>leads</c> daily at 08:00 Europe/Berlin to a team lead, <c>bd</c> daily on business days, <c>week</c> weekly on Monday
/// 09:00 to leadership, <c>thanks</c> recognition monthly. Posts go through the outbox to the fake connector.
/// </summary>
public abstract class DigestTests(DatabaseProvider provider) : IAsyncLifetime
{
    public static readonly DateTimeOffset Thursday6 = new(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);
    private const string Lead = "29:lead";
    private const string Boss = "29:boss";
    private const string Member = "29:member";

    private readonly List<OpsBotFactory> _apps = [];
    private string? _tempDir;
    protected FakeConnector Connector { get; private set; } = null!;
    protected FakeTimeProvider Clock { get; } = new(Thursday6);
    protected string ConnectionString { get; private set; } = "";
    protected OpsBotFactory App { get; set; } = null!;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        Connector = await FakeConnector.StartAsync();
        var cs = await ConnectionStringAsync();
        if (cs is null)
        {
            _tempDir = Path.Combine(Path.GetTempPath(), "opsbot-digest-tests", Guid.NewGuid().ToString("n"));
            Directory.CreateDirectory(_tempDir);
            cs = $"Data Source={Path.Combine(_tempDir, "opsbot.db")}";
        }
        ConnectionString = cs;
        App = NewApp();
        _ = App.Services;
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        await Connector.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_tempDir is not null) try { Directory.Delete(_tempDir, true); } catch (IOException) { }
    }

    protected OpsBotFactory NewApp(string instance = "one")
    {
        var app = new OpsBotFactory(provider, ConnectionString) { Time = Clock };
        var s = app.Settings;
        s["Bot:AllowUnauthenticated"] = "true";
        s["Alerts:ServiceUrl"] = Connector.ServiceUrl;
        s["Alerts:TimerInterval"] = "01:00:00";
        s["Messaging:InstanceId"] = instance;
        s["Customers:Seed:0:Number"] = "SECRET";
        s["Customers:Seed:0:Name"] = "Secret Industries";
        s["Customers:Seed:0:Restricted"] = "true";
        s["Customers:Seed:0:AllowedUsers:0"] = Member;
        s["Api:Keys:erp"] = OpsBot.Api.ApiKeyHandler.Hash("erp-key");
        s["Customers:TrustedApiClients:0"] = "erp";
        s["Metrics:DigestCheckInterval"] = "00:10:00";
        s["People:Leadership:0"] = Boss;
        s["Metrics:Digests:leads:Audience:0"] = Lead;
        s["Metrics:Digests:leads:Cadence"] = "Daily";
        s["Metrics:Digests:leads:At"] = "08:00";
        s["Metrics:Digests:leads:TimeZone"] = "Europe/Berlin";
        s["Metrics:Digests:leads:Content"] = "TeamLead";
        s["Metrics:Digests:bd:Audience:0"] = Lead;
        s["Metrics:Digests:bd:Cadence"] = "Daily";
        s["Metrics:Digests:bd:At"] = "08:30";
        s["Metrics:Digests:bd:TimeZone"] = "Europe/Berlin";
        s["Metrics:Digests:bd:BusinessDaysOnly"] = "true";
        s["Metrics:Digests:bd:Content"] = "Recognition";
        s["Metrics:Digests:week:Audience:0"] = "leadership";
        s["Metrics:Digests:week:Audience:1"] = Member;
        s["Metrics:Digests:week:Cadence"] = "Weekly";
        s["Metrics:Digests:week:At"] = "09:00";
        s["Metrics:Digests:week:TimeZone"] = "Europe/Berlin";
        s["Metrics:Digests:week:BusinessDaysOnly"] = "true";
        s["Metrics:Digests:week:Content"] = "Leadership";
        s["Metrics:Digests:thanks:Audience:0"] = Boss;
        s["Metrics:Digests:thanks:Audience:1"] = Member;
        s["Metrics:Digests:thanks:Cadence"] = "Monthly";
        s["Metrics:Digests:thanks:At"] = "07:00";
        s["Metrics:Digests:thanks:TimeZone"] = "Europe/Berlin";
        s["Metrics:Digests:thanks:Content"] = "Recognition";
        s["Metrics:Digests:execs:Audience:0"] = "executives";
        s["Metrics:Digests:execs:Cadence"] = "Monthly";
        s["Metrics:Digests:execs:BusinessDaysOnly"] = "true";
        s["Metrics:Digests:execs:Content"] = "ExecutiveParticipation";
        _apps.Add(app);
        return app;
    }

    protected Task CheckAsync(OpsBotFactory? app = null) => (app ?? App).Services.GetRequiredService<DigestScheduler>().CheckAsync(default);

    protected void AdvanceClock(DateTimeOffset at)
    {
        if (at > Clock.GetUtcNow()) Clock.Advance(at - Clock.GetUtcNow());
    }

    protected async Task AdvanceToAsync(DateTimeOffset at)
    {
        AdvanceClock(at);
        await CheckAsync();
    }

    protected Task<List<DigestRun>> RunsAsync(string? name = null) => App.WithDbAsync(db =>
        db.DigestRuns.AsNoTracking().Where(r => name == null || r.Name == name).OrderBy(r => r.DueAt).ThenBy(r => r.Name).ToListAsync());

    protected Task<List<OutboxMessage>> DigestMessagesAsync() => App.WithDbAsync(db =>
        db.OutboxMessages.AsNoTracking().Where(m => m.CorrelationType == "digest").OrderBy(m => m.Id).ToListAsync());

    /// <summary>The cards the fake connector received whose text contains <paramref name="text"/>.</summary>
    protected List<RecordedCall> Delivered(string text) =>
        Connector.Posts.Where(p => p.Body?.ToJsonString(Relaxed).Contains(text, StringComparison.Ordinal) == true).ToList();

    protected static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    protected async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException("Not reached: " + what + "; outbox: " + string.Join("; ", (await DigestMessagesAsync())
                    .Select(m => $"{m.DedupeKey} {m.Kind} {m.Status} attempts {m.Attempts} next {m.NextAttemptAt:O} error {m.Error}")) + "; posts: " + Connector.Calls.Count);
            // The dispatcher's heartbeat and polling run on the fake clock: let it tick.
            Clock.Advance(TimeSpan.FromMilliseconds(250));
            foreach (var app in _apps) app.Services.GetRequiredService<OutboxDispatcher>().Wake();
            await Task.Delay(25);
        }
    }

    private async Task<JsonNode> SayAsync(string text, string user)
    {
        var before = Connector.Posts.Count();
        var client = App.CreateClient();
        var response = await client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, text, user, user, "a:personal-" + user));
        response.EnsureSuccessStatusCode();
        var conversation = "/v3/conversations/" + Uri.EscapeDataString("a:personal-" + user) + "/";
        return Assert.Single(Connector.Posts.Skip(before), p => p.Path.Contains(conversation, StringComparison.Ordinal)).Body!;
    }

    [Fact]
    public async Task Daily_digest_fires_at_its_local_time_once_per_period_through_the_outbox()
    {
        await CheckAsync();
        // Yesterday's period is older than a check interval and the digest never ran: it was configured after it, not missed.
        Assert.Empty(await RunsAsync("leads"));
        await AdvanceToAsync(Thursday6.AddMinutes(59)); // 07:59 in Berlin
        Assert.Empty(await RunsAsync("leads"));

        await AdvanceToAsync(Thursday6.AddHours(1)); // 08:00 in Berlin
        var run = Assert.Single(await RunsAsync("leads"));
        Assert.Equal(("2026-12-03", new DateTime(2026, 12, 3, 7, 0, 0), false, 1, "one"), (run.PeriodKey, run.DueAt, run.Late, run.Recipients, run.ClaimedBy));
        for (var i = 1; i <= 12; i++) await AdvanceToAsync(Thursday6.AddHours(1).AddMinutes(10 * i));
        var messages = (await DigestMessagesAsync()).Where(m => m.DedupeKey.StartsWith("digest:leads:", StringComparison.Ordinal)).ToList();
        Assert.Equal("digest:leads:2026-12-03:29:lead", Assert.Single(messages).DedupeKey);
        Assert.Single(await RunsAsync("leads"));

        await WaitUntilAsync(() => Delivered("Team lead digest · 2026-12-03").Count > 0, "the digest reaches the connector");
        var card = Assert.Single(Delivered("Team lead digest · 2026-12-03")).Body!.ToJsonString(Relaxed);
        Assert.Contains("No open alerts.", card, StringComparison.Ordinal);
        Assert.DoesNotContain("Sent late", card, StringComparison.Ordinal);
        Assert.Contains(Connector.Posts, p => p.Body?["members"]?[0]?["id"]?.GetValue<string>() == Lead);

        // The next day, again at 08:00 Berlin.
        await AdvanceToAsync(Thursday6.AddDays(1).AddMinutes(59));
        Assert.Single(await RunsAsync("leads"));
        await AdvanceToAsync(Thursday6.AddDays(1).AddHours(1));
        Assert.Equal(["2026-12-03", "2026-12-04"], (await RunsAsync("leads")).Select(r => r.PeriodKey));
    }

    [Fact]
    public async Task Business_days_and_weekly_on_monday()
    {
        // Thursday to Tuesday, checked around each send time (bd 07:30 UTC, week 08:00 UTC) and in the evening.
        for (var day = 0; day <= 5; day++)
            foreach (var minutes in new[] { 60, 89, 90, 100, 119, 120, 130, 14 * 60 })
                await AdvanceToAsync(Thursday6.AddDays(day).AddMinutes(minutes));
        Assert.Equal(["2026-12-03", "2026-12-04", "2026-12-07", "2026-12-08"], (await RunsAsync("bd")).Select(r => r.PeriodKey));
        Assert.Equal(new DateTime(2026, 12, 7, 7, 30, 0), (await RunsAsync("bd"))[2].DueAt);
        var week = Assert.Single(await RunsAsync("week"));
        Assert.Equal(("2026-W50", new DateTime(2026, 12, 7, 8, 0, 0), 2, false), (week.PeriodKey, week.DueAt, week.Recipients, week.Late));
        Assert.Empty(await RunsAsync("thanks")); // monthly: the 1st had passed before it was configured
        Assert.All(await RunsAsync(), r => Assert.False(r.Late));
        var keys = (await DigestMessagesAsync()).Select(m => m.DedupeKey).ToList();
        Assert.Equal(keys.Distinct().Count(), keys.Count);
        Assert.Contains("digest:week:2026-W50:29:boss", keys);
        Assert.Contains("digest:week:2026-W50:29:member", keys);
    }

    [Fact]
    public async Task Not_sent_again_after_a_restart_and_a_missed_period_is_sent_late_once()
    {
        await AdvanceToAsync(Thursday6.AddHours(1));
        Assert.Single(await RunsAsync("leads"));

        // Restart on the same database a little later the same day: nothing new.
        await App.DisposeAsync();
        _apps.Remove(App);
        Clock.Advance(TimeSpan.FromMinutes(3));
        App = NewApp();
        await CheckAsync();
        Assert.Single(await RunsAsync("leads"));
        Assert.Single(await DigestMessagesAsync(), m => m.DedupeKey.StartsWith("digest:leads:", StringComparison.Ordinal));

        // Down from Thursday until Saturday 10:00 UTC: Friday's and Saturday's periods missed; only Saturday's goes out, late.
        await App.DisposeAsync();
        _apps.Remove(App);
        AdvanceClock(new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero));
        App = NewApp();
        await CheckAsync();
        await CheckAsync();
        var runs = await RunsAsync("leads");
        Assert.Equal(["2026-12-03", "2026-12-05"], runs.Select(r => r.PeriodKey));
        Assert.True(runs[1].Late);
        Assert.Equal(new DateTime(2026, 12, 5, 7, 0, 0), runs[1].DueAt);
        await WaitUntilAsync(() => Delivered("Team lead digest · 2026-12-05").Count > 0, "the late digest reaches the connector");
        var card = Assert.Single(Delivered("Team lead digest · 2026-12-05")).Body!.ToJsonString(Relaxed);
        Assert.Contains("Sent late: OpsBot was not running at 08:00 (Europe/Berlin)", card, StringComparison.Ordinal);

        // Later checks that day send nothing more.
        for (var i = 1; i <= 6; i++) await AdvanceToAsync(new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero).AddMinutes(10 * i));
        Assert.Equal(2, (await RunsAsync("leads")).Count);
        Assert.Equal(2, (await DigestMessagesAsync()).Count(m => m.DedupeKey.StartsWith("digest:leads:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Two_instances_send_each_period_once()
    {
        var two = NewApp("two");
        _ = two.Services;
        AdvanceClock(Thursday6.AddHours(1));
        for (var round = 0; round < 3; round++)
            await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() => CheckAsync(i % 2 == 0 ? App : two))));
        var run = Assert.Single(await RunsAsync("leads"));
        Assert.Contains(run.ClaimedBy, new[] { "one", "two" });
        Assert.Single(await DigestMessagesAsync(), m => m.DedupeKey.StartsWith("digest:leads:", StringComparison.Ordinal));
        await WaitUntilAsync(() => Delivered("Team lead digest · 2026-12-03").Count > 0, "the digest reaches the connector");
        await Task.Delay(300);
        Assert.Single(Delivered("Team lead digest · 2026-12-03"));
    }

    [Fact]
    public async Task Content_is_filtered_per_recipient()
    {
        await App.WithDbAsync(async db =>
        {
            var secret = await db.Customers.SingleAsync(c => c.Number == "SECRET");
            db.Kudos.Add(new Kudos { FromId = Boss, ToId = "29:ann", ToName = "Ann Lee", Reason = "saved the order", ResultType = "Commitment", ResultRef = "OPP-1", At = Thursday6.UtcDateTime.AddHours(-2) });
            db.Kudos.Add(new Kudos { FromId = Boss, ToId = "29:sam", ToName = "Sam Secret", Reason = "secret rescue", ResultType = "Commitment", ResultRef = "OPP-2", CustomerId = secret.Id, At = Thursday6.UtcDateTime.AddHours(-1) });
            return await db.SaveChangesAsync();
        });
        // bd (Recognition, business days) at 08:30 Berlin covers Wednesday 08:30 to Thursday 08:30.
        await AdvanceToAsync(Thursday6.AddHours(1.5));
        Assert.Single(await RunsAsync("bd"));
        await WaitUntilAsync(() => Delivered("Recognition · 2026-12-03").Count > 0, "the recognition digest");
        var card = Delivered("Recognition · 2026-12-03")[0].Body!.ToJsonString(Relaxed);
        Assert.Contains("Ann Lee", card, StringComparison.Ordinal);
        Assert.DoesNotContain("Sam Secret", card, StringComparison.Ordinal); // the lead may not see Secret Industries

        await App.WithDbAsync(async db =>
        {
            var secret = await db.Customers.SingleAsync(c => c.Number == "SECRET");
            db.Kudos.Add(new Kudos { FromId = Boss, ToId = "29:sam", ToName = "Sam Secret", Reason = "again", ResultType = "Commitment", ResultRef = "OPP-3", CustomerId = secret.Id, At = Thursday6.UtcDateTime.AddHours(2) });
            return await db.SaveChangesAsync();
        });
        var preview = (await SayAsync("digest preview bd", Member)).ToJsonString(Relaxed);
        Assert.Contains("Preview · Recognition · 2026-12-04", preview, StringComparison.Ordinal);
        Assert.Contains("Sam Secret", preview, StringComparison.Ordinal); // a member of the restricted customer sees it
    }

    [Fact]
    public async Task Team_lead_digest_lists_open_alerts_by_severity_the_lead_may_see()
    {
        var api = App.CreateClient();
        api.DefaultRequestHeaders.Add("X-Api-Key", "erp-key");
        foreach (var (account, kind, severity) in new[] { ("CONTOSO", "late-shipment", 2), ("GLOBEX", "order-error", 2), ("SECRET", "line-down", 1) })
        {
            var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(api, "/api/alerts", new { account, kind, severity, impact = "Deliveries late" });
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        await AdvanceToAsync(Thursday6.AddHours(1));
        await WaitUntilAsync(() => Delivered("Team lead digest · 2026-12-03").Count > 0, "the team lead digest");
        var card = Delivered("Team lead digest · 2026-12-03")[0].Body!.ToJsonString(Relaxed);
        Assert.Contains("Open alerts (2)", card, StringComparison.Ordinal);
        Assert.Contains("2 open: #", card, StringComparison.Ordinal);
        Assert.Contains("Contoso (late-shipment)", card, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", card, StringComparison.Ordinal);
        Assert.DoesNotContain("Critical", card, StringComparison.Ordinal);

        var preview = (await SayAsync("digest preview leads", Member)).ToJsonString(Relaxed);
        Assert.Contains("Open alerts (3)", preview, StringComparison.Ordinal);
        Assert.Contains("Critical", preview, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preview_list_and_unknown_name()
    {
        var preview = (await SayAsync("digest preview LEADS", Lead)).ToJsonString(Relaxed);
        Assert.Contains("Preview · Team lead digest · 2026-12-03", preview, StringComparison.Ordinal);
        Assert.Contains("Preview: the next digest goes out Thu 2026-12-03 08:00 Europe/Berlin", preview, StringComparison.Ordinal);
        Assert.Empty(await RunsAsync()); // a preview sends nothing and claims no period

        var week = (await SayAsync("digest preview week", Boss)).ToJsonString(Relaxed);
        Assert.Contains("Preview · Leadership digest · 2026-W50", week, StringComparison.Ordinal);
        Assert.Contains("0 raised · 0 resolved", week, StringComparison.Ordinal);
        Assert.Contains("No open issue.", week, StringComparison.Ordinal);
        var execs = (await SayAsync("digest preview execs", Boss)).ToJsonString(Relaxed);
        Assert.Contains("Preview · Executive participation · 2027-01", execs, StringComparison.Ordinal);
        Assert.Contains("Complaints resolved per executive (minimum 3)", execs, StringComparison.Ordinal);

        var unknown = (await SayAsync("digest preview nope", Lead))["text"]!.GetValue<string>();
        Assert.Equal("There is no digest 'nope'. Configured digests: bd, execs, leads, thanks, week.", unknown);

        await AdvanceToAsync(Thursday6.AddHours(1));
        var list = (await SayAsync("digest list", Boss))["text"]!.GetValue<string>();
        Assert.Contains("**leads**: TeamLead, daily at 08:00 to 29:lead; next Fri 2026-12-04 08:00 Europe/Berlin; last 2026-12-03 sent Thu 2026-12-03 08:00 Europe/Berlin to 1", list, StringComparison.Ordinal);
        Assert.Contains("**week**: Leadership, weekly at 09:00 (business days) to leadership, 29:member; next Mon 2026-12-07 09:00 Europe/Berlin; never run", list, StringComparison.Ordinal);
    }
}

public sealed class SqliteDigestTests() : DigestTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresDigestTests(PostgresServer server) : DigestTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
