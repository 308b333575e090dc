using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using OpsBot.Cards;

namespace OpsBot.Benchmarks;

/// <summary>
/// Expanding a typical OpsBot card: 30 top-level bindings (paths, if, formatNumber, $when, Action.Execute data)
/// and one list repeated over 20 rows (3 bindings each). <see cref="Expand"/> is the engine (compiled template + parsed data → JSON);
/// <see cref="RenderTo"/> is <c>CardTemplates.RenderTo</c> (view model → card JSON: model serialisation, expansion, completeness check);
/// <see cref="Render"/> is <c>CardTemplates.Render</c>, the same plus the <see cref="JsonObject"/> the features put into activities.
/// </summary>
[MemoryDiagnoser]
public class CardExpansionBenchmark
{
    public const string Template = """
    {
      "type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.5",
      "refresh": { "action": { "type": "Action.Execute", "verb": "commitment.refresh", "data": { "id": "${id}", "rev": "${version}" } }, "userIds": "${viewers}" },
      "body": [
        { "type": "TextBlock", "text": "${title}", "style": "heading", "wrap": true },
        { "type": "TextBlock", "text": "${account.name} · ${account.region} · owner ${owner.name}", "isSubtle": true, "wrap": true },
        { "type": "TextBlock", "$when": "${overdue}", "text": "Overdue since ${dueText}", "color": "Attention", "wrap": true },
        { "type": "FactSet", "facts": [
          { "title": "Customer", "value": "${account.name}" },
          { "title": "PO", "value": "${po}" },
          { "title": "Value", "value": "${formatNumber(value, 2)} ${currency}" },
          { "title": "Deliver by", "value": "${dueText}" },
          { "title": "Status", "value": "${if(overdue, 'Overdue', status)}" },
          { "title": "Priority", "value": "${priority}" },
          { "title": "Created by", "value": "${createdBy}" },
          { "title": "Lines", "value": "${count(lines)} lines" }
        ]},
        { "type": "TextBlock", "text": "Lines", "weight": "Bolder", "wrap": true },
        { "type": "ColumnSet", "$data": "${lines}", "columns": [
          { "type": "Column", "width": "auto", "items": [ { "type": "TextBlock", "text": "${sku}", "wrap": true } ] },
          { "type": "Column", "width": "stretch", "items": [ { "type": "TextBlock", "text": "${description}", "wrap": true } ] },
          { "type": "Column", "width": "auto", "items": [ { "type": "TextBlock", "text": "${qtyText}", "horizontalAlignment": "Right", "wrap": true } ] }
        ]},
        { "type": "TextBlock", "text": "Notes: ${notes}", "wrap": true, "isSubtle": true }
      ],
      "actions": [
        { "type": "Action.Execute", "title": "Confirm ${po}", "verb": "commitment.confirm", "data": { "verb": "commitment.confirm", "id": "${id}", "rev": "${version}" } },
        { "type": "Action.Execute", "title": "Reschedule ${po}", "verb": "commitment.reschedule", "data": { "verb": "commitment.reschedule", "id": "${id}", "rev": "${version}" } },
        { "type": "Action.OpenUrl", "title": "Open in dashboard", "url": "${dashboardUrl}" }
      ]
    }
    """;

    public sealed record Account(string Name, string Region);
    public sealed record Person(string Name, string AadId);
    public sealed record Line(string Sku, string Description, string QtyText);
    public sealed record CommitmentView(
        string Id, int Version, string[] Viewers, string Title, Account Account, Person Owner, bool Overdue, string DueText,
        string Po, double Value, string Currency, string Status, string Priority, string CreatedBy, Line[] Lines, string Notes, string DashboardUrl);

    public static CommitmentView Model { get; } = new(
        "c-1042", 7, ["29:1a", "29:2b"], "Commitment SO-88121 for Contoso", new Account("Contoso Ltd", "EMEA"), new Person("Ann Lee", "00000000-0000-0000-0000-0000000000a1"),
        true, "Mon 23 Nov 2026", "PO-4471", 1234567.891, "EUR", "Open", "High", "Bob Stone",
        [.. Enumerable.Range(1, 20).Select(i => new Line($"SKU-{i:000}", $"Industrial valve type {i}, stainless", $"{i * 3} pcs"))],
        "Customer asked for partial delivery if needed.", "https://opsbot.example.com/commitments/c-1042");

    private CompiledTemplate _compiled = null!;
    private CardTemplates _cards = null!;
    private JsonDocument _data = null!;
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private Utf8JsonWriter _writer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var folder = Path.Combine(Path.GetTempPath(), "opsbot-bench-" + Environment.ProcessId, "cards");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "commitment-bench.json"), Template);
        _cards = new CardTemplates(folder);
        _compiled = _cards["commitment-bench"].Compiled;
        _data = JsonSerializer.SerializeToDocument(Model, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        _writer = TemplateEngine.CreateWriter(_buffer);
    }

    [Benchmark(Baseline = true)]
    public int Expand()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _compiled.WriteTo(_writer, _data.RootElement);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int RenderTo()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _cards.RenderTo(_writer, "commitment-bench", Model);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public JsonObject Render() => _cards.Render("commitment-bench", Model);
}
