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
        if (!Directory.Exists(folder)) throw new InvalidOperationException($"Card template folder '{folder}' does not exist.");
        _templates = Directory.EnumerateFiles(folder, "*.json", SearchOption.TopDirectoryOnly)
            .ToFrozenDictionary(f => Path.GetFileNameWithoutExtension(f), CardTemplate.Load, StringComparer.OrdinalIgnoreCase);
    }

    public IEnumerable<string> Names => _templates.Keys;

    /// <summary>Expands template <paramref name="name"/> with <paramref name="model"/> serialised as camelCase JSON.</summary>
    public JsonObject Render(string name, object model)
    {
        if (!_templates.TryGetValue(name, out var template)) throw new KeyNotFoundException($"No card template named '{name}' in cards/.");
        var data = model as JsonNode ?? JsonSerializer.SerializeToNode(model, model.GetType(), ModelJson);
        return template.Expand(data);
    }

    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "cards");
}
