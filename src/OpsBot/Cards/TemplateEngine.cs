using System.Text.Json.Nodes;

namespace OpsBot.Cards;

/// <summary>
/// Adaptive Card templating (${…}). Placeholder with simple path bindings only; the conforming engine
/// (adaptive-cards.md §7) replaces this file.
/// </summary>
public static class TemplateEngine
{
    public static JsonNode? Expand(JsonNode? template, JsonNode? data) => Expand(template, data, data);

    private static JsonNode? Expand(JsonNode? node, JsonNode? scope, JsonNode? root) => node switch
    {
        JsonObject o when o["$data"] is JsonNode d => ExpandData(o, Resolve(d, scope, root), root),
        JsonObject o when o["$when"] is JsonNode w => Resolve(w, scope, root) is JsonValue b && b.TryGetValue<bool>(out var keep) && keep
            ? Expand(new JsonObject(o.Where(p => p.Key != "$when").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))), scope, root) : null,
        JsonObject o => new JsonObject(o.Where(p => p.Key != "$data").Select(p => KeyValuePair.Create(p.Key, Expand(p.Value, scope, root)))),
        JsonArray a => new JsonArray(a.Where(i => i is not JsonObject w || !w.ContainsKey("$when") || Expand(i, scope, root) is not null).SelectMany(i => Expand(i, scope, root) is JsonArray inner && i is JsonObject { } io && io.ContainsKey("$data") ? inner.Select(x => x?.DeepClone()) : [Expand(i, scope, root)]).ToArray()),
        JsonValue v when v.TryGetValue<string>(out var s) && s.Contains("${", StringComparison.Ordinal) => Resolve(v, scope, root),
        _ => node?.DeepClone(),
    };

    private static JsonNode? ExpandData(JsonObject o, JsonNode? d, JsonNode? root)
    {
        var copy = new JsonObject(o.Where(p => p.Key != "$data").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        return d is JsonArray items ? new JsonArray(items.Select(i => Expand(copy, i, root)).ToArray()) : Expand(copy, d, root);
    }

    private static JsonNode? Resolve(JsonNode node, JsonNode? scope, JsonNode? root)
    {
        var s = node.GetValue<string>();
        if (s.StartsWith("${", StringComparison.Ordinal) && s.EndsWith('}') && s.IndexOf("${", 2, StringComparison.Ordinal) < 0)
            return Path(s[2..^1], scope, root)?.DeepClone() ?? JsonValue.Create(s);
        return JsonValue.Create(System.Text.RegularExpressions.Regex.Replace(s, @"\$\{([^}]*)\}", m => Path(m.Groups[1].Value, scope, root)?.ToString() ?? m.Value));
    }

    private static JsonNode? Path(string path, JsonNode? scope, JsonNode? root)
    {
        var current = path.StartsWith("$root", StringComparison.Ordinal) ? root : scope;
        foreach (var part in path.Split('.').Where(p => p is not "$root" and not "$data"))
            current = current is JsonObject o ? o[part] : null;
        return current;
    }
}
