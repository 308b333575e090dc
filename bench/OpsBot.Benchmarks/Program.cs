using System.Diagnostics;
using BenchmarkDotNet.Running;
using OpsBot.Benchmarks;

if (args is ["--cpu-time", ..])
{
    // On a shared, overloaded machine wall-clock means scale with the load; CPU time per operation does not.
    var bench = new CardExpansionBenchmark();
    bench.Setup();
    var card = System.Text.Encoding.UTF8.GetBytes(bench.Render().ToJsonString());
    var web = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
    // Lower bound for any engine: only writing the expanded card (already a JsonDocument) with Utf8JsonWriter.
    var output = System.Text.Json.JsonDocument.Parse(card);
    var buffer = new System.Buffers.ArrayBufferWriter<byte>();
    var writer = OpsBot.Cards.TemplateEngine.CreateWriter(buffer);
    (string Name, Action Op, int Count)[] rows =
    [
        ("Expand", () => bench.Expand(), 20_000),
        ("RenderTo", () => bench.RenderTo(), 20_000),
        ("Render", () => bench.Render(), 10_000),
        ("Render's JsonObject alone: JsonNode.Parse(expanded card)", () => System.Text.Json.Nodes.JsonNode.Parse(card), 10_000),
        ("calibration: JsonSerializer.Serialize(model)", () => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(CardExpansionBenchmark.Model, web), 20_000),
        ("lower bound: write the expanded card JsonDocument", () => { buffer.ResetWrittenCount(); writer.Reset(buffer); output.WriteTo(writer); writer.Flush(); }, 20_000),
    ];
    // Warm every row up before measuring any: tiered JIT only recompiles hot methods once no new methods have been compiled
    // for a while, so each row runs for a second, twice.
    for (var pass = 0; pass < 2; pass++)
        foreach (var row in rows)
            for (var warmup = Stopwatch.StartNew(); warmup.ElapsedMilliseconds < 1000;) row.Op();
    foreach (var row in rows) Measure(row.Name, row.Op, row.Count);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(CardExpansionBenchmark).Assembly).Run(args);

static void Measure(string name, Action op, int count)
{
    // Five rounds; the fastest is reported (JIT, GC or neighbours only ever make a round slower). CPU time is the benchmark
    // thread's own (CLOCK_THREAD_CPUTIME_ID): it includes the GCs its allocations trigger, not the JIT's background
    // compilations nor other processes.
    var (bestCpu, bestWall, bytes) = (double.MaxValue, double.MaxValue, GC.GetAllocatedBytesForCurrentThread());
    const int rounds = 5;
    for (var round = 0; round < rounds; round++)
    {
        var cpu = ThreadCpu.Now();
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < count / rounds; i++) op();
        wall.Stop();
        bestCpu = Math.Min(bestCpu, (ThreadCpu.Now() - cpu).TotalMicroseconds / (count / rounds));
        bestWall = Math.Min(bestWall, wall.Elapsed.TotalMicroseconds / (count / rounds));
    }
    var allocKb = (GC.GetAllocatedBytesForCurrentThread() - bytes) / 1024.0 / (count / rounds * rounds);
    Console.WriteLine($"| {name} | {bestCpu:F1} µs | {bestWall:F1} µs | {allocKb:F2} KB |");
}

static class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    public static TimeSpan Now()
    {
        if (clock_gettime(ClockThreadCpuTimeId, out var ts) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return TimeSpan.FromTicks(ts.Seconds * TimeSpan.TicksPerSecond + ts.Nanoseconds / 100);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int clock_gettime(int clock, out Timespec time);

    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
