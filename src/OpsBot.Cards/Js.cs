using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsBot.Cards;

/// <summary>JavaScript's <c>undefined</c>, distinct from JSON null (adaptive-cards.md §7.5).</summary>
internal sealed class Undefined
{
    public static readonly Undefined Value = new();
    private Undefined() { }
    public override string ToString() => "undefined";
}

/// <summary>
/// Values while evaluating: null, <see cref="Undefined"/>, string, double, bool, JsonObject/JsonArray (data or built),
/// List&lt;object?&gt; (arrays made by functions). These helpers reproduce the JavaScript semantics the reference relies on.
/// </summary>
internal static class Js
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static object? FromNode(JsonNode? node)
    {
        if (node is not JsonValue v) return node;
        switch (v.GetValueKind())
        {
            case JsonValueKind.String: return v.GetValue<string>();
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Number:
                if (v.TryGetValue<double>(out var d)) return d;
                if (v.TryGetValue<long>(out var l)) return (double)l;
                if (v.TryGetValue<int>(out var i)) return (double)i;
                if (v.TryGetValue<decimal>(out var m)) return (double)m;
                return double.Parse(v.ToJsonString(), Inv);
            default: return null;
        }
    }

    /// <summary>
    /// A value of the expansion data (a parsed <see cref="JsonDocument"/>): scalars become JS values, objects and arrays stay
    /// boxed <see cref="JsonElement"/>s, read in place by the engine and wrapped as JsonNode only when a function gets them (<see cref="Public"/>).
    /// </summary>
    public static object? FromElement(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => BoxedTrue,
        JsonValueKind.False => BoxedFalse,
        JsonValueKind.Number => e.TryGetDouble(out var d) ? d : double.Parse(e.GetRawText(), Inv),
        JsonValueKind.Object or JsonValueKind.Array => e,
        _ => null,
    };

    private static readonly object BoxedTrue = true, BoxedFalse = false;

    /// <summary>
    /// The bytes the engine's writer puts into a JSON string unchanged (printable ASCII it does not escape), found by asking it:
    /// a string of only these bytes in the data is copied as it is, which is exactly what writing the string would produce.
    /// </summary>
    public static readonly System.Buffers.SearchValues<byte> VerbatimStringBytes = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0x20, 0x7f - 0x20).Select(b => (byte)b).Where(b =>
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = TemplateEngine.CreateWriter(buffer)) writer.WriteStringValue([b]);
            return buffer.WrittenCount == 3;
        })]);
    private static readonly object[] BoxedIndexes = [.. Enumerable.Range(0, 256).Select(i => (object)(double)i)];

    /// <summary><c>$index</c> values, boxed once.</summary>
    public static object BoxIndex(int i) => i < BoxedIndexes.Length ? BoxedIndexes[i] : (double)i;

    /// <summary>An object or array of the data as the JsonNode every function works with (a view over the element, not a copy).</summary>
    public static object? Public(object? v) => v is JsonElement e
        ? e.ValueKind == JsonValueKind.Object ? JsonObject.Create(e) : JsonArray.Create(e)
        : v;

    public static bool IsArray(object? v) => v is JsonArray or List<object?> or JsonElement { ValueKind: JsonValueKind.Array };

    public static int ArrayCount(object? v) => v switch
    {
        JsonArray a => a.Count,
        List<object?> l => l.Count,
        JsonElement { ValueKind: JsonValueKind.Array } e => e.GetArrayLength(),
        _ => 0,
    };

    public static object? ArrayItem(object? v, int i) => v switch
    {
        JsonArray a => FromNode(a[i]),
        List<object?> l => l[i],
        JsonElement { ValueKind: JsonValueKind.Array } e => FromElement(e[i]),
        _ => Undefined.Value,
    };

    public static List<object?> ToList(object? v)
    {
        var n = ArrayCount(v);
        var list = new List<object?>(n);
        for (var i = 0; i < n; i++) list.Add(ArrayItem(v, i));
        return list;
    }

    public static bool IsNumber(object? v) => v is double d && !double.IsNaN(d);
    public static bool IsInteger(object? v) => v is double d && double.IsFinite(d) && Math.Floor(d) == d;
    public static bool IsNullish(object? v) => v is null or Undefined;

    /// <summary>JS falsiness (<c>!instance</c>).</summary>
    public static bool IsFalsy(object? v) => v switch
    {
        null or Undefined => true,
        bool b => !b,
        double d => d == 0 || double.IsNaN(d),
        string s => s.Length == 0,
        _ => false,
    };

    /// <summary>AEL <c>isLogicTrue</c>: false, null and undefined are false; everything else is true.</summary>
    public static bool IsLogicTrue(object? v) => v switch { bool b => b, null or Undefined => false, _ => true };

    public static JsonNode? ToNode(object? v) => v switch
    {
        null or Undefined => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        double d => NumberNode(d),
        JsonNode n => n.DeepClone(),
        JsonElement e => ((JsonNode)Public(e)!).DeepClone(),
        List<object?> l => new JsonArray(l.Select(ToNode).ToArray()),
        _ => JsonValue.Create(v.ToString()),
    };

    private static JsonNode? NumberNode(double d)
    {
        if (!double.IsFinite(d)) return null;
        if (Math.Floor(d) == d && Math.Abs(d) < 9007199254740992d) return JsonValue.Create((long)d);
        return JsonValue.Create(d);
    }

    public static void Write(Utf8JsonWriter w, object? v)
    {
        switch (v)
        {
            case null or Undefined: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case double d:
                if (!double.IsFinite(d)) w.WriteNullValue();
                else if (Math.Floor(d) == d && Math.Abs(d) < 9007199254740992d) w.WriteNumberValue((long)d);
                else w.WriteNumberValue(d);
                break;
            case JsonNode n: n.WriteTo(w); break;
            case JsonElement e: e.WriteTo(w); break;
            case List<object?> l:
                w.WriteStartArray();
                foreach (var item in l) Write(w, item);
                w.WriteEndArray();
                break;
            default: w.WriteStringValue(v.ToString()); break;
        }
    }

    /// <summary>JS <c>value.toString()</c> as used by the reference when concatenating text; null/undefined throw (TypeError).</summary>
    public static string ToJsString(object? v) => v switch
    {
        null => throw new TemplateEvalException("Cannot read properties of null (reading 'toString')"),
        Undefined => throw new TemplateEvalException("Cannot read properties of undefined (reading 'toString')"),
        _ => ToStringLoose(v),
    };

    /// <summary>JS <c>String(v)</c>.</summary>
    public static string ToStringLoose(object? v) => v switch
    {
        null => "null",
        Undefined => "undefined",
        string s => s,
        bool b => b ? "true" : "false",
        double d => NumberToString(d),
        JsonObject => "[object Object]",
        JsonArray or List<object?> => JoinArray(v, ","),
        JsonValue jv => ToStringLoose(FromNode(jv)),
        JsonElement e => ToStringLoose(Public(e)),
        _ => v.ToString() ?? "",
    };

    /// <summary>JS <c>Array.prototype.join</c>: null/undefined items are empty text.</summary>
    public static string JoinArray(object? array, string separator)
    {
        var n = ArrayCount(array);
        if (n == 0) return "";
        var sb = new StringBuilder();
        for (var i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(separator);
            var item = ArrayItem(array, i);
            if (!IsNullish(item)) sb.Append(ToStringLoose(item));
        }
        return sb.ToString();
    }

    /// <summary>AEL <c>commonStringify</c>.</summary>
    public static string CommonStringify(object? v)
    {
        if (IsNullish(v)) return "";
        if (v is JsonNode or List<object?> or JsonElement) return Stringify(v)!.TrimStart('\'', '"').TrimEnd('\'', '"');
        return ToStringLoose(v);
    }

    /// <summary>JS <c>JSON.stringify</c> (compact); undefined for undefined.</summary>
    public static string? Stringify(object? v)
    {
        if (v is Undefined) return null;
        var sb = new StringBuilder();
        StringifyTo(sb, v);
        return sb.ToString();
    }

    private static void StringifyTo(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case null or Undefined: sb.Append("null"); break;
            case string s: Quote(sb, s); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case double d: sb.Append(double.IsFinite(d) ? NumberToString(d) : "null"); break;
            case JsonValue jv: StringifyTo(sb, FromNode(jv)); break;
            case JsonElement e: StringifyTo(sb, Public(e)); break;
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in o)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Quote(sb, key);
                    sb.Append(':');
                    StringifyTo(sb, FromNode(value));
                }
                sb.Append('}');
                break;
            case JsonArray or List<object?>:
                sb.Append('[');
                var n = ArrayCount(v);
                for (var i = 0; i < n; i++)
                {
                    if (i > 0) sb.Append(',');
                    StringifyTo(sb, ArrayItem(v, i));
                }
                sb.Append(']');
                break;
            default: Quote(sb, v.ToString() ?? ""); break;
        }
    }

    private static void Quote(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", Inv));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>JS <c>Number.prototype.toString()</c>: shortest round-trip digits, exponent from 1e21 and below 1e-6.</summary>
    public static string NumberToString(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        if (d == 0) return "0";
        if (Math.Floor(d) == d && Math.Abs(d) < 1e15) return ((long)d).ToString(Inv);
        var (digits, n) = Decompose(Math.Abs(d));
        var k = digits.Length;
        var sb = new StringBuilder();
        if (d < 0) sb.Append('-');
        if (k <= n && n <= 21) sb.Append(digits).Append('0', n - k);
        else if (0 < n && n <= 21) sb.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        else if (-6 < n && n <= 0) sb.Append("0.").Append('0', -n).Append(digits);
        else
        {
            var e = n - 1;
            sb.Append(digits[0]);
            if (k > 1) sb.Append('.').Append(digits, 1, k - 1);
            sb.Append('e').Append(e >= 0 ? '+' : '-').Append(Math.Abs(e).ToString(Inv));
        }
        return sb.ToString();
    }

    /// <summary>Shortest digits and decimal exponent n such that value = 0.digits × 10^n.</summary>
    private static (string Digits, int N) Decompose(double abs)
    {
        var r = abs.ToString("R", Inv);
        var exp = 0;
        var ePos = r.IndexOfAny(['E', 'e']);
        if (ePos >= 0)
        {
            exp = int.Parse(r.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, Inv);
            r = r[..ePos];
        }
        var dot = r.IndexOf('.');
        var intPart = dot >= 0 ? r[..dot] : r;
        var frac = dot >= 0 ? r[(dot + 1)..] : "";
        var all = intPart + frac;
        var point = intPart.Length;
        var lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0') lead++;
        all = all[lead..];
        point -= lead;
        all = all.TrimEnd('0');
        if (all.Length == 0) all = "0";
        return (all, point + exp);
    }

    /// <summary>JS <c>parseInt(s)</c> (radix 10 unless 0x); NaN when no digits.</summary>
    public static double ParseInt(string s, bool allowHex = true)
    {
        var i = 0;
        while (i < s.Length && IsJsWhitespace(s[i])) i++;
        var neg = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        var radix = 10;
        if (allowHex && i + 1 < s.Length && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) { radix = 16; i += 2; }
        var start = i;
        double value = 0;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            var digit = c >= '0' && c <= '9' ? c - '0' : radix == 16 && char.IsAsciiHexDigit(c) ? Convert.ToInt32(c.ToString(), 16) : -1;
            if (digit < 0) break;
            value = value * radix + digit;
        }
        if (i == start) return double.NaN;
        return neg ? -value : value;
    }

    /// <summary>JS <c>parseFloat(s)</c>.</summary>
    public static double ParseFloat(string s)
    {
        var i = 0;
        while (i < s.Length && IsJsWhitespace(s[i])) i++;
        var start = i;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) i++;
        if (string.CompareOrdinal(s, i, "Infinity", 0, 8) == 0) return s[start] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
        var digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; }
        }
        if (digits == 0) return double.NaN;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            var j = i + 1;
            if (j < s.Length && (s[j] == '+' || s[j] == '-')) j++;
            var expDigits = 0;
            while (j < s.Length && char.IsAsciiDigit(s[j])) { j++; expDigits++; }
            if (expDigits > 0) i = j;
        }
        var text = s[start..i];
        if (text.EndsWith('.')) text = text[..^1];
        return double.Parse(text, NumberStyles.Float, Inv);
    }

    public static bool IsJsWhitespace(char c) =>
        c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f' or '\u00a0' or '\ufeff' or '\u1680' or '\u2028' or '\u2029' or '\u202f' or '\u205f' or '\u3000'
        || (c >= '\u2000' && c <= '\u200a');

    public static string JsTrim(string s)
    {
        int a = 0, b = s.Length;
        while (a < b && IsJsWhitespace(s[a])) a++;
        while (b > a && IsJsWhitespace(s[b - 1])) b--;
        return a == 0 && b == s.Length ? s : s[a..b];
    }

    /// <summary>JS <c>Math.round</c>: nearest integer, ties toward +∞.</summary>
    public static double MathRound(double x)
    {
        if (!double.IsFinite(x)) return x;
        var f = Math.Floor(x);
        return x - f >= 0.5 ? f + 1 : f;
    }

    /// <summary>d3-format <c>,.{precision}f</c> with the en-US locale of adaptive-expressions (U+2212 minus).</summary>
    public static string D3FixedGrouped(double value, int precision, string thousands = ",", string decimalPoint = ".")
    {
        if (double.IsNaN(value)) return "NaN";
        var negative = value < 0 || (value == 0 && double.IsNegative(value));
        var fixedText = ToFixed(Math.Abs(value), precision);
        if (negative && double.Parse(fixedText, Inv) == 0) negative = false;
        var dot = fixedText.IndexOf('.');
        var intPart = dot >= 0 ? fixedText[..dot] : fixedText;
        var frac = dot >= 0 ? fixedText[(dot + 1)..] : null;
        var sb = new StringBuilder();
        if (negative) sb.Append('\u2212');
        var first = intPart.Length % 3;
        if (first == 0) first = 3;
        sb.Append(intPart, 0, Math.Min(first, intPart.Length));
        for (var i = first; i < intPart.Length; i += 3) sb.Append(thousands).Append(intPart, i, 3);
        if (frac is not null) sb.Append(decimalPoint).Append(frac);
        return sb.ToString();
    }

    /// <summary>JS <c>Number.prototype.toFixed</c> for finite non-negative values (.NET formats doubles exactly, like ECMAScript).</summary>
    public static string ToFixed(double abs, int precision) =>
        abs >= 1e21 ? NumberToString(abs) : abs.ToString("F" + precision.ToString(Inv), Inv);
}
