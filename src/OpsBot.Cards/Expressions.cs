using System.Runtime.InteropServices;
using System.Text;
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
    public override object? Eval(EvalContext c, bool subst)
    {
        var o = new JsonObject();
        for (var i = 0; i < keys.Length; i++)
        {
            var v = values[i].Eval(c, subst);
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

/// <summary>
/// Parser for one templated string (the reference wraps it in backticks and lexes it with AEL's ANTLR grammar)
/// and for the AEL expressions inside <c>${…}</c>.
/// </summary>
internal static class TemplateParser
{
    /// <summary>Parses a string containing <c>${</c>: text and expression parts, as AEL's string interpolation does.</summary>
    public static List<Expr> ParseInterpolation(string s)
    {
        var children = new List<Expr> { new ConstExpr("") };
        var text = new StringBuilder();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '`') throw new TemplateSyntaxException("unescaped backtick in templated text (write \\`)");
            if (c == '$' && i + 1 < s.Length && s[i + 1] == '{')
            {
                var end = MatchTemplate(s, i);
                if (end > 0)
                {
                    if (text.Length > 0) { children.Add(new ConstExpr(text.ToString())); text.Clear(); }
                    children.Add(ParseExpression(TrimExpression(s[i..end])));
                    i = end;
                    continue;
                }
            }
            if (c == '\\' && i + 1 < s.Length && s[i + 1] is '`' or '$')
            {
                text.Append(s[i + 1]);
                i += 2;
                continue;
            }
            text.Append(c);
            i++;
        }
        if (text.Length > 0) children.Add(new ConstExpr(text.ToString()));
        return children;
    }

    private static string TrimExpression(string expression)
    {
        var result = Js.JsTrim(expression);
        if (result.StartsWith('$')) result = result[1..];
        result = Js.JsTrim(result);
        if (result.StartsWith('{') && result.EndsWith('}')) result = result[1..^1];
        return Js.JsTrim(result);
    }

    // TEMPLATE : '$' '{' (STRING | OBJECT_DEFINITION | ~[\r\n{}'"`])+ '}' — longest match.
    private static int MatchTemplate(string s, int start)
    {
        var best = -1;
        var visited = new HashSet<int>();
        var pending = new Stack<int>();
        foreach (var p in ItemEnds(s, start + 2)) pending.Push(p);
        while (pending.Count > 0)
        {
            var p = pending.Pop();
            if (!visited.Add(p)) continue;
            if (p < s.Length && s[p] == '}') best = Math.Max(best, p + 1);
            foreach (var q in ItemEnds(s, p)) pending.Push(q);
        }
        return best;
    }

    private static IEnumerable<int> ItemEnds(string s, int p)
    {
        if (p >= s.Length) yield break;
        var c = s[p];
        if (c is '\'' or '"')
        {
            var end = StringEnd(s, p);
            if (end > 0) yield return end;
        }
        else if (c == '{')
        {
            foreach (var e in ObjectEnds(s, p)) yield return e;
        }
        else if (c is not ('\r' or '\n' or '}' or '`')) yield return p + 1;
    }

    /// <summary>End (exclusive) of a quoted string starting at <paramref name="p"/>, or -1.</summary>
    private static int StringEnd(string s, int p)
    {
        var q = s[p];
        for (var i = p + 1; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && (s[i + 1] == q || s[i + 1] == '\\')) { i++; continue; }
            if (s[i] == q) return i + 1;
        }
        return -1;
    }

    // OBJECT_DEFINITION: '{' (WHITESPACE | (IDENTIFIER | STRING) ':' (STRING | ~[{}\r\n'"`] | OBJECT_DEFINITION)+)* '}'
    // (WHITESPACE is disabled inside string interpolation: its predicate ignoreWS is false there).
    private static HashSet<int> ObjectEnds(string s, int p)
    {
        var ends = new HashSet<int>();
        var visited = new HashSet<(int, int)>();
        var pending = new Stack<(int Pos, int State)>(); // state 0: loop start, 1: after key, 2: in value
        pending.Push((p + 1, 0));
        while (pending.Count > 0)
        {
            var (pos, state) = pending.Pop();
            if (!visited.Add((pos, state)) || pos >= s.Length) continue;
            var c = s[pos];
            if (state is 0 or 2)
            {
                if (c == '}') ends.Add(pos + 1);
                if (c is '\'' or '"')
                {
                    var e = StringEnd(s, pos);
                    if (e > 0) pending.Push((e, 1));
                }
                else foreach (var e in IdentifierEnds(s, pos)) pending.Push((e, 1));
            }
            if (state == 1 && c == ':') { ValueItems(s, pos + 1, pending); }
            if (state == 2) ValueItems(s, pos, pending);
        }
        return ends;
    }

    private static void ValueItems(string s, int pos, Stack<(int, int)> pending)
    {
        if (pos >= s.Length) return;
        var c = s[pos];
        if (c is '\'' or '"')
        {
            var e = StringEnd(s, pos);
            if (e > 0) pending.Push((e, 2));
        }
        else if (c == '{')
        {
            foreach (var e in ObjectEnds(s, pos)) pending.Push((e, 2));
        }
        else if (c is not ('}' or '\r' or '\n' or '`')) pending.Push((pos + 1, 2));
    }

    private static IEnumerable<int> IdentifierEnds(string s, int p)
    {
        var starts = new List<int>();
        var c = s[p];
        if (char.IsAsciiLetter(c) || c is '_' or '#' or '@' or '$' or '%') starts.Add(p + 1);
        if (c == '@' && p + 1 < s.Length && s[p + 1] == '@') starts.Add(p + 2);
        foreach (var st in starts)
        {
            yield return st;
            for (var i = st; i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_'); i++) yield return i + 1;
        }
    }

    /// <summary>Parses one AEL expression; an empty expression is the empty string constant.</summary>
    public static Expr ParseExpression(string text)
    {
        if (text.Length == 0) return new ConstExpr("");
        var parser = new AelParser(Tokenize(text));
        var e = parser.ParseExpression(0);
        parser.Expect(TokenKind.End, "end of expression");
        return e;
    }

    internal enum TokenKind { Number, String, Identifier, Operator, End }

    internal readonly record struct Token(TokenKind Kind, string Text);

    private static readonly string[] TwoCharOps = ["==", "!=", "<>", "&&", "||", "<=", ">=", "=>", "??"];

    private static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c is ' ' or '\t' or '\ufeff' or '\u00a0' or '\n') { i++; continue; }
            if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') { i += 2; continue; }
            if (char.IsAsciiDigit(c))
            {
                var st = i;
                while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                if (i + 1 < s.Length && s[i] == '.' && char.IsAsciiDigit(s[i + 1]))
                {
                    i++;
                    while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                }
                tokens.Add(new Token(TokenKind.Number, s[st..i]));
                continue;
            }
            if (c is '\'' or '"')
            {
                var end = StringEnd(s, i);
                if (end < 0) throw new TemplateSyntaxException($"unterminated string in '{s}'");
                tokens.Add(new Token(TokenKind.String, s[i..end]));
                i = end;
                continue;
            }
            if (char.IsAsciiLetter(c) || c is '_' or '#' or '@' or '$' || (c == '%' && i + 1 < s.Length && (char.IsAsciiLetterOrDigit(s[i + 1]) || s[i + 1] == '_')))
            {
                var st = i;
                i += c == '@' && i + 1 < s.Length && s[i + 1] == '@' ? 2 : 1;
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Identifier, s[st..i]));
                continue;
            }
            if (i + 1 < s.Length && Array.IndexOf(TwoCharOps, s.Substring(i, 2)) >= 0)
            {
                tokens.Add(new Token(TokenKind.Operator, s.Substring(i, 2)));
                i += 2;
                continue;
            }
            if ("+-!^*/%&<>().[]{},:?".Contains(c))
            {
                tokens.Add(new Token(TokenKind.Operator, c.ToString()));
                i++;
                continue;
            }
            throw new TemplateSyntaxException($"unexpected character '{c}' in '{s}'");
        }
        tokens.Add(new Token(TokenKind.End, ""));
        return tokens;
    }

    private sealed class AelParser(List<Token> tokens)
    {
        private int _pos;
        private Token Current => tokens[_pos];
        private Token Peek(int k) => tokens[Math.Min(_pos + k, tokens.Count - 1)];

        private bool IsOp(string op) => Current.Kind == TokenKind.Operator && Current.Text == op;

        public void Expect(TokenKind kind, string what, string? op = null)
        {
            if (Current.Kind != kind || (op is not null && Current.Text != op))
                throw new TemplateSyntaxException($"syntax error: expected {what} but found '{(Current.Kind == TokenKind.End ? "<end>" : Current.Text)}'");
            _pos++;
        }

        private static int Precedence(string op) => op switch
        {
            "?" => 1,
            "??" => 2,
            "||" => 3,
            "&&" => 4,
            "<" or "<=" or ">" or ">=" => 5,
            "&" => 6,
            "==" or "!=" or "<>" => 7,
            "+" or "-" => 8,
            "*" or "/" or "%" => 9,
            "^" => 10,
            _ => -1,
        };

        public Expr ParseExpression(int minPrec)
        {
            var left = ParseUnary();
            while (Current.Kind == TokenKind.Operator)
            {
                var op = Current.Text;
                var prec = Precedence(op);
                if (prec < 0 || prec < minPrec) break;
                _pos++;
                if (op == "?")
                {
                    var then = ParseExpression(0);
                    Expect(TokenKind.Operator, "':'", ":");
                    var otherwise = ParseExpression(prec + 1);
                    left = Functions.Make("if", [left, then, otherwise]);
                    continue;
                }
                var right = ParseExpression(op == "^" ? prec : prec + 1);
                left = Functions.Make(op, [left, right]);
            }
            return left;
        }

        private Expr ParseUnary()
        {
            if (Current.Kind == TokenKind.Operator && Current.Text is "!" or "-" or "+")
            {
                var op = Current.Text;
                _pos++;
                var operand = ParseUnary();
                return op == "!" ? Functions.Make("!", [operand]) : Functions.Make(op, [new ConstExpr(0d), operand]);
            }
            return ParsePostfix(ParsePrimary());
        }

        private Expr ParsePrimary()
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.Number:
                    _pos++;
                    return new ConstExpr(double.Parse(t.Text, System.Globalization.CultureInfo.InvariantCulture));
                case TokenKind.String:
                    _pos++;
                    return new ConstExpr(StringLiteral(t.Text));
                case TokenKind.Identifier:
                    _pos++;
                    return t.Text switch
                    {
                        "true" => new ConstExpr(true),
                        "false" => new ConstExpr(false),
                        "null" => new ConstExpr(null),
                        "undefined" => new ConstExpr(Undefined.Value),
                        _ => new AccessorExpr(t.Text, null),
                    };
                case TokenKind.Operator when t.Text == "(":
                    _pos++;
                    var inner = ParseExpression(0);
                    Expect(TokenKind.Operator, "')'", ")");
                    return inner;
                case TokenKind.Operator when t.Text == "[":
                    _pos++;
                    return Functions.Make("createArray", ParseArgs("]"));
                case TokenKind.Operator when t.Text == "{":
                    _pos++;
                    return ParseObject();
                default:
                    throw new TemplateSyntaxException($"syntax error: unexpected '{(t.Kind == TokenKind.End ? "<end>" : t.Text)}'");
            }
        }

        private Expr ParseObject()
        {
            var keys = new List<string>();
            var values = new List<Expr>();
            if (IsOp("}")) { _pos++; return new ObjectLiteralExpr([], []); }
            while (true)
            {
                var k = Current;
                if (k.Kind == TokenKind.Identifier) keys.Add(k.Text);
                else if (k.Kind == TokenKind.String) keys.Add(k.Text[1..^1]);
                else throw new TemplateSyntaxException($"syntax error: expected an object key but found '{k.Text}'");
                _pos++;
                Expect(TokenKind.Operator, "':'", ":");
                values.Add(ParseExpression(0));
                if (IsOp(",")) { _pos++; continue; }
                Expect(TokenKind.Operator, "'}'", "}");
                return new ObjectLiteralExpr([.. keys], [.. values]);
            }
        }

        private Expr ParsePostfix(Expr e)
        {
            while (Current.Kind == TokenKind.Operator)
            {
                if (IsOp("."))
                {
                    _pos++;
                    if (Current.Kind != TokenKind.Identifier) throw new TemplateSyntaxException($"syntax error: expected a property name after '.' but found '{Current.Text}'");
                    e = new AccessorExpr(Current.Text, e);
                    _pos++;
                }
                else if (IsOp("[")) 
                {
                    _pos++;
                    var index = ParseExpression(0);
                    Expect(TokenKind.Operator, "']'", "]");
                    e = new ElementExpr(e, index);
                }
                else if (IsOp("(") || (IsOp("!") && Peek(1) is { Kind: TokenKind.Operator, Text: "(" }))
                {
                    var bang = IsOp("!");
                    _pos += bang ? 2 : 1;
                    var name = FunctionName(e) + (bang ? "!" : "");
                    e = Functions.Make(name, ParseArgs(")"));
                }
                else break;
            }
            return e;
        }

        private static string FunctionName(Expr e) => e switch
        {
            AccessorExpr { Instance: null } a => a.Name,
            AccessorExpr a => FunctionName(a.Instance!) + "." + a.Name,
            _ => "<expression>",
        };

        private Expr[] ParseArgs(string close)
        {
            var args = new List<Expr>();
            if (IsOp(close)) { _pos++; return []; }
            while (true)
            {
                if (Current.Kind == TokenKind.Identifier && Peek(1) is { Kind: TokenKind.Operator, Text: "=>" })
                {
                    args.Add(new AccessorExpr(Current.Text, null));
                    _pos += 2;
                }
                args.Add(ParseExpression(0));
                if (IsOp(",")) { _pos++; continue; }
                Expect(TokenKind.Operator, $"'{close}'", close);
                return [.. args];
            }
        }

        private static string StringLiteral(string token)
        {
            var text = token[1..^1];
            text = token[0] == '\'' ? text.Replace("\\'", "'", StringComparison.Ordinal) : text.Replace("\\\"", "\"", StringComparison.Ordinal);
            if (!text.Contains('\\')) return text;
            var sb = new StringBuilder(text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is not ('\r' or '\n'))
                {
                    var mapped = text[i + 1] switch { 'r' => "\r", 'n' => "\n", 't' => "\t", '\\' => "\\", _ => null };
                    sb.Append(mapped ?? text.Substring(i, 2));
                    i++;
                }
                else sb.Append(text[i]);
            }
            return sb.ToString();
        }
    }
}
