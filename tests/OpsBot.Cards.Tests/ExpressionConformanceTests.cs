using System.Text.Json.Nodes;

namespace OpsBot.Cards.Tests;

/// <summary>Runs the whole expression corpus through the JS reference once (one node process) for the theory below.</summary>
public sealed class ExpressionCorpusFixture : IAsyncLifetime
{
    public static readonly string CorpusFile = Path.Combine(NodePeers.RepoRoot, "tests", "OpsBot.Cards.Tests", "expression-corpus.json");

    public static JsonArray LoadCorpus() => (JsonArray)JsonNode.Parse(File.ReadAllText(CorpusFile))!;

    public Dictionary<string, JsonObject> Reference { get; } = [];

    public async Task InitializeAsync()
    {
        var corpus = LoadCorpus();
        var batch = new JsonArray(corpus.Select(c => (JsonNode?)new JsonObject
        {
            ["template"] = c!["template"]!.DeepClone(),
            ["data"] = c["data"]?.DeepClone(),
            ["host"] = c["host"]?.DeepClone(),
        }).ToArray());
        foreach (var item in batch.OfType<JsonObject>().Where(i => i["host"] is null)) item.Remove("host");
        var results = await NodePeers.RunAsync("expand.mjs", batch);
        for (var i = 0; i < corpus.Count; i++) Reference[corpus[i]!["name"]!.GetValue<string>()] = (JsonObject)results[i]!;
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// Theory B: tricky templates and expressions (tests/OpsBot.Cards.Tests/expression-corpus.json) expanded by the C# engine
/// and by adaptivecards-templating 2.3.1 must give the same JSON. Cases marked "error" must fail in C# (OpsBot policy,
/// adaptive-cards.md §7.7) while the reference either throws or leaves <c>${…}</c> text behind.
/// </summary>
public class ExpressionConformanceTests(ExpressionCorpusFixture fixture) : IClassFixture<ExpressionCorpusFixture>
{
    public static TheoryData<string> Cases => new(ExpressionCorpusFixture.LoadCorpus().Select(c => c!["name"]!.GetValue<string>()));

    [Fact]
    public void Corpus_calls_every_function_and_operator_the_engine_registers()
    {
        var called = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in ExpressionCorpusFixture.LoadCorpus().Where(c => c!["error"]?.GetValue<bool>() != true))
            foreach (var text in TemplatedStrings(c!["template"]))
                foreach (var part in TemplateParser.ParseInterpolation(text)) CollectCalls(part, called);

        var uncovered = Functions.Names.Where(n => !called.Contains(n)).Order(StringComparer.Ordinal).ToList();
        Assert.True(uncovered.Count == 0, $"no corpus case compares these with the reference: {string.Join(", ", uncovered)}");
    }

    [Fact]
    public void Corpus_case_names_are_unique()
    {
        var duplicates = ExpressionCorpusFixture.LoadCorpus().GroupBy(c => c!["name"]!.GetValue<string>()).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(duplicates);
    }

    private static IEnumerable<string> TemplatedStrings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => TemplatedStrings(p.Value)),
        JsonArray a => a.SelectMany(TemplatedStrings),
        JsonValue v when v.TryGetValue<string>(out var s) && s.Contains("${", StringComparison.Ordinal) => [s],
        _ => [],
    };

    private static void CollectCalls(Expr? e, HashSet<string> called)
    {
        switch (e)
        {
            case CallExpr call:
                called.Add(call.Name);
                foreach (var arg in call.Args) CollectCalls(arg, called);
                break;
            case AccessorExpr accessor:
                CollectCalls(accessor.Instance, called);
                break;
            case ElementExpr element:
                CollectCalls(element.Instance, called);
                CollectCalls(element.Index, called);
                break;
            case ObjectLiteralExpr literal:
                foreach (var value in literal.Values) CollectCalls(value, called);
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_matches_the_reference(string name)
    {
        var c = (JsonObject)ExpressionCorpusFixture.LoadCorpus().First(x => x!["name"]!.GetValue<string>() == name)!;
        var reference = fixture.Reference[name];
        var expectError = c["error"]?.GetValue<bool>() == true;

        JsonNode? actual = null;
        var error = Record.Exception(() => actual = TemplateEngine.Expand(c["template"], c["data"], c["host"]));

        if (expectError)
        {
            Assert.True(error is CardTemplateException or CardRenderException, $"C# should fail, got {actual?.ToJsonString() ?? error?.ToString()}");
            var jsFailed = reference["ok"]!.GetValue<bool>() == false;
            Assert.True(jsFailed || reference["result"]!.ToJsonString().Contains("${", StringComparison.Ordinal),
                $"the reference succeeded cleanly: {reference.ToJsonString()}");
            return;
        }
        Assert.True(reference["ok"]!.GetValue<bool>(), $"reference failed: {reference["error"]}");
        Assert.Null(error);
        var expected = reference["undefined"] is not null ? null : reference["result"];
        Assert.Equal(NodePeers.Normalize(expected), NodePeers.Normalize(actual));
    }
}
