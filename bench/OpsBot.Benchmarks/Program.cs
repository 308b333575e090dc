using System.Diagnostics;
using BenchmarkDotNet.Running;
using OpsBot.Benchmarks;

if (args is ["--cpu-time", ..])
{
    // On a shared, overloaded machine wall-clock means scale with the load; process CPU time per operation does not.
    var bench = new CardExpansionBenchmark();
    bench.Setup();
    Measure("Expand", () => bench.Expand(), 20_000);
    Measure("RenderTo", () => bench.RenderTo(), 20_000);
    Measure("Render", () => bench.Render(), 10_000);
    var card = System.Text.Encoding.UTF8.GetBytes(bench.Render().ToJsonString());
    Measure("Render's JsonObject alone: JsonNode.Parse(expanded card)", () => System.Text.Json.Nodes.JsonNode.Parse(card), 10_000);
    var web = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
    Measure("calibration: JsonSerializer.Serialize(model)", () => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(CardExpansionBenchmark.Model, web), 20_000);
    // Lower bound for any engine: only writing the expanded card (already a JsonDocument) with Utf8JsonWriter.
    var output = System.Text.Json.JsonDocument.Parse(card);
    var buffer = new System.Buffers.ArrayBufferWriter<byte>();
    var writer = OpsBot.Cards.TemplateEngine.CreateWriter(buffer);
    Measure("lower bound: write the expanded card JsonDocument", () => { buffer.ResetWrittenCount(); writer.Reset(buffer); output.WriteTo(writer); writer.Flush(); }, 20_000);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(CardExpansionBenchmark).Assembly).Run(args);

static void Measure(string name, Action op, int count)
{
    // Warm up for a second first: tiered JIT recompiles hot methods on a background thread, whose CPU time would count here.
    var warmup = Stopwatch.StartNew();
    while (warmup.ElapsedMilliseconds < 1000) op();
    var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var bytes = GC.GetAllocatedBytesForCurrentThread();
    var wall = Stopwatch.StartNew();
    for (var i = 0; i < count; i++) op();
    wall.Stop();
    process.Refresh();
    var cpuUs = (process.TotalProcessorTime - cpu).TotalMicroseconds / count;
    var allocKb = (GC.GetAllocatedBytesForCurrentThread() - bytes) / 1024.0 / count;
    Console.WriteLine($"| {name} | {cpuUs:F1} µs | {wall.Elapsed.TotalMicroseconds / count:F1} µs | {allocKb:F2} KB |");
}
