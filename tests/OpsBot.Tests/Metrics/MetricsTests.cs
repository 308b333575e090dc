using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpsBot.Alerts;
using OpsBot.Audit;
using OpsBot.BotFramework.Schema;
using OpsBot.Commitments;
using OpsBot.Customers;
using OpsBot.Escalations;
using OpsBot.Metrics;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Metrics;

/// <summary>
/// The metrics against a hand-computed month of facts in Europe/Berlin (October 2026, which ends an hour later in UTC than it
/// began because summer time ends on the 25th), through the service, the chat command, the card's CSV link and kudos.
/// </summary>
public abstract class MetricsTests(DatabaseProvider provider) : IAsyncLifetime
{
    private const string Ann = "29:ann", Bob = "29:bob", Mia = "29:mia", Ceo = "29:ceo", Zed = "29:zed", Exa = "29:exa";
    private static readonly DateTime Now = new(2026, 11, 10, 9, 0, 0, DateTimeKind.Utc);
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private readonly FakeTimeProvider _clock = new(Now);
    private FakeConnector _connector = null!;
    private OpsBotFactory _app = null!;
    private long _e1;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _app = new OpsBotFactory(provider, await ConnectionStringAsync()) { Time = _clock };
        var s = _app.Settings;
        s["Bot:AllowUnauthenticated"] = "true";
        s["Alerts:TimerInterval"] = "01:00:00";
        s["Metrics:TimeZone"] = "Europe/Berlin";
        s["Metrics:ExecutiveMonthlyMinimum"] = "3";
        s["Metrics:Teams:north:Manager"] = Mia;
        s["Metrics:Teams:north:Members:0:Id"] = Ann;
        s["Metrics:Teams:north:Members:0:Name"] = "Ann Rep";
        s["Metrics:Teams:north:Members:1:Id"] = Bob;
        s["Metrics:Teams:north:Members:1:Name"] = "Bob Rep";
        s["Metrics:Teams:north:Members:2:Id"] = Exa;
        s["Metrics:Teams:north:Members:2:Name"] = "Exa Exec";
        s["People:Leadership:0"] = Ceo;
        s["People:Executives:0:Id"] = "exa";
        s["People:Executives:0:Name"] = "Exa Exec";
        s["People:Executives:0:UserId"] = Exa;
        s["Customers:Seed:0:Number"] = "ACME-DE";
        s["Customers:Seed:0:Name"] = "Acme Deutschland GmbH";
        s["Customers:Seed:1:Number"] = "SECRET";
        s["Customers:Seed:1:Name"] = "Secret Industries";
        s["Customers:Seed:1:Restricted"] = "true";
        s["Customers:Seed:1:AllowedUsers:0"] = Ann;
        await SeedAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    private static DateTime Utc(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, DateTimeKind.Utc);

    /// <summary>Ann's October: five commitments (one on the restricted customer), one in late September by local time; two forms, two complaints, two alerts, one kudos.</summary>
    private async Task SeedAsync()
    {
        var (acme, secret) = await _app.WithDbAsync(async db => (
            await db.Customers.Where(c => c.Number == "ACME-DE").Select(c => c.Id).SingleAsync(),
            await db.Customers.Where(c => c.Number == "SECRET").Select(c => c.Id).SingleAsync()));
        await _app.WithDbAsync(async db =>
        {
            db.Commitments.Add(Commitment("C1", acme, Utc(9, 30, 22, 30), "", null,
                new DownstreamForm { Kind = FormKind.SalesOrderDraft, Role = OwnerRole.OrderDesk, DueAt = Utc(10, 5, 12), Status = FormStatus.Confirmed, ConfirmedAt = Utc(10, 4, 12), ConfirmedById = Ann, ConfirmedByName = "Ann Rep" },
                new DownstreamForm { Kind = FormKind.CommissionCredit, Role = OwnerRole.OrderDesk, DueAt = Utc(10, 6, 12), Status = FormStatus.Confirmed, ConfirmedAt = Utc(10, 8, 12), ConfirmedById = Ann, ConfirmedByName = "Ann Rep" }));
            db.Commitments.Add(Commitment("C2", acme, Utc(10, 15, 9), "value-outside-usual", null));
            db.Commitments.Add(Commitment("C3", acme, Utc(10, 20, 9), "", "form-3"));
            db.Commitments.Add(Commitment("C4", acme, Utc(9, 30, 21, 30), "", null)); // 23:30 on 30 September in Berlin
            db.Commitments.Add(Commitment("C5", acme, Utc(10, 31, 22, 30), "", null)); // 23:30 on 31 October in Berlin (winter time)
            db.Commitments.Add(Commitment("C6", secret, Utc(10, 10, 9), "", null));
            db.Audit(Utc(10, 20, 8, 55), Ann, "Ann Rep", "capture-warned", "CaptureForm", "form-3", note: "ship-to-unknown,value-outside-usual");
            var e1 = Complaint(acme, Utc(10, 2, 10));
            e1.AcknowledgedAt = Utc(10, 2, 12);
            e1.FirstContactAt = Utc(10, 2, 15);
            e1.ResolvedAt = Utc(10, 3, 10);
            e1.Status = EscalationStatus.Resolved;
            e1.CustomerSatisfied = true;
            var e2 = Complaint(acme, Utc(10, 12, 10));
            e2.AcknowledgedAt = Utc(10, 12, 16);
            e2.Status = EscalationStatus.Acknowledged;
            db.Escalations.AddRange(e1, e2);
            db.Alerts.Add(Alert(acme, Utc(10, 5, 9), Utc(10, 5, 9, 10), Utc(10, 5, 12)));
            db.Alerts.Add(Alert(acme, Utc(10, 6, 9), Utc(10, 6, 9, 45), null));
            db.Kudos.Add(new Kudos { FromId = Bob, FromName = "Bob Rep", ToId = Ann, ToName = "Ann Rep", Reason = "Saved C1", ResultType = "Commitment", ResultRef = "OPP-C1", CustomerId = acme, At = Utc(10, 7, 9) });
            await db.SaveChangesAsync();
            _e1 = e1.Id;
            return 0;
        });
    }

    private Commitment Commitment(string name, int customer, DateTime created, string confirmed, string? formId, params DownstreamForm[] forms) => new()
    {
        OpportunityId = "OPP-" + name, CustomerId = customer, CustomerName = "Customer", MasterAgreementRef = "MSA-1", CustomerPoNumber = "PO-" + name,
        CommittedValue = 1000, Currency = "EUR", CommitDate = DateOnly.FromDateTime(created), RequestedDeliveryDate = DateOnly.FromDateTime(created).AddDays(60),
        ShipToSite = "Plant", BillToSite = "HQ", PaymentTerms = "NET30", AccountOwnerId = Ann, AccountOwnerName = "Ann Rep", CreatedById = Ann, CreatedByName = "Ann Rep",
        CreatedAt = created, UpdatedById = Ann, UpdatedByName = "Ann Rep", UpdatedAt = created, ServiceUrl = _connector.ServiceUrl, TenantId = Activities.TenantId,
        ConfirmedWarnings = confirmed, CaptureFormId = formId, Forms = [.. forms],
    };

    private Escalation Complaint(int customer, DateTime created) => new()
    {
        IdempotencyKey = "k-" + created.Ticks, CustomerId = customer, Account = "Acme", Summary = "Late", RepUserId = Bob, RepName = "Bob Rep",
        ServiceUrl = _connector.ServiceUrl, TenantId = Activities.TenantId, AssigneeId = "exa", Status = EscalationStatus.Assigned, CreatedAt = created, AssignedAt = created,
        AcknowledgeDueAt = created.AddHours(4), ContactDueAt = created.AddHours(8), ResolveDueAt = created.AddHours(48), LastActionAt = created,
    };

    private Alert Alert(int customer, DateTime created, DateTime? acknowledged, DateTime? resolved) => new()
    {
        CustomerId = customer, Account = "Acme", Kind = "late-shipment", Impact = "Late", Severity = OpsBot.Data.Severity.High, RaisedById = Bob, RaisedByName = "Bob Rep",
        CreatedAt = created, AcknowledgedAt = acknowledged, ResolvedAt = resolved, Status = resolved is null ? AlertStatus.Acknowledged : AlertStatus.Resolved,
        OwnerId = Ann, OwnerName = "Ann Rep", GroupKey = "acme|" + created.Ticks, ServiceUrl = _connector.ServiceUrl,
    };

    private async Task<Dictionary<string, MetricLine>> MetricsAsync(MetricsScope scope, Viewer viewer)
    {
        await using var services = _app.Services.CreateAsyncScope();
        var metrics = services.ServiceProvider.GetRequiredService<MetricsService>();
        var period = MetricsPeriod.Parse("2026-10", Now, metrics.Zone, out _)!;
        var report = await metrics.ComputeAsync(scope, period, viewer, default);
        return report.Lines.ToDictionary(l => l.Key);
    }

    private async Task<JsonNode> AskAsync(string text, string user, Entity[]? entities = null)
    {
        var conversation = "a:personal-" + user;
        var before = _connector.Posts.Count();
        var activity = Activities.Message(_connector.ServiceUrl, text, user, "Person " + user, conversation);
        activity.Entities = entities?.ToList();
        (await _app.CreateClient().PostActivityAsync(activity)).EnsureSuccessStatusCode();
        return _connector.Posts.Skip(before).Last(p => p.Path.Contains(Uri.EscapeDataString(conversation), StringComparison.Ordinal)).Body!;
    }

    [Fact]
    public async Task Each_metric_matches_the_hand_computed_month_in_Berlin_time()
    {
        var m = await MetricsAsync(new MetricsScope(MetricsScope.Person, "Ann", [Ann]), new Viewer(Ann, null, "Ann Rep"));
        Assert.Equal(5, m["orders.captured"].Value); // C1, C2, C3, C5 (31 Oct local), C6; not C4 (30 Sep local)
        Assert.Equal(1, m["orders.captured"].Previous);
        Assert.Equal(60, m["orders.clean"].Value); // C1, C5, C6 of 5
        Assert.Equal(2, m["orders.corrected"].Value);
        Assert.Equal(1, m["orders.confirmed"].Value);
        Assert.Equal(2, m["forms.from_header"].Value);
        Assert.Equal(50, m["forms.on_time"].Value);
        Assert.Equal(50, m["alerts.ack_in_target"].Value);
        Assert.Equal(3, m["alerts.resolve_hours"].Value);
        Assert.Equal(1, m["kudos.received"].Value);

        var exec = await MetricsAsync(new MetricsScope(MetricsScope.Person, "Exa", [Exa]), new Viewer(Exa, null, "Exa Exec"));
        Assert.Equal(2, exec["complaints.opened"].Value);
        Assert.Equal(4, exec["complaints.ack_hours"].Value); // 2 h and 6 h
        Assert.Equal(50, exec["complaints.ack_in_sla"].Value);
        Assert.Equal(5, exec["complaints.contact_hours"].Value); // the first complaint's contact, 5 h after assignment
        Assert.Equal(100, exec["complaints.resolve_in_sla"].Value);
        Assert.Equal(100, exec["complaints.satisfied"].Value);
        Assert.Equal(1, exec["exec.resolved"].Value);
    }

    [Fact]
    public void Periods_begin_at_local_midnight_and_a_week_with_the_end_of_summer_time_lasts_169_hours()
    {
        var october = MetricsPeriod.Of(PeriodKind.Month, new DateOnly(2026, 10, 15), Berlin);
        Assert.Equal(Utc(9, 30, 22), october.Start);
        Assert.Equal(Utc(10, 31, 23), october.End);
        Assert.Equal("2026-10", october.Key);
        var week = MetricsPeriod.Of(PeriodKind.Week, new DateOnly(2026, 10, 25), Berlin);
        Assert.Equal(new DateOnly(2026, 10, 19), week.FirstDay);
        Assert.Equal(TimeSpan.FromHours(169), week.End - week.Start);
        Assert.Equal("2026-W43", week.Key);
        Assert.Equal("2026-Q4", MetricsPeriod.Parse("2026-q4", Now, Berlin, out _)!.Key);
        Assert.Equal("2026-10", MetricsPeriod.Parse("last month", Now, Berlin, out _)!.Key);
        Assert.Null(MetricsPeriod.Parse("fortnight", Now, Berlin, out var error));
        Assert.Contains("2026-Q4", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_total_never_includes_a_restricted_customers_figures_for_someone_not_allowed_on_it()
    {
        var team = new MetricsScope(MetricsScope.TeamKind, "team north", [Ann, Bob, Exa], Team: "north");
        var manager = await MetricsAsync(team, new Viewer(Mia, null, "Mia Manager"));
        Assert.Equal(4, manager["orders.captured"].Value);
        Assert.Equal(50, manager["orders.clean"].Value); // C1, C5 of C1, C2, C3, C5
        var ann = await MetricsAsync(team, new Viewer(Ann, null, "Ann Rep"));
        Assert.Equal(5, ann["orders.captured"].Value);
    }

    [Fact]
    public async Task People_see_their_own_managers_their_team_leadership_everyone_and_a_refusal_is_audited()
    {
        var own = await AskAsync("metrics me 2026-10", Ann);
        var card = own["attachments"]![0]!["content"]!.ToJsonString();
        Assert.Contains("Metrics: Person 29:ann", card, StringComparison.Ordinal);
        Assert.Contains("October 2026, compared with September 2026", card, StringComparison.Ordinal);
        Assert.Contains("data:image/png;base64,iVBORw0KGgo", card, StringComparison.Ordinal);

        var team = (await AskAsync("metrics team north 2026-10", Mia))["attachments"]![0]!["content"]!.ToJsonString();
        Assert.Contains("Exa Exec (1 of 3)", team, StringComparison.Ordinal);
        Assert.Contains("Metrics:", (await AskAsync("metrics all last month", Ceo))["attachments"]![0]!["content"]!.ToJsonString(), StringComparison.Ordinal);

        var mention = new Entity { Type = "mention", Text = "<at>Ann Rep</at>", Mentioned = new ChannelAccount { Id = Ann, Name = "Ann Rep" } };
        Assert.Contains("Metrics: Ann Rep", (await AskAsync("metrics <at>Ann Rep</at> 2026-10", Mia, [mention]))["attachments"]![0]!["content"]!.ToJsonString(), StringComparison.Ordinal);
        var refused = (await AskAsync("metrics <at>Ann Rep</at> 2026-10", Bob, [mention]))["text"]!.GetValue<string>();
        Assert.Contains("not allowed", refused, StringComparison.Ordinal);
        Assert.Contains("not allowed", (await AskAsync("metrics team north", Zed))["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "metrics-denied")));

        Assert.Contains("There is no team 'sout'. Teams: north", (await AskAsync("metrics team sout", Mia))["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("I don't know the period", (await AskAsync("metrics me 2026-13", Ann))["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Did you mean: Ann Rep", (await AskAsync("metrics an", Ceo))["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var empty = (await AskAsync("metrics me 2025-01", Ann))["attachments"]![0]!["content"]!.ToJsonString();
        Assert.Contains("Nothing happened in January 2025", empty, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Image\"", empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cards_csv_link_needs_no_key_expires_and_only_ever_gives_its_own_persons_data()
    {
        var card = (await AskAsync("metrics me 2026-10", Ann))["attachments"]![0]!["content"]!;
        var link = new Uri(card["actions"]![0]!["url"]!.GetValue<string>()).PathAndQuery;
        var client = _app.CreateClient();
        var csv = await (await client.GetAsync(link)).Content.ReadAsStringAsync();
        Assert.StartsWith("scope,period,group,metric,name,value,previous,unit", csv, StringComparison.Ordinal);
        Assert.Contains(",2026-10,Order quality,orders.captured,Commitments captured,5,1,", csv, StringComparison.Ordinal);
        Assert.Equal(csv, await (await client.GetAsync(link + "?scope=person:" + Bob)).Content.ReadAsStringAsync());

        _clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.Gone, (await client.GetAsync(link)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/metrics.csv?scope=all")).StatusCode);
    }

    [Fact]
    public async Task Kudos_for_a_customer_result_reach_the_person_and_count_in_their_metrics()
    {
        var mention = new Entity { Type = "mention", Text = "<at>Ann Rep</at>", Mentioned = new ChannelAccount { Id = Ann, Name = "Ann Rep" } };
        Assert.Contains("customer result", (await AskAsync("kudos <at>Ann Rep</at> great work", Bob, [mention]))["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Thanks sent to Ann Rep", (await AskAsync($"kudos <at>Ann Rep</at> calmed the customer on ESC-{_e1}", Bob, [mention]))["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("someone else", (await AskAsync($"kudos <at>Ann Rep</at> me on ESC-{_e1}", Ann, [mention]))["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var stored = await _app.WithDbAsync(db => db.Kudos.SingleAsync(k => k.ResultType == "Escalation"));
        Assert.Equal($"ESC-{_e1}", stored.ResultRef);
        // Through the outbox to Ann and to her manager.
        var queued = await _app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.CorrelationType == "kudos").ToListAsync());
        Assert.Contains(queued, m => m.UserId == Ann && m.ActivityJson.Contains("Kudos from Person 29:bob", StringComparison.Ordinal));
        Assert.Contains(queued, m => m.UserId == Mia && m.ActivityJson.Contains("Ann Rep got kudos", StringComparison.Ordinal));
        var m = await MetricsAsync(new MetricsScope(MetricsScope.Person, "Ann", [Ann]), new Viewer(Ann, null, "Ann Rep"));
        Assert.Equal(1, m["kudos.received"].Value); // October's; this one counts in November
    }
}

public sealed class SqliteMetricsTests() : MetricsTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresMetricsTests(PostgresServer server) : MetricsTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
