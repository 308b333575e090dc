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
        var template = this[name];
        var data = model as JsonNode ?? JsonSerializer.SerializeToNode(model, model.GetType(), ModelJson);
        return template.Expand(data, requireComplete: true);
    }

    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "cards");
}
