using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.BotFramework.Schema;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Testing;

// Usage: dotnet run -c Release --project bench/CustomerLoad -- [customers=100000] [output=bench/results/customers.md] [sqlite|postgres]
// The customer benchmarks of issue #14, on a SQLite file and on a PostgreSQL started for the run: OpsBot runs in-process
// (WebApplicationFactory, real middleware, /api/messages and /api pipelines) over a store seeded with generated customers.
var customerCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var output = args.Length > 1 ? args[1] : Path.Combine("bench", "results", "customers.md");
var only = args.Length > 2 ? args[2] : "";
// CUSTOMERLOAD_SAMPLES scales the sample counts (e.g. 0.1 for a quick look while profiling).
var scale = double.Parse(Environment.GetEnvironmentVariable("CUSTOMERLOAD_SAMPLES") ?? "1", CultureInfo.InvariantCulture);
int ResolveSamples = (int)(1500 * scale), FuzzySamples = (int)(600 * scale), TypeaheadSamples = (int)(600 * scale), CardSamples = (int)(600 * scale);
const int Clients = 4;
var ImportLimitSeconds = int.Parse(Environment.GetEnvironmentVariable("CUSTOMERLOAD_IMPORT_LIMIT") ?? "180", CultureInfo.InvariantCulture);
const string ApiKey = "customer-bench-key";

Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_OPSBOT", Path.GetFullPath(Path.Combine("src", "OpsBot")));
DbCommands.Start();
var loadAtStart = LoadAverage();
var data = Fake.Customers(customerCount);
var viewer = new Viewer("29:rep-one", Activities.AadId("29:rep-one"), "Rep One");
var rows = new List<Row>();
var seeding = new List<string>();
var imports = new List<string>();

if (only != "postgres") await RunAsync(DatabaseProvider.Sqlite, null);
if (only != "sqlite")
{
    var pg = new PostgresServer();
    await pg.InitializeAsync();
    try { await RunAsync(DatabaseProvider.Postgres, pg); }
    finally { await pg.DisposeAsync(); }
}

var md = new StringBuilder();
md.AppendLine("# Customers at scale (issue #14)");
md.AppendLine();
md.AppendLine(CultureInfo.InvariantCulture, $"`bench/CustomerLoad` (`./build.sh bench customers`), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores shared with other jobs (load average at start {loadAtStart}, at end {LoadAverage()}), .NET {Environment.Version}, Release.");
md.AppendLine(CultureInfo.InvariantCulture, $"OpsBot runs in the driver's process (WebApplicationFactory: real middleware, `/api/messages` and `/api` pipelines, auth off for `/api/messages`,");
md.AppendLine("an API key for `/api`) over a SQLite file and over a PostgreSQL server started for the run (the test fixture's: `fsync=off`, locale C.UTF-8).");
md.AppendLine(CultureInfo.InvariantCulture, $"The store is seeded with {customerCount:N0} generated customers (brand names from syllables, optional industry and region words, legal");
md.AppendLine("suffixes such as Inc, GmbH & Co. KG, S.A.; 1 % restricted to a member), each with an ERP number, a CRM id and an e-mail domain, and the");
md.AppendLine("name index the app keeps (`SearchName` and `CustomerNameTokens` from `CustomerIndex` / `CustomerNames`), by multi-row INSERTs in one");
md.AppendLine("transaction (PostgreSQL then `VACUUM ANALYZE`, which autovacuum does after that many inserts; SQLite as the app leaves it, no `ANALYZE`).");
md.AppendLine("Seeding time is reported, not a target.");
md.AppendLine();
md.AppendLine("Every timed call follows untimed warm-up calls of the same kind. Resolve and suggestions call `CustomerResolver.ResolveAsync` in a fresh");
md.AppendLine("DI scope per call (as a request does) for a Teams user who is no member of the restricted customers: random customers by typed identifier");
md.AppendLine("(`ERP:…`, `CRM:…`, `DOMAIN:…`), by plain ERP number (`100234`, which the resolver has to guess) and by customer number; suggestions for");
md.AppendLine("names that match no customer exactly (a letter dropped, two letters swapped, a typo in the second word, the brand and a cut-off second");
md.AppendLine(CultureInfo.InvariantCulture, $"word). Typeahead POSTs an `application/search` invoke (dataset `customers`, top 15) to `/api/messages`, {Clients} clients at once and one");
md.AppendLine("alone, with what a user types: the start of a name, of a word, of a customer number or of an ERP number (2–10 characters); timed from request");
md.AppendLine("to answer. DB commands/op = database round trips through EF ÷ calls.");
md.AppendLine();
md.AppendLine("| Database | Measurement | Samples | Errors | DB commands/op | p50 ms | p95 ms | p99 ms | max ms | Target | Met |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var r in rows)
{
    var s = r.Stats;
    md.AppendLine(s.Count == 0
        ? string.Create(CultureInfo.InvariantCulture, $"| {r.Database} | {r.Name} | — | — | — | — | — | — | — | {r.Target} | not available |")
        : string.Create(CultureInfo.InvariantCulture, $"| {r.Database} | {r.Name} | {s.Count} | {s.Errors} | {s.CommandsPerOp:0.0} | {s.P50:0.00} | {s.P95:0.00} | {s.P99:0.00} | {s.Max:0.00} | {r.Target} | {(r.TargetMs is not { } t ? "—" : s.P95 < t ? "yes" : "NO")} |"));
}
md.AppendLine();
md.AppendLine("## Seeding");
md.AppendLine();
foreach (var line in seeding) md.AppendLine("- " + line);
md.AppendLine();
md.AppendLine("## Import");
md.AppendLine();
md.AppendLine(CultureInfo.InvariantCulture, $"`POST /api/customers/import` (API key, `text/csv` streamed from a file) of a generated file with one line per customer above");
md.AppendLine("(number, name, segment, industry, erp, crm, domains, country, timezone) into an empty store of a fresh app; timed from the request to the");
md.AppendLine("last byte of the answer (the summary, then one report entry per line). Memory of the whole process (load driver and OpsBot) sampled every");
md.AppendLine("100 ms from just before the request to the end of the answer: working set (RSS) and GC heap (`GC.GetTotalMemory(false)`, including");
md.AppendLine("garbage not yet collected), in MB, start / peak / end. Names that normalise like an earlier line's are reported as probable");
md.AppendLine("duplicates and not created, as the import does for any file. An import still running after three times its target");
md.AppendLine(CultureInfo.InvariantCulture, $"({ImportLimitSeconds} s, `CUSTOMERLOAD_IMPORT_LIMIT`) is cancelled, which rolls it back, so that the run stays short.");
md.AppendLine();
md.AppendLine("| Database | Lines | Customers stored | Seconds | Process CPU s | < 60 s | Working set MB start / peak / end | GC heap MB start / peak / end | Answer |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|");
foreach (var line in imports) md.AppendLine(line);
md.AppendLine();
md.AppendLine("## Notes");
foreach (var r in rows.Where(r => r.Note is not null)) md.AppendLine(CultureInfo.InvariantCulture, $"- {r.Database}, {r.Name}: {r.Note}");
md.AppendLine("""
    - Typeahead and suggestions were slow at this size and were fixed in `CustomerResolver` (no schema change). `StartsWith` is
      `LIKE 'x%'`, which neither database answers from the plain B-tree indexes OpsBot has (SQLite's LIKE is case-insensitive,
      PostgreSQL's needs the C collation), so every keystroke scanned all customers and checked every customer's tokens and
      identifiers (`EXISTS` per customer), and suggestions scanned the whole token table once per word start. Each prefix lookup is
      now also a key range (`x >= 'abc' AND x < 'abd'`, `StartsWith` kept for exactness) that the existing indexes on `Number`,
      `SearchName`, `CustomerNameTokens (Token, CustomerId)` and `CustomerIdentifiers (Value, CustomerId)` answer; typeahead takes
      at most 500 ids from each source in index order and sorts only those by name (with a very short query, the choices are the
      first names among those matches rather than among every customer). First run before the fixes (SQLite, same machine and
      data): typeahead p95 518 ms with one client and 1,704 ms with four, suggestions p95 101 ms.
    - Suggestions took an arbitrary 300 of the customers sharing a word or word start with the name, so a common word ("Logistics",
      ~3,500 customers) pushed the misspelt customer out: it was among the suggestions for 19 % of the names. The 300 candidates are
      now the customers sharing the most words and word starts (`GROUP BY` … `ORDER BY count(*) DESC`), one statement as before.
      A typo within the first four letters of the only distinctive word still finds nothing (candidates come from whole words and
      4-letter word starts).
    - Resolve: a typed identifier or a customer number now loads the customer with its members and sites in the same statement
      (one round trip instead of two). A plain number is tried as a customer number first, then as ERP / CRM / tax / phone
      identifiers, then loaded: three round trips, so its tail is the most exposed to the machine's load.
    - PostgreSQL runs every statement with a generic plan (`plan_cache_mode=force_generic_plan`, `DataExtensions`): the plans
      above were checked with `EXPLAIN ANALYZE EXECUTE` under that mode (index-only range scans on the token and identifier
      indexes, bitmap scan on `SearchName`). Without `VACUUM` after the bulk load the index-only scans visit the heap and the
      suggestion query took about 100 ms instead of about 18 ms.
    - Typeahead finds nothing for a name typed into its legal suffix ("Toratex Gm" for "Toratex GmbH"): `SearchName` drops legal
      suffixes, so the partial suffix matches neither it nor a word. That is most of the searches counted as finding nothing.
    - Import (`CustomerImport`, ADR 0009): a first pass checks every line against the store and the lines before it and writes nothing
      (reads without change tracking, each list of numbers, identifiers or names as one parameter); a second pass writes the same lines
      in one transaction per batch of 500, new customers through `CustomerBulkInsert` (SQLite: one prepared single-row INSERT per
      table, run per row; PostgreSQL: multi-row INSERTs), and refreshes PostgreSQL's statistics after batches 1, 2, 4, 8, … An earlier
      version (one transaction for the whole file, EF inserts) took 89.8 s on SQLite while holding SQLite's write lock throughout, so
      other writes of the process failed busy behind it; on PostgreSQL it had not finished after 180 s, because the lookups kept plans
      made for empty tables.
    - Latencies on a shared 2-core machine follow its load (see the load averages above).
    """);
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
await File.WriteAllTextAsync(output, md.ToString());
Console.WriteLine(md);
return rows.All(r => r.Stats.Errors == 0) ? 0 : 1;

async Task RunAsync(DatabaseProvider provider, PostgresServer? pg)
{
    var label = provider == DatabaseProvider.Sqlite ? "SQLite" : "PostgreSQL";
    var dir = Path.Combine(Path.GetTempPath(), "opsbot-bench-" + Guid.NewGuid().ToString("n"));
    Directory.CreateDirectory(dir);
    await using var connector = await BenchConnector.StartAsync();
    await using (var app = NewApp(provider, pg is null ? $"Data Source={Path.Combine(dir, "customers.db")}" : await pg.CreateDatabaseAsync()))
    {
        var client = app.CreateClient();
        var clock = Stopwatch.StartNew();
        await app.WithDbAsync(db => Fake.SeedAsync(db, provider, data));
        seeding.Add(string.Create(CultureInfo.InvariantCulture,
            $"{label}: seeded {data.Count:N0} customers, {data.Count * 3:N0} identifiers and {data.Sum(c => c.Tokens.Count):N0} name tokens in {clock.Elapsed.TotalSeconds:0.0} s."));
        Console.WriteLine(seeding[^1]);

        var rnd = new Random(provider == DatabaseProvider.Sqlite ? 1 : 2);
        var visible = data.Where(c => !c.Restricted).ToArray();

        // Resolve by identifier: the customer itself must come back.
        foreach (var (name, input) in new (string, Func<Fake.Seeded, string>)[]
        {
            ("resolve typed identifier (ERP:/CRM:/DOMAIN:)", c => (c.Id % 3) switch { 0 => "ERP:" + c.Erp, 1 => "CRM:" + c.Crm, _ => "DOMAIN:" + c.Domain }),
            ("resolve plain ERP number", c => c.Erp),
            ("resolve customer number", c => c.Number.ToLowerInvariant()),
        })
        {
            var picks = Enumerable.Range(0, ResolveSamples + 200).Select(_ => visible[rnd.Next(visible.Length)]).ToArray();
            var stats = await TimeAsync(200, ResolveSamples, 1, async i =>
            {
                var r = await ResolveAsync(app, input(picks[i]));
                return r.Customer?.Id == picks[i].Id;
            });
            rows.Add(new Row(label, name, stats, "p95 < 2 ms", 2));
        }

        // Fuzzy suggestions: names that normalise to no customer's SearchName, so the resolver answers suggestions.
        var fuzzy = Fake.Misspellings(visible, rnd, FuzzySamples + 100);
        var found = 0;
        var fuzzyStats = await TimeAsync(100, FuzzySamples, 1, async i =>
        {
            var r = await ResolveAsync(app, fuzzy[i].Text);
            if (i >= 100 && r.Suggestions.Any(s => s.Id == fuzzy[i].Id)) Interlocked.Increment(ref found);
            return r.Customer is null;
        });
        rows.Add(new Row(label, "fuzzy suggestions (misspelt / partial name)", fuzzyStats, "p95 < 50 ms", 50,
            string.Create(CultureInfo.InvariantCulture, $"the misspelt customer was among the (up to 5) suggestions for {100.0 * found / FuzzySamples:0} % of the names.")));

        // Typeahead through /api/messages.
        var typed = Enumerable.Range(0, TypeaheadSamples + 100).Select(_ => Fake.Typed(visible[rnd.Next(visible.Length)], rnd)).ToArray();
        var empty = 0;
        foreach (var clients in new[] { Clients, 1 })
        {
            empty = 0;
            var stats = await TimeAsync(100, TypeaheadSamples, clients, async i =>
            {
                var (ok, results) = await SearchAsync(client, connector.ServiceUrl, typed[i]);
                if (i >= 100 && results == 0) Interlocked.Increment(ref empty);
                return ok;
            });
            rows.Add(new Row(label, $"typeahead `application/search`, {clients} client{(clients == 1 ? "" : "s")}", stats, "p95 < 100 ms", 100,
                string.Create(CultureInfo.InvariantCulture, $"{empty} of {TypeaheadSamples} searches found nothing.")));
        }

        // The customer 360 through the API.
        rows.Add(await Card360Async(app, label, visible, rnd));
        if (Environment.GetEnvironmentVariable("CUSTOMERLOAD_PAUSE") is { } pause) // profiling: the seeded store stays up until that file exists
        {
            Console.WriteLine($"paused on {label} ({pg?.Port}, {dir}) until {pause} exists");
            while (!File.Exists(pause)) await Task.Delay(500);
        }
    }
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

    // Import of a 100,000-row CSV into an empty store.
    await using (var app = NewApp(provider, pg is null ? $"Data Source={Path.Combine(dir, "import.db")}" : await pg.CreateDatabaseAsync()))
        imports.Add(await ImportAsync(app, label, dir));
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    if (Environment.GetEnvironmentVariable("CUSTOMERLOAD_KEEP") is null) try { Directory.Delete(dir, true); } catch (IOException) { }
    else Console.WriteLine("kept " + dir);
}

BenchApp NewApp(DatabaseProvider provider, string connectionString)
{
    var app = new BenchApp(provider, connectionString);
    app.Settings["Bot:AllowUnauthenticated"] = "true";
    app.Settings["Bot:RateLimits:Enabled"] = "false";
    app.Settings["Escalations:SchedulerEnabled"] = "false";
    app.Settings["Api:Keys:bench"] = OpsBot.Api.ApiKeyHandler.Hash(ApiKey);
    return app;
}

async Task<CustomerResolution> ResolveAsync(BenchApp app, string text)
{
    await using var scope = app.Services.CreateAsyncScope();
    return await scope.ServiceProvider.GetRequiredService<CustomerResolver>().ResolveAsync(text, viewer, CancellationToken.None);
}

// The customer 360 as JSON through the API (GET /api/customers/{number}); "not available" while the endpoint does not exist.
async Task<Row> Card360Async(BenchApp app, string label, Fake.Seeded[] visible, Random rnd)
{
    const string Name = "customer 360 `GET /api/customers/{number}`";
    var client = app.CreateClient();
    client.DefaultRequestHeaders.Add(OpsBot.Api.ApiKeyHandler.HeaderName, ApiKey);
    var probe = await client.GetAsync("/api/customers/" + visible[0].Number);
    if (probe.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        return new Row(label, Name, Stats.None, "p95 < 100 ms", 100, "not available: the endpoint is not on main.");
    var picks = Enumerable.Range(0, CardSamples + 100).Select(_ => visible[rnd.Next(visible.Length)]).ToArray();
    var stats = await TimeAsync(100, CardSamples, 1, async i =>
    {
        using var response = await client.GetAsync("/api/customers/" + picks[i].Number);
        var body = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK && body.Contains(picks[i].Number, StringComparison.Ordinal);
    });
    return new Row(label, Name, stats, "p95 < 100 ms", 100);
}

// Import of a generated CSV with one line per customer into an empty store through POST /api/customers/import, with the
// process's working set and GC heap sampled every 100 ms from before the request until the whole answer is read.
async Task<string> ImportAsync(BenchApp app, string label, string dir)
{
    var client = app.CreateClient();
    client.Timeout = TimeSpan.FromMinutes(10);
    client.DefaultRequestHeaders.Add(OpsBot.Api.ApiKeyHandler.HeaderName, ApiKey);
    var csv = Path.Combine(dir, "customers.csv");
    await Fake.WriteCsvAsync(csv, data);
    using (var probe = await client.PostAsync("/api/customers/import?dryRun=true", new StringContent("number,name\n", Encoding.UTF8, "text/csv")))
        if (probe.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
            return $"| {label} | not available: the endpoint is not on main | | | | | |";
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var samples = new List<(double WorkingSet, double Heap)>();
    using var stop = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            lock (samples) samples.Add(Memory());
            try { await Task.Delay(100, stop.Token); } catch (OperationCanceledException) { }
        }
    });
    var begin = Memory();
    var cpu = Environment.CpuUsage.TotalTime;
    var clock = Stopwatch.StartNew();
    // An import that takes more than three times its target is cancelled (the request is aborted, the import rolls back).
    using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(ImportLimitSeconds));
    string head;
    try
    {
        await using var file = File.OpenRead(csv);
        using var content = new StreamContent(file);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/customers/import") { Content = content };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
        // The summary comes first; the per-line report (one entry per line) is streamed after it and drained unread.
        await using var body = await response.Content.ReadAsStreamAsync(limit.Token);
        var buffer = new byte[4096];
        var n = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, limit.Token);
        head = Encoding.UTF8.GetString(buffer, 0, n);
        await body.CopyToAsync(Stream.Null, limit.Token);
        if (response.StatusCode != HttpStatusCode.OK) head = $"{(int)response.StatusCode}: {head}";
    }
    catch (Exception ex) when (ex is OperationCanceledException or IOException && limit.IsCancellationRequested)
    {
        head = $"not finished after {ImportLimitSeconds} s: cancelled (the import rolled back).";
    }
    var seconds = clock.Elapsed.TotalSeconds;
    var cpuSeconds = (Environment.CpuUsage.TotalTime - cpu).TotalSeconds;
    await stop.CancelAsync();
    await sampler;
    var end = Memory();
    var stored = await app.WithDbAsync(db => db.Customers.CountAsync());
    var message = System.Text.RegularExpressions.Regex.Match(head, "\"message\":\"([^\"]*)\"") is { Success: true } m ? m.Groups[1].Value : head[..Math.Min(head.Length, 300)];
    double peakWs, peakHeap;
    lock (samples) (peakWs, peakHeap) = (samples.Max(x => x.WorkingSet), samples.Max(x => x.Heap));
    Console.WriteLine($"{label} import: {seconds:0.0} s, CPU {cpuSeconds:0.0} s, {message}");
    return string.Create(CultureInfo.InvariantCulture,
        $"| {label} | {data.Count:N0} | {stored:N0} | {(seconds >= ImportLimitSeconds ? "> " : "")}{seconds:0.0} | {cpuSeconds:0.0} | {(seconds < 60 ? "yes" : "NO")} | {begin.WorkingSet:0} / {peakWs:0} / {end.WorkingSet:0} | {begin.Heap:0} / {peakHeap:0} / {end.Heap:0} | {message} |");

    static (double WorkingSet, double Heap) Memory() => (Environment.WorkingSet / 1048576.0, GC.GetTotalMemory(false) / 1048576.0);
}

static async Task<(bool Ok, int Results)> SearchAsync(HttpClient client, string serviceUrl, string query)
{
    var activity = Activities.Message(serviceUrl, "");
    activity.Type = ActivityTypes.Invoke;
    activity.Text = null;
    activity.Name = "application/search";
    activity.Value = new JsonObject
    {
        ["queryText"] = query,
        ["dataset"] = CustomerSearch.Dataset,
        ["queryOptions"] = new JsonObject { ["skip"] = 0, ["top"] = 15 },
    };
    var response = await client.PostActivityAsync(activity);
    var body = await response.Content.ReadAsStringAsync();
    if (response.StatusCode != HttpStatusCode.OK || !body.Contains("searchResponse", StringComparison.Ordinal)) return (false, 0);
    var results = JsonNode.Parse(body)?["body"]?["value"]?["results"] as JsonArray ?? JsonNode.Parse(body)?["value"]?["results"] as JsonArray;
    return (true, results?.Count ?? 0);
}

// Runs warmUp untimed calls, then samples timed calls from the given number of concurrent clients.
static async Task<Stats> TimeAsync(int warmUp, int samples, int clients, Func<int, Task<bool>> op)
{
    for (var i = 0; i < warmUp; i++) await op(i);
    var errors = 0;
    var commands = DbCommands.Executed;
    var times = new List<double>[clients];
    await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
    {
        times[c] = [];
        for (var n = c; n < samples; n += clients)
        {
            var t = Stopwatch.GetTimestamp();
            var ok = await op(warmUp + n);
            times[c].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            if (!ok) Interlocked.Increment(ref errors);
        }
    })));
    var all = times.SelectMany(t => t).Order().ToList();
    return new Stats(all.Count, errors, (double)(DbCommands.Executed - commands) / all.Count,
        Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99), all[^1]);
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

internal sealed record Stats(int Count, int Errors, double CommandsPerOp, double P50, double P95, double P99, double Max)
{
    public static readonly Stats None = new(0, 0, 0, 0, 0, 0, 0);
}

internal sealed record Row(string Database, string Name, Stats Stats, string Target, double? TargetMs, string? Note = null);

/// <summary>Generated customers: realistic, varied names, identifiers, and the name index as the app computes it.</summary>
internal static class Fake
{
    public sealed record Seeded(int Id, string Number, string Name, string SearchName, IReadOnlyList<string> Tokens, string Erp, string Crm, string Domain, bool Restricted);

    private static readonly string[] Onsets = ["Ac", "Al", "Am", "Ar", "Bel", "Bra", "Cal", "Cor", "Dal", "Del", "Dyn", "El", "Fal", "Fer", "Gal", "Gen", "Hal", "Hel", "Ion", "Jan",
        "Kel", "Kor", "Lan", "Lum", "Mar", "Mer", "Nor", "Nov", "Or", "Pel", "Pra", "Quan", "Ros", "Sal", "Sol", "Tal", "Tor", "Ul", "Val", "Ver", "Vin", "Wes", "Xen", "Zan", "Zel"];
    private static readonly string[] Middles = ["a", "e", "i", "o", "u", "ar", "en", "or", "is", "an", "el", "ur"];
    private static readonly string[] Ends = ["tex", "ion", "ia", "ex", "ix", "on", "us", "ar", "is", "co", "lux", "tron", "dor", "ven", "mont", "berg", "field", "stone", "wood", "gate", "via", "tek"];
    private static readonly string[] Industries = ["Logistics", "Foods", "Pharma", "Steel", "Chemicals", "Energy", "Textiles", "Motors", "Electronics", "Packaging", "Plastics", "Paper",
        "Medical", "Software", "Retail", "Construction", "Aerospace", "Marine", "Agro", "Instruments", "Systems", "Industries", "Trading", "Services", "Solutions", "Technologies", "Group", "Holding"];
    private static readonly string[] Regions = ["Europe", "Nordic", "Iberia", "Asia", "Americas", "Deutschland", "France", "Italia", "UK", "North", "Pacific", "Alpine", "Baltic", "Atlantic"];
    private static readonly string[] Legal = ["Inc", "Inc.", "Ltd", "GmbH", "GmbH & Co. KG", "S.A.", "SAS", "S.p.A.", "B.V.", "AG", "LLC", "Corp.", "Oy", "AB", "S.r.l.", "Pty Ltd", "plc"];
    private static readonly string[] Tlds = ["com", "de", "fr", "co.uk", "it", "nl", "es", "io", "net"];

    public static List<Seeded> Customers(int count)
    {
        var rnd = new Random(14);
        var list = new List<Seeded>(count);
        for (var i = 1; i <= count; i++)
        {
            var brand = Brand(rnd);
            var name = new StringBuilder(brand);
            if (rnd.Next(100) < 12) name.Append(" & ").Append(Brand(rnd));
            if (rnd.Next(100) < 70) name.Append(' ').Append(Industries[rnd.Next(Industries.Length)]);
            if (rnd.Next(100) < 20) name.Append(' ').Append(Regions[rnd.Next(Regions.Length)]);
            if (rnd.Next(100) < 60) name.Append(' ').Append(Legal[rnd.Next(Legal.Length)]);
            var number = "CU" + (100000 + i).ToString(CultureInfo.InvariantCulture);
            var c = new Customer { Number = number, Name = name.ToString() };
            var tokens = CustomerNames.Tokens(c.Name).Select(t => t.Length <= 64 ? t : t[..64]).Distinct().ToList();
            var domain = brand.ToLowerInvariant() + i.ToString(CultureInfo.InvariantCulture) + "." + Tlds[rnd.Next(Tlds.Length)];
            list.Add(new Seeded(i, number, c.Name, CustomerIndex.SearchName(c), tokens,
                CustomerIdentifiers.Normalize(IdentifierKind.Erp, (100000 + i).ToString(CultureInfo.InvariantCulture))!,
                CustomerIdentifiers.Normalize(IdentifierKind.Crm, "0016g" + i.ToString("D8", CultureInfo.InvariantCulture) + "aqx")!,
                CustomerIdentifiers.Normalize(IdentifierKind.Domain, domain)!, i % 100 == 7));
        }
        return list;
    }

    private static string Brand(Random rnd) => Onsets[rnd.Next(Onsets.Length)] + Middles[rnd.Next(Middles.Length)] + Ends[rnd.Next(Ends.Length)];

    /// <summary>Names that normalise to no customer's SearchName: a letter dropped, two swapped, a typo in the second word, a cut-off second word.</summary>
    public static List<(string Text, int Id)> Misspellings(IReadOnlyList<Seeded> customers, Random rnd, int count)
    {
        var known = customers.Select(c => c.SearchName).ToHashSet(StringComparer.Ordinal);
        var list = new List<(string, int)>(count);
        while (list.Count < count)
        {
            var c = customers[rnd.Next(customers.Count)];
            var words = c.Name.Split(' ');
            var brand = words[0];
            var rest = string.Join(' ', words.Skip(1));
            var text = (list.Count % 4) switch
            {
                0 => Drop(brand, rnd) + " " + rest,
                1 => Swap(brand, rnd) + " " + rest,
                2 => words.Length > 1 && words[1].Length > 4 ? brand.ToLowerInvariant() + " " + Drop(words[1], rnd).ToLowerInvariant() : Drop(brand, rnd),
                _ => words.Length > 1 && words[1].Length > 5 ? brand + " " + words[1][..4] : Swap(brand, rnd),
            };
            if (!known.Contains(CustomerNames.Normalize(text))) list.Add((text.Trim(), c.Id));
        }
        return list;
    }

    private static string Drop(string w, Random rnd)
    {
        var at = rnd.Next(1, w.Length - 1);
        return w[..at] + w[(at + 1)..];
    }

    private static string Swap(string w, Random rnd)
    {
        var at = rnd.Next(1, w.Length - 2);
        return w[..at] + w[at + 1] + w[at] + w[(at + 2)..];
    }

    /// <summary>What a user types into the customer picker: the start of the name, of a word, of the customer number or of the ERP number.</summary>
    public static string Typed(Seeded c, Random rnd)
    {
        var source = rnd.Next(10) switch
        {
            < 5 => c.Name,
            < 7 => c.Name.Split(' ') is { Length: > 1 } w ? w[1] : c.Name,
            < 9 => c.Number,
            _ => c.Erp,
        };
        return source[..Math.Min(source.Length, rnd.Next(2, 11))];
    }

    private static readonly (string Country, string TimeZone)[] Places =
        [("DE", "Europe/Berlin"), ("FR", "Europe/Paris"), ("US", "America/New_York"), ("GB", "Europe/London"), ("JP", "Asia/Tokyo"), ("BR", "America/Sao_Paulo")];

    /// <summary>The customers as an import file (<see cref="CustomerCsv"/>): number, name, segment, industry, ERP, CRM, domain, country, time zone.</summary>
    public static async Task WriteCsvAsync(string path, IReadOnlyList<Seeded> customers)
    {
        await using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        await w.WriteLineAsync("number,name,segment,industry,erp,crm,domains,country,timezone");
        foreach (var c in customers)
        {
            var (country, zone) = Places[c.Id % Places.Length];
            var segment = c.Id % 50 == 0 ? "Strategic" : c.Id % 10 == 0 ? "Key" : "Standard";
            var industry = Industries[c.Id % Industries.Length];
            await w.WriteLineAsync($"{c.Number},{c.Name},{segment},{industry},{c.Erp},{c.Crm},{c.Domain},{country},{zone}");
        }
    }

    /// <summary>Customers, identifiers, members of the restricted ones and the name tokens, by multi-row INSERTs in one transaction.</summary>
    public static async Task<int> SeedAsync(OpsBotDbContext db, DatabaseProvider provider, IReadOnlyList<Seeded> customers)
    {
        await db.Database.OpenConnectionAsync();
        var conn = db.Database.GetDbConnection();
        await using var tx = await conn.BeginTransactionAsync();
        var now = DateTime.UtcNow;
        await InsertAsync(conn, tx, "Customers", ["Id", "Number", "Name", "SearchName", "Segment", "Restricted", "NeedsReview", "CreatedAt"],
            customers.Select(c => new object[] { c.Id, c.Number, c.Name, c.SearchName, c.Id % 50 == 0 ? "Strategic" : c.Id % 10 == 0 ? "Key" : "Standard", c.Restricted, false, now }));
        await InsertAsync(conn, tx, "CustomerIdentifiers", ["CustomerId", "Kind", "Value"],
            customers.SelectMany(c => new[] { new object[] { c.Id, "Erp", c.Erp }, [c.Id, "Crm", c.Crm], [c.Id, "Domain", c.Domain] }));
        await InsertAsync(conn, tx, "CustomerMembers", ["CustomerId", "Kind", "Key"],
            customers.Where(c => c.Restricted).Select(c => new object[] { c.Id, "Person", "29:owner-" + c.Id.ToString(CultureInfo.InvariantCulture) }));
        await InsertAsync(conn, tx, "CustomerNameTokens", ["CustomerId", "Token"], customers.SelectMany(c => c.Tokens.Select(t => new object[] { c.Id, t })));
        if (provider == DatabaseProvider.Postgres)
            await ExecuteAsync(conn, tx, "SELECT setval(pg_get_serial_sequence('\"Customers\"', 'Id'), (SELECT MAX(\"Id\") FROM \"Customers\"))");
        await tx.CommitAsync();
        if (provider == DatabaseProvider.Postgres) await ExecuteAsync(conn, null, "VACUUM ANALYZE");
        await db.Database.CloseConnectionAsync();
        return customers.Count;
    }

    private static async Task ExecuteAsync(DbConnection conn, DbTransaction? tx, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    // Multi-row INSERTs of 200 rows; one prepared command is reused for every full chunk (parsed and planned once).
    private static async Task InsertAsync(DbConnection conn, DbTransaction tx, string table, string[] columns, IEnumerable<object[]> rows)
    {
        const int PerStatement = 200;
        DbCommand? full = null;
        try
        {
            foreach (var chunk in rows.Chunk(PerStatement))
            {
                var cmd = chunk.Length == PerStatement ? full ??= await CommandAsync(PerStatement) : await CommandAsync(chunk.Length);
                for (var r = 0; r < chunk.Length; r++)
                    for (var c = 0; c < columns.Length; c++)
                        cmd.Parameters[r * columns.Length + c].Value = chunk[r][c];
                await cmd.ExecuteNonQueryAsync();
                if (cmd != full) await cmd.DisposeAsync();
            }
        }
        finally
        {
            if (full is not null) await full.DisposeAsync();
        }

        async Task<DbCommand> CommandAsync(int count)
        {
            var cmd = conn.CreateCommand();
            cmd.Transaction = tx;
            var sql = new StringBuilder($"INSERT INTO \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ");
            for (var r = 0; r < count; r++)
            {
                sql.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < columns.Length; c++)
                {
                    var name = "@p" + (r * columns.Length + c).ToString(CultureInfo.InvariantCulture);
                    sql.Append(c == 0 ? "" : ", ").Append(name);
                    var parameter = cmd.CreateParameter();
                    parameter.ParameterName = name;
                    parameter.Value = DBNull.Value;
                    cmd.Parameters.Add(parameter);
                }
                sql.Append(')');
            }
            cmd.CommandText = sql.ToString();
            return cmd;
        }
    }
}

