using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsBot.Cards;

/// <summary>Every template in <c>cards/</c>, parsed once at start-up; renders a card from a typed view model.</summary>
public sealed class CardTemplates
{
    private static readonly JsonSerializerOptions ModelJson = new(JsonSerializerDefaults.Web);
    private readonly FrozenDictionary<string, CardTemplate> _templates;

    public CardTemplates(string folder)
    {
        if (!Directory.Exists(folder)) throw new CardTemplateException($"Card template folder '{folder}' does not exist.");
        _templates = Directory.EnumerateFiles(folder, "*.json", SearchOption.TopDirectoryOnly)
            .ToFrozenDictionary(f => Path.GetFileNameWithoutExtension(f), CardTemplate.Load, StringComparer.OrdinalIgnoreCase);
    }

    public IEnumerable<string> Names => _templates.Keys;

    public CardTemplate this[string name] => _templates.TryGetValue(name, out var template)
        ? template
        : throw new CardRenderException($"No card template named '{name}' in cards/.");

    /// <summary>
    /// Expands template <paramref name="name"/> with <paramref name="model"/> serialised as camelCase JSON.
    /// Any failure is a <see cref="CardRenderException"/> naming the template file and JSON path.
    /// </summary>
    public JsonObject Render(string name, object model)
    {
        if (model is JsonNode node) return this[name].Expand(node, requireComplete: true);
        var output = ScratchJson.Rent();
        try
        {
            RenderTo(output.Writer, name, model);
            return JsonNode.Parse(output.Buffer.WrittenSpan)!.AsObject();
        }
        finally { ScratchJson.Return(output); }
    }

    /// <summary>
    /// As <see cref="Render"/>, writing the card's JSON to <paramref name="writer"/> (from <see cref="TemplateEngine.CreateWriter"/>)
    /// instead of building a <see cref="JsonObject"/>: for callers that only serialise the card.
    /// </summary>
    public void RenderTo(Utf8JsonWriter writer, string name, object model)
    {
        var template = this[name];
        var data = ScratchJson.Rent();
        try
        {
            JsonSerializer.Serialize(data.Writer, model, model.GetType(), ModelJson);
            data.Writer.Flush();
            using var document = JsonDocument.Parse(data.Buffer.WrittenMemory);
            template.WriteTo(writer, document.RootElement, requireComplete: true);
        }
        finally { ScratchJson.Return(data); }
    }

    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "cards");
}
