using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.Data;
using OpsBot.Testing;

// Usage: dotnet run -c Release --project bench/EscalationLoad -- [executives=50] [actionsPerExecutive=20] [output=bench/results/escalation-card-action.md] [thinkMs=1000, 0 = stress only] [sqlite|postgres]
// Two runs per database: "stress" (each executive clicks again as soon as the answer arrives) and "paced" (a human-like
// pause of thinkMs ± 50 % between an executive's clicks), all executives at once.
// Runs OpsBot in-process (WebApplicationFactory, real middleware and /api/messages pipeline) on SQLite and on a
// PostgreSQL started for the run, and measures each Action.Execute from request to the updated card in the answer.
var executives = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
var perExecutive = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var output = args.Length > 2 ? args[2] : Path.Combine("bench", "results", "escalation-card-action.md");
var thinkMs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1000;
const int WarmUpActions = 3;

// WebApplicationFactory finds OpsBot's content root from this variable when run outside the test project.
Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_OPSBOT", Path.GetFullPath(Path.Combine("src", "OpsBot")));

DbCommands.Start();
var loadAtStart = LoadAverage();
var results = new List<(string Provider, string Mode, Stats Stats)>();
// Optional 5th argument "sqlite" or "postgres" runs one database only (for profiling); the result file always gets both.
var only = args.Length > 4 ? args[4] : "";
var thinks = thinkMs > 0 ? new[] { 0, thinkMs } : [0];
if (only != "postgres")
    foreach (var think in thinks)
        results.Add(("SQLite", Mode(think), await RunAsync(DatabaseProvider.Sqlite, null, think)));
if (only != "sqlite")
{
    var pg = new PostgresServer();
    await pg.InitializeAsync();
    try
    {
        foreach (var think in thinks)
            results.Add(("PostgreSQL", Mode(think), await RunAsync(DatabaseProvider.Postgres, await pg.CreateDatabaseAsync(), think)));
    }
    finally { await pg.DisposeAsync(); }
}

var md = new StringBuilder();
md.AppendLine("# Escalation card action under load");
md.AppendLine();
md.AppendLine(CultureInfo.InvariantCulture, $"`bench/EscalationLoad`, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores shared with other jobs (load average at start {loadAtStart}, at end {LoadAverage()}), .NET {Environment.Version}, Release.");
md.AppendLine(CultureInfo.InvariantCulture, $"{executives} executives act concurrently, {perExecutive} actions each (after {WarmUpActions} untimed warm-up actions each): every action is an");
md.AppendLine("`adaptiveCard/action` invoke (`escalation.contact`, a Log contact with note) on the executive's own complaint through `/api/messages`:");
md.AppendLine("authorise → version check → transactional write (complaint, timeline event, rep notification and the in-place updates of the");
md.AppendLine("executive's posted card and the rep's card in the outbox, one `SaveChanges`) → updated card rendered into the HTTP answer.");
md.AppendLine("In-process host (WebApplicationFactory): no network hop, real pipeline and database. Every executive's card is delivered before");
md.AppendLine("the run (so each action updates that posted copy too); OpsBot's outbox dispatcher keeps delivering during the run, in the same");
md.AppendLine("process, to a loopback fake Bot Connector (`bench/Shared/BenchConnector.cs`) at Teams' pace (50 calls/s per tenant).");
md.AppendLine();
md.AppendLine("CPU ms/action = process CPU time during the run ÷ actions (includes the load driver and the dispatcher; the PostgreSQL server's own");
md.AppendLine("CPU is outside the process and has its own column); it depends far less on how busy the shared machine is than the latencies do.");
md.AppendLine("KB allocated/action = managed allocations in the process ÷ actions. In stress mode latency ≈ concurrency ÷ throughput (Little's law).");
md.AppendLine("OpsBot runs in the driver's process under its own runtime settings (`src/OpsBot/Runtime.props`: workstation, non-concurrent GC,");
md.AppendLine("gen0 budget 16 MB, tiered compilation without quick JIT or PGO). The warm-up actions are not timed: by then code is compiled, EF's");
md.AppendLine("queries are compiled, the directory is cached and the pooled PostgreSQL connections have prepared their statements, as on a running server.");
md.AppendLine();
md.AppendLine("PostgreSQL server CPU ms/action = CPU time of the PostgreSQL server's processes (from `/proc`) during the run ÷ actions; it shares");
md.AppendLine("the same cores. DB commands/action = database round trips through EF during the run ÷ actions (a batched `SaveChanges` is one;");
md.AppendLine("includes the dispatcher's polling and claims; the redelivery record's own writer is not counted).");
md.AppendLine();
md.AppendLine("| Database | Mode | Actions | Errors | Throughput (actions/s) | CPU ms/action | PostgreSQL server CPU ms/action | DB commands/action | KB allocated/action | p50 ms | p95 ms | p99 ms | max ms | p95 < 300 ms |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var (provider, mode, s) in results)
    md.AppendLine(CultureInfo.InvariantCulture, $"| {provider} | {mode} | {s.Count} | {s.Errors} | {s.Throughput:0} | {s.CpuMsPerAction:0.0} | {(s.ServerCpuMsPerAction is { } sc ? sc.ToString("0.0", CultureInfo.InvariantCulture) : "—")} | {s.CommandsPerAction:0.0} | {s.KbPerAction:0} | {s.P50:0.0} | {s.P95:0.0} | {s.P99:0.0} | {s.Max:0.0} | {(s.P95 < 300 ? "yes" : "NO")} |");
md.AppendLine();
md.AppendLine("## Notes");
md.AppendLine("- Per action (5 EF round trips, on one pooled connection held for the action): the complaint, the last timeline events, the");
md.AppendLine("  customer history (open commitments, recent alerts and earlier complaints in one `UNION ALL` statement) and the posted copies");
md.AppendLine("  (ids only) are read, all as EF compiled queries; the executive directory comes from its in-process cache (`DirectoryCache`:");
md.AppendLine("  invalidated by any save that touches it, reloaded at least every 30 s for changes made by other instances); the three cards");
md.AppendLine("  are rendered; then one `SaveChanges` commits the version-checked update, the event and the outbox rows. A lost race rolls all");
md.AppendLine("  of it back and answers with the current card. The redelivery record adds one insert and one update through its own");
md.AppendLine("  group-commit writer (not counted in DB commands/action).");
md.AppendLine("- PostgreSQL (`src/OpsBot/Data/DataExtensions.cs`): Npgsql defaults unless the connection string sets them: auto-prepare");
md.AppendLine("  (`Max Auto Prepare=100`, `Auto Prepare Min Usages=2`) with `plan_cache_mode=force_generic_plan`, so recurring statements are");
md.AppendLine("  parsed and planned once per pooled connection, and `No Reset On Close` (OpsBot keeps no session state), so a connection keeps");
md.AppendLine("  its prepared statements when it goes back to the pool. The benchmark's server is the test fixture's (`fsync=off`,");
md.AppendLine("  `max_connections=1000`, pool up to 100 connections); `synchronous_commit` stays at its durable default.");
md.AppendLine("- SQLite (`src/OpsBot/Data`): WAL, `synchronous=NORMAL`, pragmas once per pooled native connection, pooled DbContexts, and");
md.AppendLine("  write transactions queued first come first served per database file (`SqliteWriteGate`) instead of SQLite's busy-handler sleeps.");
md.AppendLine("- Latencies on a shared 2-core machine follow its load (see the load averages above); compare CPU ms/action between runs.");
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
await File.WriteAllTextAsync(output, md.ToString());
Console.WriteLine(md);
return results.All(r => r.Stats.Errors == 0) ? 0 : 1;

async Task<Stats> RunAsync(DatabaseProvider provider, string? connectionString, int think)
{
    var dir = Path.Combine(Path.GetTempPath(), "opsbot-bench-" + Guid.NewGuid().ToString("n"));
    Directory.CreateDirectory(dir);
    // The real clock: the outbox dispatcher paces and delivers in real time, to a loopback connector that accepts everything.
    await using var connector = await BenchConnector.StartAsync();
    await using var app = new BenchApp(provider, connectionString ?? $"Data Source={Path.Combine(dir, "bench.db")}");
    app.Settings["Escalations:SchedulerEnabled"] = "false";
    for (var i = 0; i < executives; i++)
    {
        app.Settings[$"People:Executives:{i}:Id"] = $"exec{i}";
        app.Settings[$"People:Executives:{i}:Name"] = $"Executive {i}";
        app.Settings[$"People:Executives:{i}:UserId"] = $"29:exec-{i}";
        app.Settings[$"People:Executives:{i}:MonthlyCapacity"] = "10";
    }
    var client = app.CreateClient();
    var serviceUrl = connector.ServiceUrl;

    var escalations = new long[executives];
    for (var i = 0; i < executives; i++)
    {
        var form = EscalationForm($"Account {i}", $"exec{i}");
        await PostAsync(client, Activities.Execute(serviceUrl, "escalation.submit", form, "29:rep-one", replyToId: $"form-{i}"));
        var key = "form:" + form["formId"]!.GetValue<string>();
        escalations[i] = await app.WithDbAsync(db => db.Escalations.Where(c => c.IdempotencyKey == key).Select(c => c.Id).SingleAsync());
    }

    // Every executive's card is posted before the run, so each action also updates that copy in place, as in Teams.
    for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(200))
    {
        var unsent = await app.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.CorrelationType == "escalation" && m.ResultActivityId == null));
        if (unsent == 0) break;
    }

    var versions = new int[executives];
    var errors = 0;
    async Task<double> ActAsync(int i, int n)
    {
        var data = new JsonObject
        {
            ["escalationId"] = escalations[i], ["version"] = versions[i],
            ["contactNote"] = $"Call {n}: walked the customer through the recovery plan.", ["contactChannel"] = "call",
        };
        var activity = Activities.Execute(serviceUrl, "escalation.contact", data, $"29:exec-{i}", replyToId: $"card-{i}", conversationId: $"a:exec-{i}");
        var t = Stopwatch.GetTimestamp();
        var body = await PostAsync(client, activity);
        var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        if (body.Contains("Done: you logged a call", StringComparison.Ordinal)) versions[i]++;
        else Interlocked.Increment(ref errors);
        return ms;
    }

    // Warm-up, untimed: every executive acts a few times at once, so code is compiled, EF's queries are compiled and the
    // pooled connections have their statements prepared before the measurement starts (a running server is in that state).
    await Task.WhenAll(Enumerable.Range(0, executives).Select(i => Task.Run(async () =>
    {
        for (var n = 0; n < WarmUpActions; n++) await ActAsync(i, n);
    })));
    var warmUpErrors = errors;

    var samples = new List<double>[executives];
    var clock = Stopwatch.StartNew();
    var cpu = Environment.CpuUsage.TotalTime;
    var commands = DbCommands.Executed;
    var serverCpu = await ServerCpuMsAsync(provider, connectionString);
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    await Task.WhenAll(Enumerable.Range(0, executives).Select(i => Task.Run(async () =>
    {
        samples[i] = [];
        // Paced: people do not all click at the same instant, so each starts at a random point of a think time.
        if (think > 0) await Task.Delay(Random.Shared.Next(think));
        for (var n = 0; n < perExecutive; n++)
        {
            samples[i].Add(await ActAsync(i, WarmUpActions + n));
            if (think > 0) await Task.Delay(Random.Shared.Next(think / 2, think * 3 / 2));
        }
    })));
    var elapsed = clock.Elapsed;
    var cpuMs = (Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds;
    var commandCount = DbCommands.Executed - commands;
    var serverCpuMs = await ServerCpuMsAsync(provider, connectionString) - serverCpu;
    var allocatedKb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0;
    var all = samples.SelectMany(s => s).Order().ToList();
    await app.DisposeAsync(); // stops the dispatcher before its database goes
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try { Directory.Delete(dir, true); } catch (IOException) { }
    var actions = all.Count;
    return new Stats(all.Count, errors - warmUpErrors, actions / elapsed.TotalSeconds, cpuMs / actions, provider == DatabaseProvider.Postgres ? serverCpuMs / actions : null,
        (double)commandCount / actions, allocatedKb / actions, Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99), all[^1]);
}

static async Task<string> PostAsync(HttpClient client, OpsBot.BotFramework.Schema.Activity activity)
{
    var response = await client.PostActivityAsync(activity);
    var body = await response.Content.ReadAsStringAsync();
    if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{(int)response.StatusCode}: {body}");
    return body;
}

// The escalation form as a rep submits it from the card.
static JsonObject EscalationForm(string account, string executive) => new()
{
    ["account"] = account,
    ["contact"] = "Jane Doe, procurement",
    ["summary"] = "Second late delivery this quarter, line 2 stopped.",
    ["impact"] = "Six hours of lost production",
    ["desiredOutcome"] = "Credit note and root-cause report",
    ["severity"] = "High",
    ["orderRef"] = "SO-1",
    ["opportunityRef"] = "",
    ["executive"] = executive,
    ["formId"] = Guid.NewGuid().ToString("n"),
    ["alertId"] = "",
    ["sourceLink"] = "",
    ["sourceAuthor"] = "",
    ["origin"] = "Command",
};

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

static string Mode(int think) => think == 0 ? "stress (no pause)" : $"paced ({think} ms ± 50 %)";

// CPU of the PostgreSQL server (postmaster, its backends and reaped children) from /proc, found through its data directory.
static async Task<double> ServerCpuMsAsync(DatabaseProvider provider, string? connectionString)
{
    if (provider != DatabaseProvider.Postgres || !OperatingSystem.IsLinux()) return 0;
    await using var conn = new Npgsql.NpgsqlConnection(connectionString);
    await conn.OpenAsync();
    await using var cmd = new Npgsql.NpgsqlCommand("SHOW data_directory", conn);
    var dataDir = (string)(await cmd.ExecuteScalarAsync())!;
    var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDir, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
    double ticks = 0;
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
        string stat;
        try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // f[0] = state (field 3), so field n is f[n - 3]
        var ppid = int.Parse(f[1], CultureInfo.InvariantCulture);
        if (pid != postmaster && ppid != postmaster) continue;
        ticks += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture); // utime, stime
        if (pid == postmaster) ticks += long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture); // cutime, cstime
    }
    return ticks * 1000.0 / 100; // USER_HZ
}


internal sealed record Stats(int Count, int Errors, double Throughput, double CpuMsPerAction, double? ServerCpuMsPerAction, double CommandsPerAction, double KbPerAction, double P50, double P95, double P99, double Max);
