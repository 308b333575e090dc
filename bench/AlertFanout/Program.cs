// Alert fan-out load driver: OpsBot as separate processes, a loopback connector that enforces Teams' limits (7 calls/s and
// 8 per 2 s per conversation, 50 calls/s per tenant → 429 Retry-After 1), one alert routed to N channels. Modes:
//   clean     one instance on SQLite, friendly connector (plus the POST → first channel post latency)
//   faults    two instances on one PostgreSQL, 30 % of writes answered 429 Retry-After 1 on top of Teams' limits
//   restarts  two instances on one PostgreSQL, friendly connector: a clean run, then a run with the server restarted
//             (pg_ctl restart -m fast) at 1/3 and 2/3 of the deliveries
// Usage: dotnet run -c Release --project bench/AlertFanout -- [clean|faults|restarts|all ...] [conversations=10000] [latencyAlerts=20]
using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using OpsBot.Testing;

var modes = args.Where(a => !char.IsAsciiDigit(a[0])).SelectMany(a => a.Split(',')).ToList();
if (modes.Count == 0 || modes.Contains("all")) modes = ["clean", "faults", "restarts"];
if (modes.FirstOrDefault(m => m is not ("clean" or "faults" or "restarts")) is { } unknown)
{
    Console.Error.WriteLine($"unknown mode '{unknown}' (clean, faults, restarts, all)");
    return 2;
}
var numbers = args.Where(a => char.IsAsciiDigit(a[0])).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToList();
var conversations = numbers.Count > 0 ? numbers[0] : 10_000;
var latencyAlerts = numbers.Count > 1 ? numbers[1] : 20;

await using var connector = await Connector.StartAsync();
var dir = Path.Combine(Path.GetTempPath(), "opsbot-bench-" + Guid.NewGuid().ToString("n"));
Directory.CreateDirectory(dir);
Bench.WriteSettings(dir, connector.ServiceUrl, conversations);
var sections = new Dictionary<string, string>();
PostgresServer? postgres = null;
try
{
    foreach (var mode in modes)
    {
        await Bench.WaitForQuietMachineAsync();
        if (mode != "clean" && postgres is null)
        {
            postgres = new PostgresServer();
            await postgres.InitializeAsync();
        }
        sections[mode] = mode switch
        {
            "clean" => await Bench.CleanAsync(connector, dir, conversations, latencyAlerts),
            "faults" => await Bench.FaultsAsync(connector, dir, postgres!, conversations),
            _ => await Bench.RestartsAsync(connector, dir, postgres!, conversations),
        };
        Bench.WriteResults(sections, conversations);
    }
}
finally
{
    if (postgres is not null) await postgres.DisposeAsync();
    try { Directory.Delete(dir, true); } catch (IOException) { }
}
return 0;

static class Bench
{
    public const int TenantLimit = 50, ConversationLimit = 7, ConversationLimit2s = 8;
    private const string ApiKey = "bench-key";

    public static void WriteSettings(string dir, string serviceUrl, int conversations)
    {
        var settings = new JsonObject
        {
            ["Api"] = new JsonObject { ["Keys"] = new JsonObject { ["bench"] = OpsBot.Api.ApiKeyHandler.Hash(ApiKey) } },
            ["Bot"] = new JsonObject { ["DefaultServiceUrl"] = serviceUrl },
            ["Alerts"] = new JsonObject
            {
                ["ServiceUrl"] = serviceUrl, ["TenantId"] = "bench-tenant", ["DigestHourUtc"] = 24, ["TimerInterval"] = "01:00:00",
                ["Routes"] = new JsonArray(
                    new JsonObject { ["Name"] = "fanout", ["Account"] = "Fanout", ["Channels"] = new JsonArray(Enumerable.Range(0, conversations).Select(n => (JsonNode)new JsonObject { ["ChannelId"] = $"19:c{n}@thread.tacv2" }).ToArray()) },
                    new JsonObject { ["Name"] = "latency", ["Account"] = "Latency", ["Channels"] = new JsonArray(new JsonObject { ["ChannelId"] = "19:latency@thread.tacv2" }) }),
            },
        };
        File.WriteAllText(Path.Combine(dir, "appsettings.json"), settings.ToJsonString());
    }

    /// <summary>A measured run must not share the 2 cores with a test suite: waits (checking every minute) until none runs.</summary>
    public static async Task WaitForQuietMachineAsync()
    {
        for (var waited = 0; Environment.GetEnvironmentVariable("BENCH_NO_WAIT") != "1"; waited++)
        {
            using var pgrep = Process.Start(new ProcessStartInfo("pgrep", ["-f", "dotnet test|testhost"]) { RedirectStandardOutput = true })!;
            var output = await pgrep.StandardOutput.ReadToEndAsync();
            await pgrep.WaitForExitAsync();
            if (output.Trim().Length == 0) return;
            Console.WriteLine($"a test run is using the machine (pgrep: {output.Trim().Replace('\n', ' ')}); waiting ({waited} min so far)");
            await Task.Delay(TimeSpan.FromMinutes(1));
        }
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    // ---- clean: one instance, SQLite, friendly connector
    public static async Task<string> CleanAsync(Connector connector, string dir, int conversations, int latencyAlerts)
    {
        var load = LoadAverage();
        connector.Reset(throttleRate: 0);
        var db = $"Data Source={Path.Combine(dir, "clean.db")}";
        var env = new Dictionary<string, string> { ["Database__Provider"] = "Sqlite", ["Database__ConnectionString"] = db, ["Database__MigrateOnStartup"] = "true" };
        await using var bot = await Bot.StartAsync("bot-a", dir, env);

        var latencies = new List<double>();
        for (var n = 0; n < latencyAlerts; n++)
        {
            var sw = Stopwatch.StartNew();
            var id = await RaiseAsync(bot, "Latency", $"latency probe {n}");
            while (!connector.HasPost(id)) await Task.Delay(2);
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            await Task.Delay(200);
        }
        latencies.Sort();
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];

        var r = await FanOutAsync(connector, [bot], () => new Microsoft.Data.Sqlite.SqliteConnection(db), conversations);
        var s = new StringBuilder();
        s.AppendLine($"## Clean: one instance, SQLite, friendly connector (Teams' limits only)");
        s.AppendLine();
        s.AppendLine($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average when it started: {load}.");
        s.AppendLine();
        s.AppendLine("| Metric | Value | Target |");
        s.AppendLine("|---|---|---|");
        r.CommonRows(s, conversations, faultMode: false);
        s.AppendLine($"| POST /api/alerts → first channel post ({latencyAlerts} alerts, one at a time) | p50 {P(0.5):F0} ms, p95 {P(0.95):F0} ms, max {latencies.Max():F0} ms | p95 < 1 s |");
        s.AppendLine();
        r.MemorySamples(s);
        return s.ToString();
    }

    // ---- faults: two instances, PostgreSQL, 30 % of writes answered 429
    public static async Task<string> FaultsAsync(Connector connector, string dir, PostgresServer postgres, int conversations)
    {
        var load = LoadAverage();
        connector.Reset(throttleRate: 0.3);
        var (bots, cs) = await StartPairAsync(dir, postgres);
        FanOut r;
        try { r = await FanOutAsync(connector, bots, () => new NpgsqlConnection(cs), conversations); }
        finally { foreach (var b in bots) await b.DisposeAsync(); }
        var s = new StringBuilder();
        s.AppendLine("## Faults: two instances, PostgreSQL, 30 % of writes answered 429 (Retry-After 1) on top of Teams' limits");
        s.AppendLine();
        s.AppendLine($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average when it started: {load}.");
        s.AppendLine();
        s.AppendLine("| Metric | Value | Target |");
        s.AppendLine("|---|---|---|");
        r.CommonRows(s, conversations, faultMode: true);
        s.AppendLine();
        r.MemorySamples(s);
        return s.ToString();
    }

    // ---- restarts: two instances, PostgreSQL, friendly connector; a clean run, then one with two server restarts
    public static async Task<string> RestartsAsync(Connector connector, string dir, PostgresServer postgres, int conversations)
    {
        var load = LoadAverage();
        var runs = new List<(string Name, FanOut Result)>();
        foreach (var restarts in new[] { false, true })
        {
            connector.Reset(throttleRate: 0);
            var (bots, cs) = await StartPairAsync(dir, postgres);
            try
            {
                var done = 0;
                runs.Add((restarts ? "two restarts" : "no restart", await FanOutAsync(connector, bots, () => new NpgsqlConnection(cs), conversations,
                    !restarts ? null : async delivered =>
                    {
                        if (done >= 2 || delivered < conversations * (done + 1) / 3) return null;
                        done++;
                        var sw = Stopwatch.StartNew();
                        await postgres.RestartAsync("fast");
                        return $"restart {done} at {delivered:N0} delivered: `pg_ctl restart -m fast` took {sw.Elapsed.TotalSeconds:F1} s";
                    })));
            }
            finally { foreach (var b in bots) await b.DisposeAsync(); }
        }
        var (clean, restarted) = (runs[0].Result, runs[1].Result);
        var s = new StringBuilder();
        s.AppendLine("## Restarts: two instances, PostgreSQL, friendly connector, the server restarted twice during the fan-out");
        s.AppendLine();
        s.AppendLine($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average when it started: {load}. The same configuration twice, each on a fresh database");
        s.AppendLine("with fresh instances: first without a restart, then with `pg_ctl restart -m fast` once a third and once two thirds of the");
        s.AppendLine("conversations had their post.");
        s.AppendLine();
        s.AppendLine("| Metric | No restart | Two restarts | Target |");
        s.AppendLine("|---|---|---|---|");
        void Row(string metric, Func<FanOut, string> value, string target) =>
            s.AppendLine($"| {metric} | {value(clean)} | {value(restarted)} | {target} |");
        var delta = (restarted.Total - clean.Total).TotalSeconds;
        Row("Total time (POST → last channel post)", r => $"{r.Total.TotalSeconds:F1} s", $"two restarts within 10 s of no restart (Δ {(delta < 0 ? "−" : "+")}{Math.Abs(delta):F1} s)");
        Row("Delivered / lost", r => $"{r.Distinct:N0} / {conversations - r.Distinct}", "0 lost");
        Row("Duplicates (flagged / unflagged)", r => $"{r.Duplicates} ({r.FlaggedDuplicates} / {r.Duplicates - r.FlaggedDuplicates})", "0, or all flagged");
        Row("Outbox status", r => r.StatusText, "all Sent, none Failed");
        Row("Rows flagged possibly duplicated", r => r.Flagged.ToString(CultureInfo.InvariantCulture), "—");
        Row("Posts per second (first → last post)", r => $"{r.PostRate:F1}", "—");
        Row("Requests at the connector per second (first → last post)", r => $"{r.RequestRate:F1} = {r.RequestRate / TenantLimit:P1} of {TenantLimit}/s", "—");
        Row("Longest gap between two posts", r => $"{r.LongestGap.TotalSeconds:F2} s", "—");
        Row("Max calls in 1 s (tenant) / per conversation in 1 s / 2 s", r => $"{r.MaxTenant1s} / {r.MaxConversation1s} / {r.MaxConversation2s}", $"≤ {TenantLimit} / {ConversationLimit} / {ConversationLimit2s}");
        Row("429 answers (Teams' limits)", r => r.LimitRefusals.ToString(CultureInfo.InvariantCulture), "—");
        Row("Sent by", r => r.SentByText, "—");
        Row("Working set per instance (idle / first / max / end, MB)", r => r.MemoryText, "flat");
        Row("Warnings / errors logged (see below)", r => r.LogText, "—");
        s.AppendLine();
        foreach (var e in restarted.Events) s.AppendLine($"- {e}");
        s.AppendLine();
        foreach (var (name, r) in runs) r.MemorySamples(s, name);
        return s.ToString();
    }

    private static async Task<(Bot[] Bots, string ConnectionString)> StartPairAsync(string dir, PostgresServer postgres)
    {
        var cs = await postgres.CreateDatabaseAsync();
        var env = new Dictionary<string, string> { ["Database__Provider"] = "Postgres", ["Database__ConnectionString"] = cs, ["Database__MigrateOnStartup"] = "false" };
        await Bot.MigrateAsync(dir, env);
        var bots = await Task.WhenAll(Bot.StartAsync("bot-a", dir, env), Bot.StartAsync("bot-b", dir, env));
        return (bots, cs);
    }

    private static async Task<string> RaiseAsync(Bot bot, string account, string impact)
    {
        var r = await bot.Http.PostAsJsonAsync("/api/alerts", new { account, kind = "line-down", severity = 3, impact });
        var body = await r.Content.ReadAsStringAsync();
        if (r.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"POST /api/alerts answered {(int)r.StatusCode}: {body}");
        return JsonNode.Parse(body)!["id"]!.ToString();
    }

    /// <summary>
    /// Raises one alert for the fan-out route through the first instance and waits until every conversation has its post and
    /// every row is settled (or a time-out). <paramref name="progress"/> is called with the number of conversations posted so
    /// far, about ten times a second, and may return an event to report.
    /// </summary>
    private static async Task<FanOut> FanOutAsync(Connector connector, Bot[] bots, Func<DbConnection> db, int conversations, Func<int, Task<string?>>? progress = null)
    {
        var idle = bots.Select(b => b.WorkingSet()).ToArray();
        var cpuBefore = bots.Select(b => b.Cpu()).ToArray();
        var memory = bots.Select(_ => new List<long>()).ToArray();
        var events = new List<string>();
        var started = DateTime.UtcNow;
        var sw = Stopwatch.StartNew();
        var alert = await RaiseAsync(bots[0], "Fanout", "fan-out benchmark");
        var timeout = TimeSpan.FromSeconds(conversations / 30.0 + 120);
        var nextSample = TimeSpan.Zero;
        List<Row> rows = [];
        while (sw.Elapsed < timeout)
        {
            if (sw.Elapsed >= nextSample)
            {
                for (var i = 0; i < bots.Length; i++) memory[i].Add(bots[i].WorkingSet());
                nextSample += TimeSpan.FromSeconds(1);
            }
            var delivered = connector.Distinct(alert);
            if (progress is not null && await progress(delivered) is { } e) events.Add(e);
            if (delivered >= conversations)
            {
                rows = await RowsAsync(db, alert);
                if (rows.Count > 0 && rows.All(r => r.Status is not ("Queued" or "InFlight"))) break;
            }
            await Task.Delay(100);
        }
        // Late repeats of a post (an ambiguous attempt retried) would come within a few seconds.
        await Task.Delay(TimeSpan.FromSeconds(3));
        rows = await RowsAsync(db, alert);
        var cpu = bots.Select((b, i) => b.Cpu() - cpuBefore[i]).ToArray();
        var calls = connector.Calls.Where(c => c.At >= started).ToList();
        return new FanOut(conversations, alert, started, calls, rows, bots.Select(b => b.Id).ToArray(), idle, memory, cpu,
            bots.Select(b => b.LogSummary()).ToArray(), events);
    }

    private static async Task<List<Row>> RowsAsync(Func<DbConnection> db, string alert)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var conn = db();
                await conn.OpenAsync();
                await using var cmd = conn.CreateCommand();
                cmd.CommandText = """
                    SELECT "ChannelId", "Status", "RepeatedAfterAmbiguousFailure", "SentBy", "Throttles" FROM "OutboxMessages"
                    WHERE "CorrelationType" = 'alert' AND "CorrelationId" = @id AND "Kind" = 'CreateChannelThread'
                    """;
                var p = cmd.CreateParameter();
                p.ParameterName = "@id";
                p.Value = alert;
                cmd.Parameters.Add(p);
                var rows = new List<Row>();
                await using var reader = await cmd.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                    rows.Add(new Row(reader.GetString(0), reader.GetString(1), Convert.ToBoolean(reader.GetValue(2), CultureInfo.InvariantCulture),
                        reader.IsDBNull(3) ? null : reader.GetString(3), Convert.ToInt32(reader.GetValue(4), CultureInfo.InvariantCulture)));
                return rows;
            }
            catch (DbException) when (attempt < 50)
            {
                await Task.Delay(200); // the server is being restarted
            }
        }
    }

    public static void WriteResults(Dictionary<string, string> sections, int conversations)
    {
        var file = Path.Combine(FindRepoRoot(), "bench", "results", "alert-fanout.md");
        var previous = File.Exists(file) ? File.ReadAllText(file) : "";
        var s = new StringBuilder();
        s.AppendLine("# Alert fan-out benchmark");
        s.AppendLine();
        s.AppendLine("`bench/AlertFanout` (`./build.sh bench alerts [clean|faults|restarts]`, default all three; or");
        s.AppendLine("`dotnet run -c Release --project bench/AlertFanout -- [clean|faults|restarts|all] [conversations=10000] [latencyAlerts=20]`).");
        s.AppendLine($"One alert is raised with `POST /api/alerts` on the first instance and routed to {conversations:N0} channel conversations; each gets one");
        s.AppendLine("new thread (a POST to `/v3/conversations`). Release build, OpsBot as separate processes (`dotnet OpsBot.dll`, a temporary");
        s.AppendLine($"content root holding the route), dispatcher defaults (PerTenantPerSecond 50 × RateSafetyFactor 0.98 = 49/s), on {Environment.ProcessorCount} cores.");
        s.AppendLine("The loopback connector in the driver enforces Teams' limits on every call it receives, as Teams counts them (refused calls");
        s.AppendLine($"included): {ConversationLimit} calls/s and {ConversationLimit2s} per 2 s per conversation, {TenantLimit} calls/s for the tenant, else 429 Retry-After 1.");
        s.AppendLine("Windows are sliding, on the connector's clock. Two-instance modes run two processes (`Messaging__InstanceId` bot-a, bot-b) on");
        s.AppendLine("one PostgreSQL 15 database; the driver starts that server itself (initdb in a temp folder, a free loopback port, `fsync=off`)");
        s.AppendLine("and gives each run a fresh database and fresh instances. Before each mode the driver waits until no test run uses the machine.");
        s.AppendLine();
        s.AppendLine("Metrics: *lost* = route conversations that never got a processed post; *duplicates* = conversations that got more than one,");
        s.AppendLine("with whether their outbox row is flagged `RepeatedAfterAmbiguousFailure` (shown as \"possibly duplicated\"); *requests per");
        s.AppendLine("second* = every call the connector received (429s included) from the first to the last post of the fan-out, against the");
        s.AppendLine("allowed 50/s; *working set* = the process's RSS sampled every second (idle before the alert / first sample / max / end).");
        s.AppendLine();
        foreach (var mode in new[] { "clean", "faults", "restarts" })
        {
            var text = sections.TryGetValue(mode, out var fresh) ? fresh : Section(previous, mode);
            if (text is null) continue;
            s.AppendLine($"<!-- mode:{mode} -->");
            s.Append(text.TrimEnd()).AppendLine();
            s.AppendLine($"<!-- /mode:{mode} -->");
            s.AppendLine();
        }
        var notes = Section(previous, "notes");
        s.AppendLine("<!-- mode:notes -->");
        s.Append((notes ?? "## Notes\n").TrimEnd()).AppendLine();
        s.AppendLine("<!-- /mode:notes -->");
        File.WriteAllText(file, s.ToString());
        Console.WriteLine(s);
    }

    private static string? Section(string text, string mode)
    {
        var start = text.IndexOf($"<!-- mode:{mode} -->", StringComparison.Ordinal);
        var end = text.IndexOf($"<!-- /mode:{mode} -->", StringComparison.Ordinal);
        return start < 0 || end < start ? null : text[(start + $"<!-- mode:{mode} -->".Length)..end].Trim();
    }

    private static string FindRepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "OpsBot.sln"))) d = d.Parent;
        return d?.FullName ?? Directory.GetCurrentDirectory();
    }
}

sealed record Row(string Channel, string Status, bool Flagged, string? SentBy, int Throttles);

sealed record FanOut(int Conversations, string Alert, DateTime Started, List<Call> Calls, List<Row> Rows, string[] Instances,
    long[] Idle, List<long>[] Memory, TimeSpan[] Cpu, (int Warnings, int Errors, string Kinds)[] Logs, List<string> Events)
{
    private List<Call> Posts => Calls.Where(c => c.Outcome == Outcome.Processed && c.Method == "POST" && c.Alert == Alert).OrderBy(c => c.At).ToList();
    public int Distinct => Posts.Select(c => c.Conversation).Distinct().Count();
    private List<string> DuplicateChannels => Posts.GroupBy(c => c.Conversation).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
    public int Duplicates => DuplicateChannels.Count;
    public int FlaggedDuplicates => DuplicateChannels.Count(ch => Rows.Any(r => r.Channel == ch && r.Flagged));
    public int Flagged => Rows.Count(r => r.Flagged);
    public TimeSpan Total => Posts.Count == 0 ? TimeSpan.Zero : Posts[^1].At - Started;
    private (DateTime First, DateTime Last) Span => (Posts[0].At, Posts[^1].At);
    public double PostRate => Posts.Count < 2 ? 0 : (Posts.Count - 1) / (Span.Last - Span.First).TotalSeconds;
    private List<Call> InSpan => Calls.Where(c => c.At >= Span.First && c.At <= Span.Last).ToList();
    public double RequestRate => Posts.Count < 2 ? 0 : (InSpan.Count - 1) / (Span.Last - Span.First).TotalSeconds;
    public int LimitRefusals => Calls.Count(c => c.Outcome == Outcome.Limit);
    public int FaultRefusals => Calls.Count(c => c.Outcome == Outcome.Fault429);
    public int Updates => Calls.Count(c => c.Outcome == Outcome.Processed && c.Method == "PUT");
    public TimeSpan LongestGap => Posts.Zip(Posts.Skip(1), (a, b) => b.At - a.At).DefaultIfEmpty(TimeSpan.Zero).Max();
    public int MaxTenant1s => MaxInWindow(Calls.Select(c => c.At), TimeSpan.FromSeconds(1));
    public int MaxConversation1s => Calls.GroupBy(c => c.Conversation).DefaultIfEmpty().Max(g => g is null ? 0 : MaxInWindow(g.Select(c => c.At), TimeSpan.FromSeconds(1)));
    public int MaxConversation2s => Calls.GroupBy(c => c.Conversation).DefaultIfEmpty().Max(g => g is null ? 0 : MaxInWindow(g.Select(c => c.At), TimeSpan.FromSeconds(2)));
    public string StatusText => string.Join(", ", Rows.GroupBy(r => r.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count():N0}"));
    public string SentByText => string.Join(", ", Rows.GroupBy(r => r.SentBy ?? "(none)").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count():N0}"));
    public string MemoryText => string.Join("; ", Instances.Select((id, i) =>
        $"{id} {Idle[i] / 1048576} / {Memory[i].FirstOrDefault() / 1048576} / {Memory[i].DefaultIfEmpty().Max() / 1048576} / {Memory[i].LastOrDefault() / 1048576}"));
    public string CpuText => string.Join("; ", Instances.Select((id, i) => $"{id} {Cpu[i].TotalSeconds:F1} s"));
    public string LogText => string.Join("; ", Instances.Select((id, i) => $"{id} {Logs[i].Warnings} / {Logs[i].Errors}"));

    private static int MaxInWindow(IEnumerable<DateTime> at, TimeSpan window)
    {
        var times = at.Order().ToList();
        var best = 0;
        for (int end = 0, start = 0; end < times.Count; end++)
        {
            while (times[end] - times[start] >= window) start++;
            best = Math.Max(best, end - start + 1);
        }
        return best;
    }

    public void CommonRows(StringBuilder s, int conversations, bool faultMode)
    {
        var limit = Bench.TenantLimit;
        s.AppendLine($"| Delivered (distinct conversations) / lost | {Distinct:N0} of {conversations:N0} / {conversations - Distinct} | all / 0 |");
        s.AppendLine($"| Duplicates (flagged / unflagged) | {Duplicates} ({FlaggedDuplicates} / {Duplicates - FlaggedDuplicates}) | 0 unflagged |");
        s.AppendLine($"| Outbox status (route rows) | {StatusText} | all Sent |");
        s.AppendLine($"| Rows flagged possibly duplicated / rows that met a 429 | {Flagged} / {Rows.Count(r => r.Throttles > 0):N0} | — |");
        s.AppendLine($"| Requests at the connector, 429s included (first → last post) | {RequestRate:F1}/s = {RequestRate / limit:P1} of {limit}/s | ≥ 95 % |");
        s.AppendLine($"| Posts processed (first → last post) | {PostRate:F1}/s = {PostRate / limit:P1} of {limit}/s | {(faultMode ? "— (30 % of requests refused)" : "≥ 95 %")} |");
        s.AppendLine($"| Total time (POST /api/alerts → last channel post) | {Total.TotalSeconds:F1} s | — |");
        s.AppendLine($"| Longest gap between two posts | {LongestGap.TotalMilliseconds:F0} ms | — |");
        s.AppendLine($"| 429 answers: Teams' limits / random 30 % | {LimitRefusals} / {FaultRefusals} | few / — |");
        s.AppendLine($"| Max calls in any 1 s (tenant) / per conversation in 1 s / 2 s | {MaxTenant1s} / {MaxConversation1s} / {MaxConversation2s} | ≤ {limit} / {Bench.ConversationLimit} / {Bench.ConversationLimit2s} |");
        s.AppendLine($"| Card updates (PUT) processed | {Updates} | — |");
        s.AppendLine($"| Sent by | {SentByText} | — |");
        s.AppendLine($"| CPU during the fan-out | {CpuText} ({Cpu.Sum(c => c.TotalMilliseconds) / Math.Max(1, Distinct):F2} ms per conversation) | — |");
        s.AppendLine($"| Working set per instance (idle / first / max / end, MB) | {MemoryText} | flat |");
        s.AppendLine($"| Warnings / errors logged (see below) | {LogText} | — |");
    }

    public void MemorySamples(StringBuilder s, string? run = null)
    {
        var suffix = run is null ? "" : $" ({run})";
        for (var i = 0; i < Instances.Length; i++)
            if (Logs[i].Kinds.Length > 0) s.AppendLine($"Logged by {Instances[i]}{suffix}: {Logs[i].Kinds}").AppendLine();
        var perSecond = Calls.GroupBy(c => (int)(c.At - Started).TotalSeconds).ToDictionary(g => g.Key, g => (All: g.Count(), Posts: g.Count(c => c.Outcome == Outcome.Processed && c.Method == "POST")));
        var seconds = perSecond.Count == 0 ? 0 : perSecond.Keys.Max() + 1;
        s.AppendLine($"Requests / processed posts at the connector per second{suffix}, from the POST of the alert: " +
                     string.Join(" ", Enumerable.Range(0, seconds).Select(n => perSecond.TryGetValue(n, out var c) ? $"{c.All}/{c.Posts}" : "0/0")));
        s.AppendLine();
        for (var i = 0; i < Instances.Length; i++)
            s.AppendLine($"Working set of {Instances[i]}{(run is null ? "" : $" ({run})")}, MB, {Memory[i].Count} samples about a second apart: " +
                         string.Join(" ", Memory[i].Select(m => m / 1048576)));
        s.AppendLine();
    }
}

enum Outcome { Processed, Limit, Fault429 }

sealed record Call(DateTime At, string Method, string Conversation, string? Alert, Outcome Outcome);

/// <summary>The loopback Bot Connector: Teams' limits on every call, and optionally a share of writes answered 429 on top.</summary>
sealed class Connector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly object _gate = new();
    private readonly Dictionary<string, Queue<DateTime>> _windows = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _posted = new(StringComparer.Ordinal);
    private Random _random = new(1);
    private double _throttleRate;
    private int _nextId;

    private Connector(WebApplication app) => _app = app;

    public string ServiceUrl { get; private set; } = "";
    public ConcurrentQueue<Call> Calls { get; private set; } = new();

    public static async Task<Connector> StartAsync()
    {
        Connector? self = null;
        var (app, address) = await Loopback.StartAsync(ctx => self!.HandleAsync(ctx));
        self = new Connector(app) { ServiceUrl = address + "/_connector/" };
        return self;
    }

    public void Reset(double throttleRate)
    {
        lock (_gate)
        {
            _windows.Clear();
            _random = new Random(1);
            _throttleRate = throttleRate;
            Calls = new ConcurrentQueue<Call>();
            _posted.Clear();
        }
    }

    public bool HasPost(string alert) => _posted.ContainsKey(alert);
    public int Distinct(string alert) => _posted.TryGetValue(alert, out var c) ? c.Count : 0;

    private async Task HandleAsync(HttpContext ctx)
    {
        var text = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
        var now = DateTime.UtcNow;
        var body = text.Length == 0 ? null : JsonNode.Parse(text);
        var method = ctx.Request.Method;
        var conversation = ConversationOf(ctx.Request.Path.Value ?? "", body);
        var card = (body?["activity"]?["attachments"] ?? body?["attachments"])?[0]?["content"]?.ToJsonString() ?? "";
        var i = card.IndexOf("\"alertId\":\"", StringComparison.Ordinal);
        var alert = i < 0 ? null : card[(i + 11)..card.IndexOf('"', i + 11)];
        Outcome outcome;
        lock (_gate)
        {
            var tenant = Window("t", now, 1);
            var one = Window("c:" + conversation, now, 1);
            var two = Window("c2:" + conversation, now, 2);
            if (tenant.Count >= Bench.TenantLimit || one.Count >= Bench.ConversationLimit || two.Count >= Bench.ConversationLimit2s)
                outcome = Outcome.Limit;
            else
            {
                tenant.Enqueue(now);
                one.Enqueue(now);
                two.Enqueue(now);
                outcome = method is "POST" or "PUT" && _random.NextDouble() < _throttleRate ? Outcome.Fault429 : Outcome.Processed;
            }
            Calls.Enqueue(new Call(now, method, conversation, alert, outcome));
        }
        if (outcome != Outcome.Processed)
        {
            ctx.Response.StatusCode = 429;
            ctx.Response.Headers["Retry-After"] = "1";
            return;
        }
        if (method == "POST" && alert is not null) _posted.GetOrAdd(alert, _ => new(StringComparer.Ordinal)).TryAdd(conversation, 0);
        var id = Interlocked.Increment(ref _nextId);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync($$"""{"id":"{{conversation}};messageid={{id}}","activityId":"{{id}}"}""");
    }

    private Queue<DateTime> Window(string key, DateTime now, int seconds)
    {
        if (!_windows.TryGetValue(key, out var q)) _windows[key] = q = new Queue<DateTime>();
        while (q.Count > 0 && now - q.Peek() >= TimeSpan.FromSeconds(seconds)) q.Dequeue();
        return q;
    }

    /// <summary>The conversation a call is for; a channel thread (<c>19:…;messageid=…</c>) counts as its channel.</summary>
    private static string ConversationOf(string path, JsonNode? body)
    {
        var i = path.IndexOf("/v3/conversations/", StringComparison.Ordinal);
        if (i < 0) return body?["channelData"]?["channel"]?["id"]?.GetValue<string>() ?? "";
        var id = Uri.UnescapeDataString(path[(i + "/v3/conversations/".Length)..].Split('/')[0]);
        var thread = id.IndexOf(";messageid=", StringComparison.Ordinal);
        return thread > 0 ? id[..thread] : id;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One OpsBot process with the bench's content root (its appsettings.json holds the routes).</summary>
sealed class Bot : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _recent = new();
    private readonly ConcurrentDictionary<string, int> _problems = new(StringComparer.Ordinal);
    private int _warnings, _errors;

    private Bot(string id, Process process, string url)
    {
        Id = id;
        _process = process;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Add("X-Api-Key", "bench-key");
    }

    public string Id { get; }
    public HttpClient Http { get; }

    private static ProcessStartInfo StartInfo(string dir, Dictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "OpsBot.dll"), .. args, "--contentRoot", dir])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["Cards__Folder"] = Path.Combine(AppContext.BaseDirectory, "cards");
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        psi.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        psi.Environment["MicrosoftAppId"] = "";
        psi.Environment["Bot__AllowUnauthenticated"] = "true";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    public static async Task MigrateAsync(string dir, Dictionary<string, string> env)
    {
        using var p = Process.Start(StartInfo(dir, env, "migrate"))!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"OpsBot migrate exited with {p.ExitCode}: {await error}{await output}");
    }

    public static async Task<Bot> StartAsync(string id, string dir, Dictionary<string, string> env)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var psi = StartInfo(dir, env, "--urls", url);
        psi.Environment["Messaging__InstanceId"] = id;
        var bot = new Bot(id, Process.Start(psi)!, url);
        bot._process.OutputDataReceived += (_, e) => bot.OnOutput(e.Data);
        bot._process.ErrorDataReceived += (_, e) => bot.OnOutput(e.Data);
        bot._process.BeginOutputReadLine();
        bot._process.BeginErrorReadLine();
        for (var t = 0; ; t++)
        {
            try { if ((await bot.Http.GetAsync("/healthz")).IsSuccessStatusCode) return bot; } catch (HttpRequestException) { }
            if (t > 1200 || bot._process.HasExited)
            {
                await bot.DisposeAsync();
                throw new InvalidOperationException($"OpsBot {id} did not start:\n" + string.Join('\n', bot._recent));
            }
            await Task.Delay(100);
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null) return;
        var warning = line.StartsWith("warn:", StringComparison.Ordinal);
        if ((warning || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
            && !line.Contains("AUTHENTICATION IS OFF", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref warning ? ref _warnings : ref _errors);
            // "fail: Category[id] Message": the category and the message's start, numbers masked, as the kind.
            var kind = System.Text.RegularExpressions.Regex.Replace(line.Length > 110 ? line[..110] + "…" : line, "[0-9]+", "N").Replace("|", "/", StringComparison.Ordinal);
            if (_problems.Count < 40 || _problems.ContainsKey(kind)) _problems.AddOrUpdate(kind, 1, (_, n) => n + 1);
        }
        _recent.Enqueue(line);
        while (_recent.Count > 300) _recent.TryDequeue(out _);
    }

    /// <summary>Warnings and errors logged (the start-up notice that authentication is off left out), and the distinct kinds with how often each came.</summary>
    public (int Warnings, int Errors, string Kinds) LogSummary()
    {
        var kinds = _problems.OrderByDescending(k => k.Value).Select(k => $"{k.Value}× `{k.Key}`");
        return (_warnings, _errors, string.Join(", ", kinds));
    }

    public long WorkingSet()
    {
        _process.Refresh();
        return _process.HasExited ? 0 : _process.WorkingSet64;
    }

    public TimeSpan Cpu()
    {
        _process.Refresh();
        return _process.HasExited ? TimeSpan.Zero : _process.TotalProcessorTime;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
