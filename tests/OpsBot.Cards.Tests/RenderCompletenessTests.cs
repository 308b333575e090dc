using System.Text.Json.Nodes;

namespace OpsBot.Cards.Tests;

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

    [Fact]
    public void A_typed_model_renders_as_its_camelCase_json_and_RenderTo_writes_the_same_card()
    {
        File.WriteAllText(Path.Combine(_folder, "order.json"), """
            {"type":"AdaptiveCard","version":"1.5","body":[
              {"type":"TextBlock","text":"${title} for ${Account.Name} (${count(lines)} lines)","wrap":true},
              {"type":"TextBlock","$data":"${lines}","text":"${$index}: ${sku} · ${formatNumber(qty, 1)}","wrap":true},
              {"type":"TextBlock","$when":"${urgent}","text":"${note}","wrap":true}],
             "actions":[{"type":"Action.Execute","verb":"order.open","data":{"id":"${id}","rev":"${version}"}}]}
            """);
        var cards = new CardTemplates(_folder);
        var model = new OrderView("o-1", 3, "Order \"Zürich\" 😀", new("Contoso\nLtd"), true, "a\\b",
            [new("SKU-1", 2.25), new("SKU-2", 1500)]);

        var typed = cards.Render("order", model);
        var asJson = cards.Render("order", System.Text.Json.JsonSerializer.SerializeToNode(model, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = TemplateEngine.CreateWriter(buffer)) cards.RenderTo(writer, "order", model);

        Assert.Equal(asJson.ToJsonString(), typed.ToJsonString());
        Assert.Equal(typed.ToJsonString(), JsonNode.Parse(buffer.WrittenSpan)!.ToJsonString());
        Assert.Equal("Order \"Zürich\" 😀 for Contoso\nLtd (2 lines)", typed["body"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("1: SKU-2 · 1,500.0", typed["body"]![2]!["text"]!.GetValue<string>());
        Assert.Equal("a\\b", typed["body"]![3]!["text"]!.GetValue<string>());
        Assert.Equal(3, typed["actions"]![0]!["data"]!["rev"]!.GetValue<int>());
    }

    private sealed record OrderView(string Id, int Version, string Title, AccountView Account, bool Urgent, string Note, LineView[] Lines);
    private sealed record AccountView(string Name);
    private sealed record LineView(string Sku, double Qty);

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
