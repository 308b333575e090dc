using System.Text;
using System.Text.Json.Nodes;

namespace OpsBot.Cards.Tests;

/// <summary>Expands every template in cards/ with its sample data in C#, and in one node batch each: the JS reference and the card parser.</summary>
public sealed class CardSamplesFixture : IAsyncLifetime
{
    public static IEnumerable<string> TemplateNames() =>
        Directory.EnumerateFiles(NodePeers.CardsFolder, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal);

    public static string SampleFile(string name) => Path.Combine(NodePeers.CardsFolder, "samples", $"{name}.data.json");

    public CardTemplates Templates { get; } = new(NodePeers.CardsFolder);
    public Dictionary<string, JsonObject> CSharp { get; } = [];
    public Dictionary<string, JsonObject> Reference { get; } = [];
    public Dictionary<string, JsonArray> ParseEvents { get; } = [];

    public async Task InitializeAsync()
    {
        var names = TemplateNames().Where(n => File.Exists(SampleFile(n))).ToList();
        var batch = new JsonArray();
        foreach (var name in names)
        {
            var data = JsonNode.Parse(await File.ReadAllTextAsync(SampleFile(name)));
            CSharp[name] = Templates.Render(name, data!);
            batch.Add(new JsonObject { ["template"] = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(NodePeers.CardsFolder, name + ".json"))), ["data"] = data!.DeepClone() });
        }
        var expanded = await NodePeers.RunAsync("expand.mjs", batch);
        var parsed = await NodePeers.RunAsync("validate-card.mjs", new JsonArray(names.Select(n => (JsonNode?)CSharp[n].DeepClone()).ToArray()));
        for (var i = 0; i < names.Count; i++)
        {
            Reference[names[i]] = (JsonObject)expanded[i]!;
            ParseEvents[names[i]] = (JsonArray)parsed[i]!["events"]!;
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// Theory A: every template in cards/ with cards/samples/&lt;name&gt;.data.json expands in C# exactly as adaptivecards-templating
/// 2.3.1 does (after key-order normalisation), leaves no <c>${</c>, stays ≤ 28 KB and parses in the official adaptivecards
/// library at version 1.5 without errors or warnings.
/// </summary>
public class CardConformanceTests(CardSamplesFixture fixture) : IClassFixture<CardSamplesFixture>
{
    public static TheoryData<string> Templates => new(CardSamplesFixture.TemplateNames());

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_has_sample_data(string name)
    {
        Assert.True(File.Exists(CardSamplesFixture.SampleFile(name)), $"cards/samples/{name}.data.json is missing");
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Csharp_expansion_equals_the_reference(string name)
    {
        var reference = fixture.Reference[name];
        Assert.True(reference["ok"]!.GetValue<bool>(), $"reference failed: {reference["error"]}");
        Assert.Equal(NodePeers.Normalize(reference["result"]), NodePeers.Normalize(fixture.CSharp[name]));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Expanded_card_is_complete_and_small(string name)
    {
        var json = fixture.CSharp[name].ToJsonString();
        Assert.DoesNotContain("${", json, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(json) <= 28 * 1024, $"{name} is {Encoding.UTF8.GetByteCount(json)} bytes");
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Expanded_card_parses_in_adaptivecards_1_5_without_events(string name)
    {
        var events = fixture.ParseEvents[name];
        Assert.True(events.Count == 0, $"{name}: {events.ToJsonString()}");
    }

    [Fact]
    public async Task Card_parser_reports_broken_cards()
    {
        var broken = new JsonArray(JsonNode.Parse("""{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlok","text":"x"},{"type":"Input.Text"}]}"""));
        var events = (JsonArray)(await NodePeers.RunAsync("validate-card.mjs", broken))[0]!["events"]!;
        Assert.Contains(events, e => e!["event"]!.GetValue<string>() == "UnknownElementType");
        Assert.Contains(events, e => e!["message"]!.GetValue<string>().Contains("unique Id", StringComparison.Ordinal));
    }
}
