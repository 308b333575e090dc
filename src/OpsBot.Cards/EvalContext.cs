using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsBot.Cards;

/// <summary>The scopes an expression sees (adaptive-cards.md §7.3): <c>$root</c>, <c>$data</c>, <c>$index</c>, <c>$host</c>, lambda variables.</summary>
internal sealed class EvalContext(object? root, object? host)
{
    public static readonly JsonObject TemplateVersion = new() { ["major"] = 2, ["minor"] = 3, ["patch"] = 1, ["suffix"] = "" };
    private static readonly string[] MemoryKeys = ["_memory", "$root", "$data", "$index", "$host", "$_acTemplateVersion"];

    public object? Root { get; } = root;
    public object? Host { get; } = host;
    private object? _data = Undefined.Value;
    private JsonElement _dataElement;
    private bool _dataUnboxed;

    /// <summary>The current <c>$data</c> (undefined until a <c>$data</c> property sets it).</summary>
    public object? Data
    {
        get
        {
            if (_dataUnboxed) (_data, _dataUnboxed) = (_dataElement, false);
            return _data;
        }
        set => (_data, _dataUnboxed) = (value, false);
    }

    /// <summary>Sets <c>$data</c> to an object or array of the data without boxing it (boxed only if something asks for <see cref="Data"/>).</summary>
    public void SetData(JsonElement element) => (_dataElement, _dataUnboxed) = (element, true);

    public (object? Data, JsonElement Element, bool Unboxed) SaveData() => (_data, _dataElement, _dataUnboxed);
    public void RestoreData((object? Data, JsonElement Element, bool Unboxed) saved) => (_data, _dataElement, _dataUnboxed) = saved;

    public bool IsDataElement => _dataUnboxed || CurrentData is JsonElement;

    /// <summary>The current data when it is an object of the data, without boxing it.</summary>
    public bool TryGetDataObject(out JsonElement element)
    {
        if (_dataUnboxed) element = _dataElement;
        else if (CurrentData is JsonElement boxed) element = boxed;
        else
        {
            element = default;
            return false;
        }
        return element.ValueKind == JsonValueKind.Object;
    }

    public object? Index { get; set; } = Undefined.Value;

    /// <summary>The first path that resolved to undefined and was substituted by its <c>${path}</c> text (reference behaviour).</summary>
    public string? FirstMissingPath { get; private set; }

    public void NoteMissing(string path) => FirstMissingPath ??= path;
    public LambdaFrame? Lambdas { get; set; }

    /// <summary>The reference's <c>$data</c> getter: the root until a <c>$data</c> property sets it.</summary>
    public object? CurrentData => Data is Undefined ? Root : Data;

    /// <summary>StackedMemory (lambda variables) over TemplateObjectMemory (paths not starting with <c>$</c> are under <c>$data</c>).</summary>
    public object? Lookup(string path, string[] parts, byte[][]? utf8Parts = null)
    {
        for (var frame = Lambdas; frame is not null; frame = frame.Next)
        {
            var first = parts.Length == 0 ? null : parts[0];
            if (first is null) break;
            if (first == frame.Name || string.Equals(first, frame.Name, StringComparison.OrdinalIgnoreCase))
            {
                var v = Memory.Walk(frame.Value, parts, 1, utf8Parts);
                if (v is not Undefined) return v;
            }
        }
        if (path.Length > 0 && path[0] != '$') return Memory.Walk(CurrentData, parts, 0, utf8Parts);
        if (parts.Length == 0) return Undefined.Value;
        object? scope = Undefined.Value;
        foreach (var key in MemoryKeys)
        {
            if (!string.Equals(key, parts[0], StringComparison.OrdinalIgnoreCase)) continue;
            scope = key switch
            {
                "$root" => Root,
                "$data" => CurrentData,
                "$index" => Index,
                "$host" => Host,
                "$_acTemplateVersion" => TemplateVersion,
                _ => Undefined.Value,
            };
            break;
        }
        return parts.Length == 1 ? scope : Memory.Walk(scope, parts, 1, utf8Parts);
    }
}

internal sealed class LambdaFrame(string name, object? value, LambdaFrame? next)
{
    public string Name { get; } = name;
    public object? Value { get; } = value;
    public LambdaFrame? Next { get; } = next;
}
