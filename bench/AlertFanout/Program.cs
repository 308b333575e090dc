// Alert fan-out load driver: OpsBot as a separate process on SQLite, a loopback connector that enforces Teams' limits
// (7 calls/s per conversation, 50 calls/s per tenant → 429 Retry-After 1), one alert routed to N channels.
// Usage: dotnet run -c Release --project bench/AlertFanout -- [conversations=10000] [latencyAlerts=20]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

var conversations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var latencyAlerts = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
const int TenantLimit = 50, ConversationLimit = 7;
var loadAverage = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

// ---- fake connector enforcing Teams' limits
var delivered = new ConcurrentQueue<(DateTime At, string Channel, string Alert)>();
var throttled = 0;
var windows = new Dictionary<string, Queue<DateTime>>();
var gate = new object();
var nextId = 0;
var fakeBuilder = WebApplication.CreateSlimBuilder();
fakeBuilder.WebHost.UseUrls("http://127.0.0.1:0");
fakeBuilder.Logging.ClearProviders();
var fake = fakeBuilder.Build();
fake.Run(async ctx =>
{
    var body = JsonNode.Parse(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
    var now = DateTime.UtcNow;
    var channel = body?["channelData"]?["channel"]?["id"]?.GetValue<string>() ?? ctx.Request.Path.Value ?? "";
    lock (gate)
    {
        bool Over(string key, int limit)
        {
            if (!windows.TryGetValue(key, out var q)) windows[key] = q = new Queue<DateTime>();
            while (q.Count > 0 && now - q.Peek() >= TimeSpan.FromSeconds(1)) q.Dequeue();
            return q.Count >= limit;
        }
        if (Over("tenant", TenantLimit) || Over(channel, ConversationLimit))
        {
            throttled++;
            ctx.Response.StatusCode = 429;
            ctx.Response.Headers["Retry-After"] = "1";
            return;
        }
        windows["tenant"].Enqueue(now);
        windows[channel].Enqueue(now);
    }
    var card = (body?["activity"]?["attachments"] ?? body?["attachments"])?[0]?["content"]?.ToJsonString() ?? "";
    var i = card.IndexOf("\"alertId\":\"", StringComparison.Ordinal);
    var alert = i < 0 ? "" : card[(i + 11)..card.IndexOf('"', i + 11)];
    if (ctx.Request.Method == "POST") delivered.Enqueue((now, channel, alert));
    var id = Interlocked.Increment(ref nextId);
    ctx.Response.ContentType = "application/json";
    await ctx.Response.WriteAsync($$"""{"id":"{{channel}};messageid={{id}}","activityId":"{{id}}"}""");
});
await fake.StartAsync();
var serviceUrl = fake.Urls.First() + "/_connector/";

// ---- OpsBot process: routes in appsettings.json of a temporary content root
var dir = Path.Combine(Path.GetTempPath(), "opsbot-bench-" + Guid.NewGuid().ToString("n"));
Directory.CreateDirectory(dir);
var key = "bench-key";
var settings = new JsonObject
{
    ["Api"] = new JsonObject { ["Keys"] = new JsonObject { ["bench"] = OpsBot.Api.ApiKeyHandler.Hash(key) } },
    ["Alerts"] = new JsonObject
    {
        ["ServiceUrl"] = serviceUrl, ["TenantId"] = "bench-tenant", ["DigestHourUtc"] = 24,
        ["Routes"] = new JsonArray(
            new JsonObject { ["Name"] = "fanout", ["Account"] = "Fanout", ["Channels"] = new JsonArray(Enumerable.Range(0, conversations).Select(n => (JsonNode)new JsonObject { ["ChannelId"] = $"19:c{n}@thread.tacv2" }).ToArray()) },
            new JsonObject { ["Name"] = "latency", ["Account"] = "Latency", ["Channels"] = new JsonArray(new JsonObject { ["ChannelId"] = "19:latency@thread.tacv2" }) }),
    },
};
File.WriteAllText(Path.Combine(dir, "appsettings.json"), settings.ToJsonString());
var port = 5900 + Random.Shared.Next(0, 500);
var url = $"http://127.0.0.1:{port}";
var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "OpsBot.dll"), "--urls", url, "--contentRoot", dir])
{ RedirectStandardOutput = true, RedirectStandardError = true };
psi.Environment["Database__Provider"] = "Sqlite";
psi.Environment["Database__ConnectionString"] = $"Data Source={Path.Combine(dir, "bench.db")}";
psi.Environment["Database__MigrateOnStartup"] = "true";
psi.Environment["Cards__Folder"] = Path.Combine(AppContext.BaseDirectory, "cards");
psi.Environment["Logging__LogLevel__Default"] = "Warning";
psi.Environment["MicrosoftAppId"] = "";
psi.Environment["Bot__AllowUnauthenticated"] = "true";
using var opsbot = Process.Start(psi)!;
var opsbotLog = new ConcurrentQueue<string>();
var tenantPauses = 0;
void OnOutput(string? line)
{
    if (line is null) return;
    if (opsbotLog.Count < 200) opsbotLog.Enqueue(line);
    if (line.Contains("sends pause until", StringComparison.Ordinal)) Interlocked.Increment(ref tenantPauses);
}
opsbot.OutputDataReceived += (_, e) => OnOutput(e.Data);
opsbot.ErrorDataReceived += (_, e) => OnOutput(e.Data);
opsbot.BeginOutputReadLine();
opsbot.BeginErrorReadLine();
using var http = new HttpClient { BaseAddress = new Uri(url) };
http.DefaultRequestHeaders.Add("X-Api-Key", key);
for (var t = 0; ; t++)
{
    try { if ((await http.GetAsync("/healthz")).IsSuccessStatusCode) break; } catch (HttpRequestException) { }
    if (t > 300 || opsbot.HasExited) throw new InvalidOperationException("OpsBot did not start:\n" + string.Join('\n', opsbotLog));
    await Task.Delay(100);
}

try
{
    // ---- latency: POST /api/alerts → first channel post, one alert at a time on an idle dispatcher
    var latencies = new List<double>();
    for (var n = 0; n < latencyAlerts; n++)
    {
        var sw = Stopwatch.StartNew();
        var r = await http.PostAsJsonAsync("/api/alerts", new { account = "Latency", kind = "late-shipment", severity = 3, impact = $"latency probe {n}" });
        var id = (await r.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString();
        while (!delivered.Any(d => d.Alert == id)) await Task.Delay(2);
        latencies.Add(sw.Elapsed.TotalMilliseconds);
        await Task.Delay(200);
    }
    latencies.Sort();
    double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];

    // ---- fan-out
    var before = delivered.Count;
    opsbot.Refresh();
    var idleMemory = opsbot.WorkingSet64;
    var memory = new List<long>();
    opsbot.Refresh();
    var cpuBefore = opsbot.TotalProcessorTime;
    var fanSw = Stopwatch.StartNew();
    var post = await http.PostAsJsonAsync("/api/alerts", new { account = "Fanout", kind = "line-down", severity = 3, impact = "fan-out benchmark" });
    var alertId = (await post.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString();
    while (delivered.Count(d => d.Alert == alertId) < conversations && fanSw.Elapsed < TimeSpan.FromSeconds(conversations / 40.0 + 60))
    {
        opsbot.Refresh();
        memory.Add(opsbot.WorkingSet64);
        await Task.Delay(1000);
    }
    opsbot.Refresh();
    var cpu = opsbot.TotalProcessorTime - cpuBefore;
    var fan = delivered.Where(d => d.Alert == alertId).ToList();
    var perChannel = fan.GroupBy(d => d.Channel).Select(g => g.Count()).ToList();
    var first = fan.Min(d => d.At);
    var last = fan.Max(d => d.At);
    var rate = (fan.Count - 1) / (last - first).TotalSeconds;
    var ordered = fan.Select(d => d.At).Order().ToList();
    var longestGap = ordered.Zip(ordered.Skip(1), (a, b) => (b - a).TotalMilliseconds).DefaultIfEmpty(0).Max();
    var status = await http.GetFromJsonAsync<JsonObject>($"/api/alerts/{alertId}");
    var statuses = status!["deliveries"]!.AsArray().GroupBy(d => d!["status"]!.ToString()).ToDictionary(g => g.Key, g => g.Count());

    var report = new StringBuilder();
    report.AppendLine("# Alert fan-out benchmark");
    report.AppendLine();
    report.AppendLine($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (load average when the driver started: {loadAverage}), Release build,");
    report.AppendLine("OpsBot as a separate process on SQLite, loopback fake connector enforcing Teams' limits (7 calls/s per conversation,");
    report.AppendLine($"{TenantLimit} calls/s per tenant, else 429 Retry-After 1). Dispatcher defaults: PerTenantPerSecond 50 × RateSafetyFactor 0.98,");
    report.AppendLine("so 49 msg/s = 98 % is the dispatcher's own ceiling. Driver: `bench/AlertFanout` (`./build.sh bench alerts`, or");
    report.AppendLine("`dotnet run -c Release --project bench/AlertFanout -- [conversations=10000] [latencyAlerts=20]`).");
    report.AppendLine();
    report.AppendLine($"## Fan-out of one alert to {conversations:N0} channel conversations");
    if (conversations < 10_000) report.AppendLine($"Shortened variant ({conversations:N0} instead of the issue's 10,000, ≈{conversations / 49} s instead of ≈205 s); the default run (no arguments) is the full 10,000.");
    report.AppendLine();
    report.AppendLine("| Metric | Value | Target |");
    report.AppendLine("|---|---|---|");
    report.AppendLine($"| Delivered (distinct conversations) | {perChannel.Count:N0} of {conversations:N0} | all |");
    report.AppendLine($"| Lost | {conversations - perChannel.Count} | 0 |");
    report.AppendLine($"| Duplicates | {perChannel.Count(c => c > 1)} | 0 |");
    report.AppendLine($"| Outbox status | {string.Join(", ", statuses.Select(kv => $"{kv.Key} {kv.Value}"))} | all Sent |");
    report.AppendLine($"| Sustained rate (first→last delivery) | {rate:F1} msg/s = {rate / TenantLimit:P1} of {TenantLimit}/s | ≥ 95 % |");
    report.AppendLine($"| Longest gap between two deliveries | {longestGap:F0} ms | — |");
    report.AppendLine($"| 429 answers from the fake | {throttled} | few (retried, nothing lost) |");
    report.AppendLine($"| Tenant-wide pauses (429s from 5 conversations within 1 s) | {tenantPauses} | — |");
    report.AppendLine($"| OpsBot CPU during the fan-out | {cpu.TotalSeconds:F1} s = {cpu.TotalMilliseconds / Math.Max(1, fan.Count):F2} ms per message | — |");
    report.AppendLine($"| OpsBot working set (idle before / first sample / max / end, MB) | {idleMemory / 1048576} / {memory.First() / 1048576} / {memory.Max() / 1048576} / {memory.Last() / 1048576} | flat |");
    report.AppendLine();
    report.AppendLine($"## POST /api/alerts → first channel post ({latencyAlerts} alerts, one at a time)");
    report.AppendLine();
    report.AppendLine($"| p50 | p95 | max | Target |");
    report.AppendLine($"|---|---|---|---|");
    report.AppendLine($"| {P(0.5):F0} ms | {P(0.95):F0} ms | {latencies.Max():F0} ms | p95 < 1 s |");
    report.AppendLine();
    report.AppendLine($"Memory samples (MB, {memory.Count} over {fanSw.Elapsed.TotalSeconds:F0} s, about one a second when the machine keeps up): " + string.Join(" ", memory.Select(m => m / 1048576)));
    report.AppendLine();
    report.AppendLine("## Notes");
    report.AppendLine("- The sustained rate is measured at the fake connector from the first to the last delivery of the fan-out alert. The");
    report.AppendLine("  dispatcher paces its sends with a GCRA (9 ms tolerance) under the stored tenant/conversation slots, so late timer");
    report.AppendLine("  wake-ups are caught up instead of accumulating, and any 1 s window stays at or below 50 calls when sent.");
    report.AppendLine("  A 429 (network or scheduling jitter at the window's edge) pauses only its conversation; the row is retried, nothing");
    report.AppendLine("  is lost. Five conversations throttled within a second pause the whole tenant (ADR 0003).");
    report.AppendLine("- CPU is the OpsBot process's user + system time from the POST of the fan-out alert to its last delivery: it includes");
    report.AppendLine("  rendering and enqueueing all rows in one transaction and the JIT warm-up of the delivery path.");
    report.AppendLine("- Working set: the first samples include the POST that renders the card once and inserts every outbox row in one unit of");
    report.AppendLine("  work (all rows share one serialized card); from there it should stay level while the rows are delivered. Per-conversation");
    report.AppendLine("  state (the dispatcher's pacing entries, the connector limiter's windows) is dropped once idle or is a few bytes per");
    report.AppendLine("  conversation kept for an hour (Teams' 1800/h window).");
    var resultFile = Path.Combine(FindRepoRoot(), "bench", "results", "alert-fanout.md");
    File.WriteAllText(resultFile, report.ToString());
    Console.WriteLine(report);
}
finally
{
    opsbot.Kill(entireProcessTree: true);
    await fake.StopAsync();
    try { Directory.Delete(dir, true); } catch (IOException) { }
}

static string FindRepoRoot()
{
    var d = new DirectoryInfo(AppContext.BaseDirectory);
    while (d is not null && !File.Exists(Path.Combine(d.FullName, "OpsBot.sln"))) d = d.Parent;
    return d?.FullName ?? Directory.GetCurrentDirectory();
}
