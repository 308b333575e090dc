using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Alerts;
using OpsBot.BotFramework.Schema;
using OpsBot.Commitments;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Messaging;
using OpsBot.Metrics;
using OpsBot.Testing;

// Usage: dotnet run -c Release --project bench/MetricsLoad -- [output=bench/results/metrics.md] [sqlite|postgres]
// The metrics benchmarks of issue #17 over one year of activity for 500 people (about a million facts), on a SQLite file and on a
// PostgreSQL started for the run; OpsBot runs in-process (WebApplicationFactory, the real /api/messages pipeline).
var output = args.Length > 0 ? args[0] : Path.Combine("bench", "results", "metrics.md");
var only = args.Length > 1 ? args[1] : "";
const int People = 500, TeamSize = 10, Leaders = 50, Executives = 20, CardSamples = 60;
var now = new DateTime(2026, 12, 3, 9, 0, 0, DateTimeKind.Utc);
var yearAgo = now.AddDays(-365);

Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_OPSBOT", Path.GetFullPath(Path.Combine("src", "OpsBot")));
var loadAtStart = LoadAverage();
var rows = new List<string>();
var seeding = new List<string>();

if (only != "postgres") await RunAsync(DatabaseProvider.Sqlite, null);
if (only != "sqlite")
{
    var pg = new PostgresServer();
    await pg.InitializeAsync();
    try { await RunAsync(DatabaseProvider.Postgres, pg); }
    finally { await pg.DisposeAsync(); }
}

var md = new StringBuilder();
md.AppendLine("# Metrics at scale (issue #17)");
md.AppendLine();
md.AppendLine(CultureInfo.InvariantCulture, $"`bench/MetricsLoad` (`./build.sh bench metrics`), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores shared with other jobs (load average at start {loadAtStart}, at end {LoadAverage()}), .NET {Environment.Version}, Release.");
md.AppendLine("OpsBot runs in the driver's process (WebApplicationFactory: real middleware and `/api/messages` pipeline, auth off) over a SQLite file and");
md.AppendLine(CultureInfo.InvariantCulture, $"a PostgreSQL server started for the run. The store holds one year of generated activity for {People} people in {People / TeamSize} teams of {TeamSize}");
md.AppendLine(CultureInfo.InvariantCulture, $"({Executives} of them executives, 50 customers of which 5 restricted): commitments with their four downstream forms, header corrections,");
md.AppendLine("complaints, alerts with action-plan steps and kudos, spread evenly over the year (counts under Seeding).");
md.AppendLine();
md.AppendLine(CultureInfo.InvariantCulture, $"- **metrics team**: `metrics team <name> last month` (a full month) typed by the team's manager to `/api/messages`, {CardSamples} times over random teams after warm-up;");
md.AppendLine("  timed from the request to its answer, which includes computing every metric for the month, the previous one and four more for the");
md.AppendLine("  trend, rendering two ScottPlot charts, creating the CSV download link and sending the card to the loopback connector.");
md.AppendLine(CultureInfo.InvariantCulture, $"- **leadership digest**: one check of the real `DigestScheduler` with a weekly `Leadership` digest due for its audience `leadership` ({Leaders} people):");
md.AppendLine("  claiming the period, computing each leader's card with what that leader may see (the week's alerts, complaints, commitments and forms,");
md.AppendLine("  the top open issues), rendering it and queueing one outbox message per leader in one transaction.");
md.AppendLine();
md.AppendLine("| Database | Measurement | Samples | p50 ms | p95 ms | max ms | Target | Met |");
md.AppendLine("|---|---|---|---|---|---|---|---|");
foreach (var r in rows) md.AppendLine(r);
md.AppendLine();
md.AppendLine("## Seeding");
md.AppendLine();
foreach (var line in seeding) md.AppendLine("- " + line);
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
await File.WriteAllTextAsync(output, md.ToString());
Console.WriteLine(md);
return 0;

async Task RunAsync(DatabaseProvider provider, PostgresServer? pg)
{
    var label = provider == DatabaseProvider.Sqlite ? "SQLite" : "PostgreSQL";
    var dir = Path.Combine(Path.GetTempPath(), "opsbot-bench-" + Guid.NewGuid().ToString("n"));
    Directory.CreateDirectory(dir);
    await using var connector = await BenchConnector.StartAsync();
    // METRICSLOAD_SQLITE_FILE: measure again on a SQLite file an earlier run seeded (no seeding); METRICSLOAD_SQL=1 logs every statement with its time.
    var reuse = pg is null ? Environment.GetEnvironmentVariable("METRICSLOAD_SQLITE_FILE") : null;
    await using var app = new BenchApp(provider, pg is null ? $"Data Source={reuse ?? Path.Combine(dir, "metrics.db")}" : await pg.CreateDatabaseAsync());
    if (Environment.GetEnvironmentVariable("METRICSLOAD_SQL") == "1") app.Settings["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information";
    app.Settings["Bot:AllowUnauthenticated"] = "true";
    app.Settings["Bot:RateLimits:Enabled"] = "false";
    app.Settings["Escalations:SchedulerEnabled"] = "false";
    app.Settings["Alerts:TimerInterval"] = "01:00:00";
    app.Settings["Commitments:ScanInterval"] = "01:00:00";
    app.Settings["Messaging:DispatcherEnabled"] = "false";
    app.Settings["Metrics:TimeZone"] = "Europe/Berlin";
    app.Settings["Metrics:DigestCheckInterval"] = "1.00:00:00";
    app.Settings["Metrics:Digests:weekly:Content"] = "Leadership";
    app.Settings["Metrics:Digests:weekly:Cadence"] = "Weekly";
    app.Settings["Metrics:Digests:weekly:Audience:0"] = "leadership";
    for (var t = 0; t < People / TeamSize; t++)
    {
        app.Settings[$"Metrics:Teams:t{t}:Manager"] = $"29:m{t}";
        for (var m = 0; m < TeamSize; m++)
        {
            app.Settings[$"Metrics:Teams:t{t}:Members:{m}:Id"] = $"29:p{t * TeamSize + m}";
            app.Settings[$"Metrics:Teams:t{t}:Members:{m}:Name"] = $"Person {t * TeamSize + m}";
        }
    }
    for (var l = 0; l < Leaders; l++) app.Settings[$"People:Leadership:{l}"] = $"29:l{l}";
    for (var e = 0; e < Executives; e++)
    {
        app.Settings[$"People:Executives:{e}:Id"] = $"e{e}";
        app.Settings[$"People:Executives:{e}:Name"] = $"Executive {e}";
        app.Settings[$"People:Executives:{e}:UserId"] = $"29:p{e * 25}";
    }
    _ = app.Services;
    var seed = Stopwatch.StartNew();
    var counts = reuse is null ? await SeedAsync(app, connector.ServiceUrl, pg is not null) : "(reused) " + reuse;
    seeding.Add(string.Create(CultureInfo.InvariantCulture, $"{label}: {counts} in {seed.Elapsed.TotalSeconds:0} s."));

    var client = app.CreateClient();
    var rnd = new Random(17);
    async Task<double> CardAsync(int team)
    {
        var manager = $"29:m{team}";
        var activity = Activities.Message(connector.ServiceUrl, $"metrics team t{team} last month", manager, "Manager " + team, "a:personal-" + manager);
        var watch = Stopwatch.StartNew();
        var answer = await client.PostActivityAsync(activity);
        answer.EnsureSuccessStatusCode();
        return watch.Elapsed.TotalMilliseconds;
    }
    for (var i = 0; i < 5; i++) await CardAsync(rnd.Next(People / TeamSize));
    var calls = connector.Calls;
    var times = new List<double>();
    for (var i = 0; i < CardSamples; i++) times.Add(await CardAsync(rnd.Next(People / TeamSize)));
    if (connector.Calls - calls < CardSamples) throw new InvalidOperationException("not every metrics card reached the connector");
    rows.Add(Row(label, "metrics team (card with charts)", times, 500));

    // The real scheduler: a weekly leadership digest whose last period went out, so this week's is due; one check computes every
    // leader's card and queues it (the background check at start found it not yet due: no earlier run).
    await app.WithDbAsync(async db =>
    {
        db.DigestRuns.Add(new DigestRun { Name = "weekly", PeriodKey = "2000-W01", DueAt = yearAgo, ClaimedAt = yearAgo, SentAt = yearAgo });
        return await db.SaveChangesAsync();
    });
    var scheduler = app.Services.GetRequiredService<DigestScheduler>();
    var digest = Stopwatch.StartNew();
    var sent = await scheduler.CheckAsync(default);
    digest.Stop();
    var queued = await app.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.CorrelationType == "digest"));
    if (sent != 1 || queued != Leaders) throw new InvalidOperationException($"the digest check sent {sent} digest(s) and queued {queued} card(s), not 1 and {Leaders}");
    rows.Add(Row(label, $"weekly leadership digest, {Leaders} leaders computed and queued", [digest.Elapsed.TotalMilliseconds], 10_000));
    try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
}

async Task<string> SeedAsync(BenchApp app, string serviceUrl, bool postgres)
{
    var customers = await app.WithDbAsync(async db =>
    {
        for (var c = 0; c < 50; c++)
            db.Customers.Add(new Customer { Number = $"C-{c:000}", Name = $"Customer {c}", SearchName = $"customer {c}", Restricted = c % 10 == 0, CreatedAt = yearAgo,
                Members = c % 10 == 0 ? [new CustomerMember { Kind = MemberKind.Person, Key = "29:p1" }] : [] });
        await db.SaveChangesAsync();
        return await db.Customers.Select(c => c.Id).ToListAsync();
    });
    var rnd = new Random(1);
    DateTime When() => yearAgo.AddMinutes(rnd.Next(365 * 24 * 60));
    string Person() => $"29:p{rnd.Next(People)}";
    int Customer() => customers[rnd.Next(customers.Count)];

    async Task Batch(int count, Action<OpsBotDbContext, int> add)
    {
        for (var start = 0; start < count; start += 2000)
        {
            // The same random numbers on a retry: the chunk is added again exactly as it was.
            var state = rnd.Next();
            for (var attempt = 1; ; attempt++)
            {
                rnd = new Random(state);
                try
                {
                    await app.WithDbAsync(async db =>
                    {
                        db.ChangeTracker.AutoDetectChangesEnabled = false;
                        for (var i = start; i < Math.Min(count, start + 2000); i++) add(db, i);
                        return await db.SaveChangesAsync();
                    });
                    break;
                }
                catch (Exception ex) when (attempt < 5 && StoreErrors.IsUnavailable(ex))
                {
                    // SQLite busy behind one of the app's own background writers: try the chunk again.
                    await Task.Delay(500);
                }
            }
        }
    }

    await Batch(100_000, (db, i) =>
    {
        var at = When();
        var owner = Person();
        var c = new Commitment
        {
            OpportunityId = $"OPP-{i:000000}", CustomerId = Customer(), CustomerName = "Customer", MasterAgreementRef = "MSA", CustomerPoNumber = $"PO-{i}",
            CommittedValue = 1000, Currency = "EUR", CommitDate = DateOnly.FromDateTime(at), RequestedDeliveryDate = DateOnly.FromDateTime(at).AddDays(30), ShipToSite = "Plant",
            BillToSite = "HQ", PaymentTerms = "NET30", AccountOwnerId = owner, AccountOwnerName = owner, CreatedById = owner, CreatedByName = owner, CreatedAt = at,
            UpdatedById = owner, UpdatedByName = owner, UpdatedAt = at, ServiceUrl = serviceUrl, TenantId = Activities.TenantId, Version = 1,
            ConfirmedWarnings = rnd.Next(10) == 0 ? "value-outside-usual" : "",
        };
        foreach (var kind in Enum.GetValues<FormKind>())
        {
            var due = at.AddDays(3);
            // History is worked off: only forms due in the last three days may still be open (else the app's overdue scan, not
            // the metrics, would be measured); one in five was confirmed late.
            var confirmed = due > now.AddDays(-3) && rnd.Next(2) == 0 ? (DateTime?)null : due.AddHours(rnd.Next(5) == 0 ? rnd.Next(1, 48) : -rnd.Next(1, 48));
            c.Forms.Add(new DownstreamForm { Kind = kind, Role = (OwnerRole)((int)kind % 4), DueAt = due, Status = confirmed is null ? FormStatus.Open : FormStatus.Confirmed,
                ConfirmedAt = confirmed, ConfirmedById = confirmed is null ? null : Person(), ConfirmedByName = "Someone" });
        }
        if (rnd.Next(3) == 0)
        {
            c.Enrichments.Add(new Enrichment { OpportunityId = c.OpportunityId, Field = "requestedDeliveryDate", Value = "2027-01-01", PreviousValue = "2026-12-01", ById = owner, ByName = owner, At = at.AddDays(5) });
        }
        db.Commitments.Add(c);
    });
    await Batch(20_000, (db, i) =>
    {
        var at = When();
        var resolved = rnd.Next(10) < 7;
        db.Escalations.Add(new Escalation
        {
            IdempotencyKey = $"bench-{i}", CustomerId = Customer(), Account = "Customer", Summary = "Late", RepUserId = Person(), RepName = "Rep", ServiceUrl = serviceUrl,
            TenantId = Activities.TenantId, AssigneeId = $"e{rnd.Next(Executives)}", Status = resolved ? EscalationStatus.Resolved : EscalationStatus.Acknowledged,
            CreatedAt = at, AssignedAt = at, AcknowledgedAt = at.AddHours(rnd.Next(1, 8)), FirstContactAt = at.AddHours(rnd.Next(2, 12)),
            ResolvedAt = resolved ? at.AddHours(rnd.Next(8, 96)) : null, CustomerSatisfied = resolved ? rnd.Next(4) > 0 : null,
            AcknowledgeDueAt = at.AddHours(4), ContactDueAt = at.AddHours(8), ResolveDueAt = at.AddHours(48), LastActionAt = at,
        });
    });
    await Batch(60_000, (db, i) =>
    {
        var at = When();
        var owner = Person();
        var alert = new Alert
        {
            CustomerId = Customer(), Account = "Customer", Kind = "late-shipment", Impact = "Late", Severity = (Severity)rnd.Next(1, 5), RaisedById = owner, RaisedByName = owner,
            CreatedAt = at, AcknowledgedAt = at.AddMinutes(rnd.Next(5, 90)), ResolvedAt = at.AddHours(rnd.Next(1, 48)), Status = AlertStatus.Resolved, OwnerId = owner, OwnerName = owner,
            GroupKey = $"g{i}", ServiceUrl = serviceUrl,
        };
        for (var s = 0; s < 2; s++)
        {
            var due = at.AddHours(rnd.Next(4, 72));
            alert.Plan.Add(new AlertPlanStep { Title = "Step", OwnerId = owner, OwnerName = owner, DueAt = due, DoneAt = due.AddHours(rnd.Next(4) > 0 ? -rnd.Next(1, 24) : rnd.Next(1, 12)) });
        }
        db.Alerts.Add(alert);
    });
    await Batch(20_000, (db, i) =>
    {
        db.Kudos.Add(new Kudos { FromId = Person(), ToId = Person(), Reason = "Thanks", ResultType = "Commitment", ResultRef = "OPP", CustomerId = Customer(), At = When() });
    });
    if (postgres) await app.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("VACUUM ANALYZE"));
    var (commitments, forms, corrections, complaints, alerts, steps, kudos) = await app.WithDbAsync(async db => (
        (long)await db.Commitments.CountAsync(), (long)await db.DownstreamForms.CountAsync(), (long)await db.Enrichments.CountAsync(), (long)await db.Escalations.CountAsync(),
        (long)await db.Alerts.CountAsync(), (long)await db.AlertPlanSteps.CountAsync(), (long)await db.Kudos.CountAsync()));
    var total = commitments + forms + corrections + complaints + alerts + steps + kudos;
    return string.Create(CultureInfo.InvariantCulture,
        $"{total:N0} facts — {commitments:N0} commitments, {forms:N0} downstream forms, {corrections:N0} header corrections, {complaints:N0} complaints, {alerts:N0} alerts, {steps:N0} plan steps, {kudos:N0} kudos");
}

static string Row(string database, string name, List<double> ms, double targetMs)
{
    var sorted = ms.Order().ToList();
    double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    return string.Create(CultureInfo.InvariantCulture,
        $"| {database} | {name} | {sorted.Count} | {At(0.5):0} | {At(0.95):0} | {sorted[^1]:0} | < {targetMs:0} ms | {(At(0.95) < targetMs ? "yes" : "NO")} |");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
