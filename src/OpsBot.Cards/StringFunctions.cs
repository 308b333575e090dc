using System.Globalization;
using System.Text;
using static OpsBot.Cards.FunctionArgs;

namespace OpsBot.Cards;

/// <summary>AEL string functions with JS string semantics (UTF-16 indexes, SpecialCasing upper case, en-US default locale).</summary>
internal static class StringFunctions
{
    internal static object? Concat(CallExpr call, EvalContext c, bool subst)
    {
        var args = Args(call, c, subst);
        var soFar = args[0];
        for (var i = 1; i < args.Length; i++)
        {
            var second = args[i];
            if (Js.IsNullish(soFar) && Js.IsNullish(second)) soFar = Undefined.Value;
            else if (Js.IsNullish(soFar) && Js.IsArray(second)) soFar = second;
            else if (Js.IsNullish(second) && Js.IsArray(soFar)) { }
            else if (Js.IsArray(soFar) && Js.IsArray(second))
            {
                var list = Js.ToList(soFar);
                list.AddRange(Js.ToList(second));
                soFar = list;
            }
            else soFar = Js.CommonStringify(soFar) + Js.CommonStringify(second);
        }
        return soFar;
    }

    internal static object? Length(CallExpr call, EvalContext c, bool subst) => (double)StringOrEmpty(Args(call, c, subst, VerifyStringOrNull(call))[0]).Length;

    internal static object? ToUpper(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        return UpperSpecialCasing(Culture(LocaleFor(a, 2)).TextInfo.ToUpper(StringOrEmpty(a[0])));
    }

    internal static object? ToLower(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        return Culture(LocaleFor(a, 2)).TextInfo.ToLower(StringOrEmpty(a[0]));
    }

    /// <summary>JS toUpperCase applies Unicode SpecialCasing (ß → SS, ligatures), which .NET's simple mapping does not.</summary>
    private static string UpperSpecialCasing(string s)
    {
        if (!s.AsSpan().ContainsAny("ßﬀﬁﬂﬃﬄﬅﬆŉ")) return s;
        var sb = new StringBuilder(s.Length + 4);
        foreach (var ch in s)
        {
            sb.Append(ch switch
            {
                'ß' => "SS", 'ﬀ' => "FF", 'ﬁ' => "FI", 'ﬂ' => "FL", 'ﬃ' => "FFI", 'ﬄ' => "FFL", 'ﬅ' or 'ﬆ' => "ST", 'ŉ' => "\u02bcN",
                _ => ch.ToString(),
            });
        }
        return sb.ToString();
    }

    private static CultureInfo Culture(string locale)
    {
        try { return CultureInfo.GetCultureInfo(locale); }
        catch (CultureNotFoundException) { return CultureInfo.GetCultureInfo(DefaultLocale); }
    }

    internal static object? Trim(CallExpr call, EvalContext c, bool subst) => Js.JsTrim(StringOrEmpty(Args(call, c, subst, VerifyStringOrNull(call))[0]));

    internal static object? Substring(CallExpr call, EvalContext c, bool subst)
    {
        var str = call.Args[0].Eval(c, subst);
        if (str is Undefined) return "";
        if (str is not string s) throw Error(call, "first argument is neither a string nor a null object.");
        var start = call.Args[1].Eval(c, subst);
        if (!Js.IsInteger(start)) throw Error(call, "start is not an integer.");
        var st = (double)start!;
        if (st < 0 || st > s.Length) throw Error(call, $"start={Js.NumberToString(st)} which is out of range for {s}");
        double len;
        if (call.Args.Length == 2) len = s.Length - st;
        else
        {
            var l = call.Args[2].Eval(c, subst);
            if (!Js.IsInteger(l)) throw Error(call, "length is not an integer");
            len = (double)l!;
            if (len < 0 || st + len > s.Length) throw Error(call, $"length={Js.NumberToString(len)} which is out of range for {s}");
        }
        return s.Substring((int)st, (int)len);
    }

    internal static object? Replace(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        var old = StringOrEmpty(a[1]);
        if (old.Length == 0) throw Error(call, "the text to replace should be a string with length at least 1");
        return StringOrEmpty(a[0]).Replace(old, StringOrEmpty(a[2]), StringComparison.Ordinal);
    }

    internal static object? ReplaceIgnoreCase(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        var old = StringOrEmpty(a[1]);
        if (old.Length == 0) throw Error(call, "the text to replace should be a string with length at least 1");
        return StringOrEmpty(a[0]).Replace(old, StringOrEmpty(a[2]), StringComparison.OrdinalIgnoreCase);
    }

    internal static object? Split(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        var s = StringOrEmpty(a[0]);
        var sep = a.Length > 1 ? StringOrEmpty(a[1]) : "";
        if (sep.Length == 0) return s.Select(ch => (object?)ch.ToString()).ToList();
        return s.Split(sep).Select(p => (object?)p).ToList();
    }

    internal static object? StartsWith(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        return StringOrEmpty(a[0]).StartsWith(StringOrEmpty(a[1]), StringComparison.Ordinal);
    }

    internal static object? EndsWith(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        return StringOrEmpty(a[0]).EndsWith(StringOrEmpty(a[1]), StringComparison.Ordinal);
    }

    internal static object? IndexOf(CallExpr call, EvalContext c, bool subst) => Find(call, c, subst, last: false);

    internal static object? LastIndexOf(CallExpr call, EvalContext c, bool subst) => Find(call, c, subst, last: true);

    private static object? Find(CallExpr call, EvalContext c, bool subst, bool last)
    {
        var a = Args(call, c, subst);
        if (a[0] is null or Undefined or string)
        {
            if (a[1] is not (Undefined or string)) throw Error(call, "can only look for a string in a string.");
            var s = StringOrEmpty(a[0]);
            var t = StringOrEmpty(a[1]);
            return (double)(last ? (t.Length == 0 ? s.Length : s.LastIndexOf(t, StringComparison.Ordinal)) : s.IndexOf(t, StringComparison.Ordinal));
        }
        if (Js.IsArray(a[0]))
        {
            var n = Js.ArrayCount(a[0]);
            for (var k = 0; k < n; k++)
            {
                var i = last ? n - 1 - k : k;
                if (StrictEquals(Js.ArrayItem(a[0], i), a[1])) return (double)i;
            }
            return -1d;
        }
        throw Error(call, "works only on string or list.");
    }

    private static bool StrictEquals(object? a, object? b) => a switch
    {
        null => b is null,
        Undefined => b is Undefined,
        string s => b is string t && s == t,
        double x => b is double y && x == y,
        bool p => b is bool q && p == q,
        _ => ReferenceEquals(a, b),
    };
}
