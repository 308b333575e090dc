using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// Load driver for POST /api/messages: N connections send a "ping" message activity back to back for a fixed time, per target,
// while this process also plays the Bot Connector the bots reply to. Every target is driven identically in the same run.
//   dotnet run --project bench/OpsBot.LoadDriver -c Release -- --target OpsBot=http://127.0.0.1:5000/api/messages@<pid> \
//       --target botbuilder=http://127.0.0.1:5001/api/messages@<pid> --connections 20 --warmup 5 --duration 15 --out bench/results/x.md
var targets = new List<Target>();
int connections = 20, warmup = 5, duration = 15;
string? output = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--target": targets.Add(Target.Parse(args[++i])); break;
        case "--connections": connections = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--duration": duration = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--out": output = args[++i]; break;
        default: throw new ArgumentException($"Unknown argument {args[i]}");
    }
}
if (targets.Count == 0) throw new ArgumentException("Give at least one --target name=url@pid");

// The fake Bot Connector: accepts every reply like the real one ({"id": …}) and counts them.
long replies = 0;
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
var connector = builder.Build();
connector.MapPost("/{**path}", async (HttpContext ctx) =>
{
    await ctx.Request.Body.CopyToAsync(Stream.Null);
    Interlocked.Increment(ref replies);
    ctx.Response.ContentType = "application/json";
    await ctx.Response.WriteAsync("{\"id\":\"1\"}");
});
await connector.StartAsync();
var serviceUrl = connector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
{
    Timeout = TimeSpan.FromSeconds(30),
};
var results = new List<Result>();
foreach (var target in targets)
{
    Console.WriteLine($"{target.Name}: warm-up {warmup} s");
    await RunAsync(target, TimeSpan.FromSeconds(warmup));
    Interlocked.Exchange(ref replies, 0);
    Console.WriteLine($"{target.Name}: measuring {duration} s with {connections} connections");
    var cpuBefore = CpuSeconds(target.Pid);
    var result = await RunAsync(target, TimeSpan.FromSeconds(duration));
    var cpu = CpuSeconds(target.Pid) - cpuBefore;
    await Task.Delay(500);
    result = result with { Replies = Interlocked.Read(ref replies), PeakRssMb = PeakRssMb(target.Pid), CpuMsPerRequest = result.Requests == 0 ? 0 : cpu * 1000 / result.Requests };
    Console.WriteLine(result.Line);
    results.Add(result);
}
await connector.StopAsync();

var md = Report(results, connections, warmup, duration);
Console.WriteLine(md);
if (output is not null) await File.WriteAllTextAsync(output, md);
return results.All(r => r.Errors == 0) ? 0 : 1;

async Task<Result> RunAsync(Target target, TimeSpan length)
{
    var latencies = new List<double>[connections];
    var errors = 0L;
    var stopwatch = Stopwatch.StartNew();
    var end = stopwatch.Elapsed + length;
    var workers = Enumerable.Range(0, connections).Select(c => Task.Run(async () =>
    {
        var mine = latencies[c] = new List<double>(64 * 1024);
        var n = 0;
        while (stopwatch.Elapsed < end)
        {
            using var content = new StringContent(Activity(serviceUrl, c, n++), Encoding.UTF8, "application/json");
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.PostAsync(target.Url, content);
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Accepted)) Interlocked.Increment(ref errors);
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref errors);
            }
            mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    })).ToArray();
    await Task.WhenAll(workers);
    var elapsed = stopwatch.Elapsed.TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    return new Result(target.Name, all.Length, errors, all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99), all[^1], 0, 0, 0);
}

static string Activity(string serviceUrl, int connection, int n) =>
    $$$"""{"type":"message","id":"{{{connection}}}-{{{n}}}-{{{Guid.NewGuid():n}}}","channelId":"msteams","serviceUrl":"{{{serviceUrl}}}","timestamp":"{{{DateTime.UtcNow:O}}}","from":{"id":"29:load-{{{connection}}}","name":"Load {{{connection}}}","aadObjectId":"00000000-0000-0000-0000-{{{connection:D12}}}"},"recipient":{"id":"28:opsbot","name":"OpsBot"},"conversation":{"id":"a:load-{{{connection}}}","conversationType":"personal","tenantId":"11111111-2222-3333-4444-555555555555"},"channelData":{"tenant":{"id":"11111111-2222-3333-4444-555555555555"}},"text":"ping","textFormat":"plain","locale":"en-US"}""";

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static double PeakRssMb(int pid)
{
    var status = $"/proc/{pid}/status";
    if (pid <= 0 || !File.Exists(status)) return 0;
    var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
}

// User + system CPU of the server process (utime and stime, fields 14 and 15 of /proc/<pid>/stat, in 1/100 s clock ticks).
static double CpuSeconds(int pid)
{
    var stat = $"/proc/{pid}/stat";
    if (pid <= 0 || !File.Exists(stat)) return 0;
    var text = File.ReadAllText(stat);
    var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

static string Report(List<Result> results, int connections, int warmup, int duration)
{
    var sb = new StringBuilder();
    sb.AppendLine(CultureInfo.InvariantCulture, $"| Server | Requests | Errors | Replies delivered | RPS | p50 ms | p95 ms | p99 ms | max ms | CPU ms/request | Peak RSS MB |");
    sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var r in results)
        sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Requests} | {r.Errors} | {r.Replies} | {r.Rps:F0} | {r.P50:F2} | {r.P95:F2} | {r.P99:F2} | {r.Max:F1} | {r.CpuMsPerRequest:F2} | {r.PeakRssMb:F0} |");
    if (results.Count >= 2 && results[1].Rps > 0)
    {
        var a = results[0];
        var b = results[1];
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{a.Name} / {b.Name}: **{a.Rps / b.Rps:F1}× RPS**, p99 {a.P99:F1} ms vs {b.P99:F1} ms, peak RSS {a.PeakRssMb:F0} MB vs {b.PeakRssMb:F0} MB.");
    }
    sb.AppendLine();
    sb.AppendLine(CultureInfo.InvariantCulture, $"{connections} connections, {warmup} s warm-up then {duration} s measured per server, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
    return sb.ToString();
}

sealed record Target(string Name, string Url, int Pid)
{
    public static Target Parse(string s)
    {
        var eq = s.IndexOf('=', StringComparison.Ordinal);
        var at = s.LastIndexOf('@');
        return at > eq
            ? new Target(s[..eq], s[(eq + 1)..at], int.Parse(s[(at + 1)..], CultureInfo.InvariantCulture))
            : new Target(s[..eq], s[(eq + 1)..], 0);
    }
}

sealed record Result(string Name, long Requests, long Errors, double Rps, double P50, double P95, double P99, double Max, long Replies, double PeakRssMb, double CpuMsPerRequest)
{
    public string Line => $"{Name}: {Requests} requests, {Errors} errors, {Rps:F0} RPS, p50 {P50:F2} ms, p95 {P95:F2} ms, p99 {P99:F2} ms, replies {Replies}, CPU {CpuMsPerRequest:F2} ms/request, peak RSS {PeakRssMb:F0} MB";
}
