using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsBot.Cards;

internal abstract class Expr
{
    public abstract object? Eval(EvalContext c, bool subst);
}

internal sealed class ConstExpr(object? value) : Expr
{
    public object? Value { get; } = value;

    /// <summary>A string constant without surrogates as UTF-8 (interpolated text is written as UTF-8), else null.</summary>
    public byte[]? Utf8 { get; } = value is string s && s.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0 ? Encoding.UTF8.GetBytes(s) : null;
    public override object? Eval(EvalContext c, bool subst) => Value;
}

internal sealed class AccessorExpr : Expr
{
    public AccessorExpr(string name, Expr? instance)
    {
        Name = name;
        Instance = instance;
        if (StaticPath(this, out var path, out var left))
        {
            _path = path;
            _parts = Memory.SplitPath(path);
            _utf8Parts = [.. _parts.Select(Encoding.UTF8.GetBytes)];
            _left = left;
            _substitute = "${" + path + "}";
        }
    }

    public string Name { get; }
    public Expr? Instance { get; }
    private readonly string? _path;
    private readonly string[]? _parts;
    private readonly byte[][]? _utf8Parts;
    private readonly Expr? _left;
    private readonly string? _substitute;

    public override object? Eval(EvalContext c, bool subst) => Js.Public(EvalRaw(c, subst));

    /// <summary>As <see cref="Eval"/>, but objects and arrays of the data stay <see cref="JsonElement"/>s (for the engine, not for functions).</summary>
    public object? EvalRaw(EvalContext c, bool subst)
    {
        string path;
        string[] parts;
        byte[][]? utf8Parts = null;
        Expr? left;
        if (_path is not null) (path, parts, utf8Parts, left) = (_path, _parts!, _utf8Parts, _left);
        else
        {
            path = DynamicPath(this, c, subst, out left);
            parts = Memory.SplitPath(path);
        }
        object? value;
        if (left is null) value = c.Lookup(path, parts, utf8Parts);
        else
        {
            var scope = left.Eval(c, subst);
            value = scope is Undefined ? Undefined.Value : Memory.Walk(scope, parts, 0, utf8Parts);
        }
        if (value is Undefined && subst)
        {
            c.NoteMissing(path);
            return _substitute ?? "${" + path + "}";
        }
        return value;
    }

    /// <summary>
    /// Fast path for the common <c>"${a.b}"</c> binding: a plain member path to a string in the data, found by exact key,
    /// is written straight from the data without decoding. Anything else returns false and writes nothing.
    /// </summary>
    public bool TryWriteDataString(EvalContext c, Utf8JsonWriter w, JsonEncodedText? propertyName)
    {
        if (TryGetDataString(c, out var e))
        {
            if (propertyName is { } pn) w.WritePropertyName(pn);
            var raw = JsonMarshal.GetRawUtf8Value(e);
            if (raw[1..^1].IndexOfAnyExcept(Js.VerbatimStringBytes) < 0) w.WriteRawValue(raw, skipInputValidation: true);
            else e.WriteTo(w);
            return true;
        }
        if (!IsPlainDataPath(c) || c.IsDataElement || c.CurrentData is not JsonObject cur) return false;
        JsonNode? node = cur;
        foreach (var part in _parts!)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(part, out node)) return false;
        }
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return false;
        if (propertyName is { } name) w.WritePropertyName(name);
        v.WriteTo(w);
        return true;
    }

    /// <summary>The string the plain member path points at in the data (a <see cref="JsonElement"/>), found by exact keys.</summary>
    public bool TryGetDataString(EvalContext c, out JsonElement value)
    {
        value = default;
        if (!IsPlainDataPath(c) || !c.TryGetDataObject(out var e)) return false;
        foreach (var part in _utf8Parts!)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e)) return false;
        }
        if (e.ValueKind != JsonValueKind.String) return false;
        value = e;
        return true;
    }

    private bool IsPlainDataPath(EvalContext c) => _parts is not null && _left is null && c.Lambdas is null && _path!.Length > 0 && _path[0] != '$';

    private static bool StaticPath(Expr start, out string path, out Expr? left)
    {
        var sb = "";
        Expr? cur = start;
        while (true)
        {
            if (cur is AccessorExpr a) { sb = a.Name + "." + sb; cur = a.Instance; }
            else if (cur is ElementExpr { Index: ConstExpr k } e && IndexSegment(k.Value) is { } seg) { sb = seg + "." + sb; cur = e.Instance; }
            else if (cur is ElementExpr) { path = ""; left = null; return false; }
            else break;
        }
        path = Normalise(sb);
        left = cur;
        return true;
    }

    private static string DynamicPath(Expr start, EvalContext c, bool subst, out Expr? left)
    {
        var sb = "";
        Expr? cur = start;
        while (true)
        {
            if (cur is AccessorExpr a) { sb = a.Name + "." + sb; cur = a.Instance; }
            else if (cur is ElementExpr e)
            {
                var v = e.Index.Eval(c, subst);
                sb = (IndexSegment(v) ?? throw new TemplateEvalException("index doesn't return an int or string")) + "." + sb;
                cur = e.Instance;
            }
            else break;
        }
        left = cur;
        return Normalise(sb);
    }

    private static string? IndexSegment(object? v)
    {
        if (!double.IsNaN(Js.ParseInt(Js.ToStringLoose(v)))) return "[" + Js.ToStringLoose(v) + "]";
        if (v is string s) return "['" + s + "']";
        return null;
    }

    private static string Normalise(string path) => path.TrimEnd('.').Replace(".[", "[", StringComparison.Ordinal);
}

internal sealed class ElementExpr(Expr instance, Expr index) : Expr
{
    public Expr Instance { get; } = instance;
    public Expr Index { get; } = index;

    public override object? Eval(EvalContext c, bool subst)
    {
        var inst = Instance.Eval(c, subst);
        var idx = Index.Eval(c, false);
        if (Js.IsInteger(idx)) return Memory.AccessIndex(inst, (double)idx!);
        if (idx is string s) return Memory.AccessProperty(inst, s);
        throw new TemplateEvalException("Could not coerce the index to an int or string.");
    }
}

internal sealed class ObjectLiteralExpr(string[] keys, Expr[] values) : Expr
{
    public Expr[] Values { get; } = values;

    public override object? Eval(EvalContext c, bool subst)
    {
        var o = new JsonObject();
        for (var i = 0; i < keys.Length; i++)
        {
            var v = Values[i].Eval(c, subst);
            if (v is Undefined) o.Remove(keys[i]);
            else o[keys[i]] = Js.ToNode(v);
        }
        return o;
    }
}

internal delegate object? FunctionImpl(CallExpr call, EvalContext c, bool subst);

internal sealed class CallExpr(string name, Expr[] args, FunctionImpl impl) : Expr
{
    public string Name { get; } = name;
    public Expr[] Args { get; } = args;
    public bool IsConcat { get; } = impl == Functions.ConcatImpl;
    public override object? Eval(EvalContext c, bool subst) => impl(this, c, subst);
}
