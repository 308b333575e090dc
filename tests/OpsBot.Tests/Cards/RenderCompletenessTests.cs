using System.Text.Json.Nodes;
using OpsBot.Cards;

namespace OpsBot.Tests.Cards;

/// <summary>OpsBot never sends a card with a binding its view model did not fill (the reference would show literal ${…}).</summary>
public sealed class RenderCompletenessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("opsbot-cards-").FullName;

    [Fact]
    public void A_model_without_a_bound_field_is_a_render_error_naming_the_field()
    {
        File.WriteAllText(Path.Combine(_folder, "greeting.json"),
            """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"Hi ${name}, ${if(exists(team), team, 'no team')}","wrap":true}]}""");
        var cards = new CardTemplates(_folder);

        var error = Assert.Throws<CardRenderException>(() => cards.Render("greeting", new { team = "Ops" }));
        Assert.Contains("'name'", error.Message, StringComparison.Ordinal);
        Assert.Contains("greeting.json", error.Message, StringComparison.Ordinal);

        var card = cards.Render("greeting", new { name = "Ann" });
        Assert.Equal("Hi Ann, no team", card["body"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void User_text_that_looks_like_a_binding_is_data_not_a_gap()
    {
        File.WriteAllText(Path.Combine(_folder, "note.json"),
            """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"${note}","wrap":true}]}""");
        var cards = new CardTemplates(_folder);

        var card = cards.Render("note", new { note = "price is ${total}" });

        Assert.Equal("price is ${total}", card["body"]![0]!["text"]!.GetValue<string>());
    }

    public static TheoryData<string> ShippedCards() =>
        [.. Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "cards"), "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order()];

    [Theory]
    [MemberData(nameof(ShippedCards))]
    public void Every_shipped_card_renders_completely_from_its_sample(string name)
    {
        var cards = new CardTemplates(Path.Combine(AppContext.BaseDirectory, "cards"));
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cards", "samples", name + ".data.json")))!;

        var card = cards.Render(name, sample);

        Assert.Equal("AdaptiveCard", card["type"]!.GetValue<string>());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
