using System.Text.Json.Nodes;

namespace OpsBot.Cards.Tests;

/// <summary>Templates compile once when the folder is loaded; a broken template fails loading with the file and JSON path.</summary>
public sealed class CardTemplatesTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "opsbot-cards-" + Guid.NewGuid().ToString("n"));
    private string Folder => Path.Combine(_root, "cards");

    public CardTemplatesTests() => Directory.CreateDirectory(Folder);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string name, string json) => File.WriteAllText(Path.Combine(Folder, name + ".json"), json);

    private const string Good = """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"${title}","wrap":true}]}""";

    [Fact]
    public void Unknown_function_names_file_and_json_path()
    {
        Write("ok", Good);
        Write("alert", """
            {"type":"AdaptiveCard","version":"1.5","body":[
              {"type":"TextBlock","text":"a"},
              {"type":"TextBlock","text":"b"},
              {"type":"TextBlock","text":"Total ${fromatNumber(total, 2)}","wrap":true}]}
            """);
        var ex = Assert.Throws<CardTemplateException>(() => new CardTemplates(Folder));
        Assert.Equal("cards/alert.json at $.body[2].text: unknown function 'fromatNumber'", ex.Message);
    }

    [Theory]
    [InlineData("""{"body":[{"text":"${name +}"}]}""", "cards/broken.json at $.body[0].text: syntax error")]
    [InlineData("""{"body":[{"text":"use `x` for ${name}"}]}""", "cards/broken.json at $.body[0].text: unescaped backtick")]
    [InlineData("""{"actions":[{"data":{"n":"${1e21}"}}]}""", "cards/broken.json at $.actions[0].data.n: syntax error")]
    [InlineData("""{"body":[{"$when":"${substring(a)}","text":"x"}]}""", "cards/broken.json at $.body[0].$when: function 'substring' expects 2 to 3 argument(s)")]
    [InlineData("""{"body":[{"$data":"${ToUpper(x)}"}]}""", "cards/broken.json at $.body[0].$data: unknown function 'ToUpper'")]
    [InlineData("""{"body":[""", "cards/broken.json: invalid JSON")]
    public void Broken_template_stops_loading(string json, string expectedStart)
    {
        Write("broken", json);
        var ex = Assert.Throws<CardTemplateException>(() => new CardTemplates(Folder));
        Assert.StartsWith(expectedStart, ex.Message);
    }

    [Fact]
    public void Render_errors_are_CardRenderException_with_file_and_path()
    {
        Write("list", """{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"first: ${items[3].name}"},{"type":"TextBlock","text":"${items[5]}"}]}""");
        var cards = new CardTemplates(Folder);
        var ex = Assert.Throws<CardRenderException>(() => cards.Render("list", new { items = new[] { new { name = "a" } } }));
        Assert.StartsWith("cards/list.json at $.body[1].text:", ex.Message);
        Assert.Contains("out of range", ex.Message);
        Assert.Throws<CardRenderException>(() => cards.Render("nope", new { }));
    }

    [Fact]
    public void Render_serialises_the_model_camelCase_and_compiles_once()
    {
        Write("ok", Good);
        var cards = new CardTemplates(Folder);
        var first = cards.Render("ok", new { Title = "Hello" });
        var second = cards.Render("OK", new JsonObject { ["title"] = "Again" });
        Assert.Equal("Hello", first["body"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("Again", second["body"]![0]!["text"]!.GetValue<string>());
        Assert.Same(cards["ok"].Compiled, cards["ok"].Compiled);
    }

    [Fact]
    public void Root_that_is_removed_or_repeated_is_not_a_card()
    {
        Write("gone", """{"type":"AdaptiveCard","$when":"${show}"}""");
        var cards = new CardTemplates(Folder);
        var ex = Assert.Throws<CardRenderException>(() => cards.Render("gone", new { show = false }));
        Assert.Contains("cards/gone.json", ex.Message);
    }
}
