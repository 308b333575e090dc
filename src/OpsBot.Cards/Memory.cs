using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsBot.Cards;

/// <summary>AEL SimpleObjectMemory path walking and property/index access.</summary>
internal static class Memory
{
    public static object? Walk(object? scope, string[] parts, int start, byte[][]? utf8Parts = null)
    {
        var cur = scope;
        var value = cur;
        for (var i = start; i < parts.Length; i++)
        {
            var part = parts[i];
            double idx;
            if (Js.IsArray(cur) && !double.IsNaN(idx = Js.ParseInt(part)))
            {
                var n = Js.ArrayCount(cur);
                if (idx < 0 || idx >= n) return Undefined.Value;
                value = Js.ArrayItem(cur, (int)idx);
            }
            else value = AccessProperty(cur, part, utf8Parts?[i]);
            cur = value;
        }
        return start >= parts.Length ? scope : value;
    }

    /// <summary>AEL <c>accessProperty</c>: undefined on falsy instances; first key matching case-insensitively.</summary>
    public static object? AccessProperty(object? instance, string property, byte[]? utf8Property = null)
    {
        if (Js.IsFalsy(instance)) return Undefined.Value;
        switch (instance)
        {
            case JsonElement { ValueKind: JsonValueKind.Object } e:
                if (utf8Property is null ? e.TryGetProperty(property, out var found) : e.TryGetProperty(utf8Property, out found)) return Js.FromElement(found);
                foreach (var p in e.EnumerateObject())
                    if (string.Equals(p.Name, property, StringComparison.OrdinalIgnoreCase)) return Js.FromElement(p.Value);
                return Undefined.Value;
            case JsonElement { ValueKind: JsonValueKind.Array } e:
                return IndexKey(property, e.GetArrayLength()) is int ei ? Js.FromElement(e[ei]) : Undefined.Value;
            case JsonObject o:
                if (o.TryGetPropertyValue(property, out var exact)) return Js.FromNode(exact);
                for (var i = 0; i < o.Count; i++)
                {
                    var kv = o.GetAt(i);
                    if (string.Equals(kv.Key, property, StringComparison.OrdinalIgnoreCase)) return Js.FromNode(kv.Value);
                }
                return Undefined.Value;
            case JsonArray or List<object?>:
                return IndexKey(property, Js.ArrayCount(instance)) is int ai ? Js.ArrayItem(instance, ai) : Undefined.Value;
            case string s:
                return IndexKey(property, s.Length) is int si ? s[si].ToString() : Undefined.Value;
            default:
                return Undefined.Value;
        }
    }

    private static int? IndexKey(string property, int count)
    {
        if (property.Length == 0 || property.Length > 10) return null;
        foreach (var c in property) if (!char.IsAsciiDigit(c)) return null;
        if (property.Length > 1 && property[0] == '0') return null;
        var i = int.Parse(property, System.Globalization.CultureInfo.InvariantCulture);
        return i < count ? i : null;
    }

    public static object? AccessIndex(object? instance, double index)
    {
        if (Js.IsNullish(instance)) return Undefined.Value;
        if (!Js.IsArray(instance)) throw new TemplateEvalException($"{Js.ToStringLoose(instance)} is not a collection.");
        var n = Js.ArrayCount(instance);
        if (index < 0 || index >= n) throw new TemplateEvalException($"{Js.NumberToString(index)} is out of range for {Js.ToStringLoose(instance)}");
        return Js.ArrayItem(instance, (int)index);
    }

    /// <summary><c>path.split(/[.[\]]+/)</c>, empty parts dropped, surrounding quotes removed.</summary>
    public static string[] SplitPath(string path)
    {
        var parts = new List<string>();
        foreach (var raw in path.Split(['.', '[', ']'], StringSplitOptions.RemoveEmptyEntries))
        {
            var u = raw;
            if ((u.StartsWith('"') && u.EndsWith('"')) || (u.StartsWith('\'') && u.EndsWith('\''))) u = u.Length >= 2 ? u[1..^1] : "";
            parts.Add(u);
        }
        return [.. parts];
    }
}
