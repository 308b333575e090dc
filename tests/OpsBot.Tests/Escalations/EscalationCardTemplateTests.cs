using System.Text.Json.Nodes;
using OpsBot.Cards;

namespace OpsBot.Tests.Escalations;

/// <summary>Every escalation template renders its sample data completely and follows the card rules (wrap, altText, size).</summary>
public sealed class EscalationCardTemplateTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "cards");

    public static TheoryData<string> Templates()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Folder, "escalation-*.json")) data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Sample_renders_without_leftover_bindings_and_within_the_card_rules(string name)
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "samples", name + ".data.json")))!;
        var card = new CardTemplates(Folder).Render(name, sample);
        var text = card.ToJsonString();

        Assert.DoesNotContain("${", text, StringComparison.Ordinal);
        Assert.Equal("1.5", card["version"]!.GetValue<string>());
        Assert.True(text.Length < 28 * 1024, $"{name} is {text.Length} characters");
        var nodes = Descendants(card).ToList();
        Assert.All(nodes.Where(n => n["type"]?.GetValue<string>() == "TextBlock"), t => Assert.True(t["wrap"]?.GetValue<bool>(), $"TextBlock without wrap in {name}"));
        Assert.All(nodes.Where(n => n["type"]?.GetValue<string>() == "Image"), i => Assert.False(string.IsNullOrEmpty(i["altText"]?.GetValue<string>())));
        Assert.DoesNotContain(nodes, n => n["type"]?.GetValue<string>() is "Table" or "Media");
        Assert.True((card["actions"] as JsonArray ?? []).Count <= 6);
    }

    private static IEnumerable<JsonObject> Descendants(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                yield return o;
                foreach (var (_, v) in o) foreach (var d in Descendants(v)) yield return d;
                break;
            case JsonArray a:
                foreach (var v in a) foreach (var d in Descendants(v)) yield return d;
                break;
        }
    }
}
