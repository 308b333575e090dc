using System.Text;
using System.Text.Json.Nodes;
using OpsBot.Cards;
using OpsBot.Conversations;

namespace OpsBot.Tests.Cards;

/// <summary>Theme-proof rules for every template in cards/, and the product-wide cards (welcome, help, error) rendered from their models.</summary>
public sealed class ProductCardTests
{
    private static readonly CardTemplates Cards = new(RepoFiles.PathOf("cards"));

    public static TheoryData<string> Templates() =>
        new(Directory.EnumerateFiles(RepoFiles.PathOf("cards"), "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!);

    private static IEnumerable<JsonObject> Objects(JsonNode? node) => node switch
    {
        JsonObject o => o.Select(p => p.Value).SelectMany(Objects).Prepend(o),
        JsonArray a => a.SelectMany(Objects),
        _ => [],
    };

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_is_readable_in_light_dark_and_high_contrast_themes(string name)
    {
        var template = JsonNode.Parse(File.ReadAllText(RepoFiles.PathOf("cards", $"{name}.json")))!.AsObject();

        Assert.Equal("AdaptiveCard", template["type"]!.GetValue<string>());
        Assert.Equal("1.5", template["version"]!.GetValue<string>());
        Assert.True(File.Exists(RepoFiles.PathOf("cards", "samples", $"{name}.data.json")), $"cards/samples/{name}.data.json is missing");
        Assert.InRange(template["actions"]?.AsArray().Count ?? 0, 0, 6);
        foreach (var element in Objects(template))
        {
            var type = element["type"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : "";
            Assert.DoesNotContain(type, new[] { "Table", "Media" });
            if (type == "TextBlock") Assert.True(element["wrap"]?.GetValue<bool>() == true, $"TextBlock without wrap:true: {element.ToJsonString()}");
            if (type == "Image") Assert.False(string.IsNullOrWhiteSpace(element["altText"]?.ToString()), $"Image without altText: {element.ToJsonString()}");
            foreach (var key in new[] { "color", "backgroundColor" })
                Assert.False(element[key]?.ToString().StartsWith('#') == true, $"hard-coded {key} {element[key]} breaks dark and high-contrast themes");
        }
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Sample_renders_within_the_size_budget(string name)
    {
        var sample = JsonNode.Parse(File.ReadAllText(RepoFiles.PathOf("cards", "samples", $"{name}.data.json")))!;

        var card = Cards.Render(name, sample).ToJsonString();

        Assert.InRange(Encoding.UTF8.GetByteCount(card), 1, 28 * 1024);
    }

    [Fact]
    public void Help_card_lists_every_command_with_its_usage_and_buttons_that_send_commands()
    {
        var model = new HelpCardModel("", [new("help", "Show what OpsBot can do"), new("commit <account> PO <po>", "Capture a customer commitment")]);

        var card = Cards.Render("help", model);

        var texts = Objects(card).Where(o => o["type"]?.ToString() == "TextBlock").Select(o => o["text"]!.ToString()).ToList();
        Assert.Contains("commit <account> PO <po>", texts);
        Assert.Contains("Capture a customer commitment", texts);
        Assert.DoesNotContain("${", card.ToJsonString(), StringComparison.Ordinal);
        var sent = card["actions"]!.AsArray().Select(a => a!["data"]!["msteams"]!["text"]!.ToString());
        Assert.Equal(["commit", "escalate", "alert"], sent);
    }

    [Fact]
    public void Error_card_shows_title_and_message_and_offers_help()
    {
        var card = Cards.Render("error", ErrorCardModel.Unexpected(null));

        var texts = Objects(card).Where(o => o["type"]?.ToString() == "TextBlock").Select(o => o["text"]!.ToString()).ToList();
        Assert.Equal("Something went wrong", texts[0]);
        Assert.StartsWith("OpsBot could not finish that.", texts[1], StringComparison.Ordinal);
        Assert.DoesNotContain(texts, t => t.Contains("Reference", StringComparison.Ordinal));
        Assert.Equal("help", card["actions"]![0]!["data"]!["msteams"]!["text"]!.ToString());
    }

    [Fact]
    public void Welcome_card_greets_by_name_offers_the_main_commands_and_reveals_the_full_list()
    {
        var model = new JsonObject
        {
            ["userName"] = "Ann Smith",
            ["commands"] = new JsonArray(new JsonObject { ["usage"] = "my tasks", ["description"] = "Downstream forms you own" }),
        };

        var card = Cards.Render("welcome", model);

        Assert.Equal("Hi Ann Smith, welcome to OpsBot!", card["body"]![0]!["text"]!.ToString());
        var imBacks = Objects(card).Where(o => o["type"]?.ToString() == "Action.Submit").Select(o => o["data"]!["msteams"]!["value"]!.ToString());
        Assert.Equal(["commit", "escalate", "alert"], imBacks);
        var showAll = card["actions"]!.AsArray().Single()!;
        Assert.Equal("Action.ShowCard", showAll["type"]!.ToString());
        Assert.Contains("my tasks", showAll["card"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("${", card.ToJsonString(), StringComparison.Ordinal);
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
}
