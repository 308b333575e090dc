using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsBot.Cards;

/// <summary>
/// The AEL prebuilt functions OpsBot supports, with adaptive-expressions 4.23.3 semantics (argument checks, substitution rules,
/// JS number and date behaviour, en-US default locale). Unsupported names are unknown functions and fail start-up.
/// </summary>
internal static class Functions
{
    private sealed record Def(int Min, int Max, FunctionImpl Impl, bool Lambda = false);

    private const int Many = int.MaxValue;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string DefaultLocale = "en-US";

    public static readonly FunctionImpl ConcatImpl = Concat;

    private static readonly Dictionary<string, Def> Table = new(StringComparer.Ordinal)
    {
        ["if"] = new(3, 3, If),
        ["&&"] = new(1, Many, And), ["and"] = new(1, Many, And),
        ["||"] = new(1, Many, Or), ["or"] = new(1, Many, Or),
        ["!"] = new(1, 1, Not), ["not"] = new(1, 1, Not),
        ["=="] = new(2, 2, Equal), ["equals"] = new(2, 2, Equal),
        ["!="] = new(2, 2, NotEqual),
        ["<"] = new(2, 2, Less), ["less"] = new(2, 2, Less),
        ["<="] = new(2, 2, LessOrEquals), ["lessOrEquals"] = new(2, 2, LessOrEquals),
        [">"] = new(2, 2, Greater), ["greater"] = new(2, 2, Greater),
        [">="] = new(2, 2, GreaterOrEquals), ["greaterOrEquals"] = new(2, 2, GreaterOrEquals),
        ["exists"] = new(1, 1, Exists),
        ["empty"] = new(1, 1, Empty),
        ["bool"] = new(1, 1, Bool),
        ["??"] = new(1, Many, Coalesce), ["coalesce"] = new(1, Many, Coalesce),
        ["&"] = new(1, Many, Concat), ["concat"] = new(1, Many, Concat),
        ["+"] = new(2, Many, Add), ["add"] = new(2, Many, Add),
        ["-"] = new(2, Many, Sub), ["sub"] = new(2, Many, Sub),
        ["*"] = new(2, Many, Mul), ["mul"] = new(2, Many, Mul),
        ["/"] = new(2, Many, Div), ["div"] = new(2, Many, Div),
        ["%"] = new(2, 2, Mod), ["mod"] = new(2, 2, Mod),
        ["^"] = new(2, Many, Power), ["exp"] = new(2, Many, Power),
        ["length"] = new(1, 1, Length),
        ["count"] = new(1, 1, Count),
        ["toUpper"] = new(1, 2, ToUpper),
        ["toLower"] = new(1, 2, ToLower),
        ["trim"] = new(1, 1, Trim),
        ["substring"] = new(2, 3, Substring),
        ["replace"] = new(3, 3, Replace),
        ["replaceIgnoreCase"] = new(3, 3, ReplaceIgnoreCase),
        ["split"] = new(1, 2, Split),
        ["join"] = new(2, 3, Join),
        ["startsWith"] = new(2, 2, StartsWith),
        ["endsWith"] = new(2, 2, EndsWith),
        ["contains"] = new(2, 2, Contains),
        ["indexOf"] = new(2, 2, IndexOf),
        ["lastIndexOf"] = new(2, 2, LastIndexOf),
        ["string"] = new(1, 2, StringFn),
        ["int"] = new(1, 1, Int),
        ["float"] = new(1, 1, Float),
        ["json"] = new(1, 1, Json),
        ["jsonStringify"] = new(1, 1, JsonStringify),
        ["first"] = new(1, 1, First),
        ["last"] = new(1, 1, Last),
        ["createArray"] = new(0, Many, CreateArray),
        ["take"] = new(2, 2, Take),
        ["skip"] = new(2, 2, Skip),
        ["range"] = new(2, 2, Range),
        ["indicesAndValues"] = new(1, 1, IndicesAndValues),
        ["min"] = new(1, Many, Min),
        ["max"] = new(1, Many, Max),
        ["sum"] = new(1, 1, Sum),
        ["average"] = new(1, 1, Average),
        ["round"] = new(1, 2, Round),
        ["floor"] = new(1, 1, (c, x, s) => Math.Floor(NumberArg(c, x, s))),
        ["ceiling"] = new(1, 1, (c, x, s) => Math.Ceiling(NumberArg(c, x, s))),
        ["abs"] = new(1, 1, (c, x, s) => Math.Abs(NumberArg(c, x, s))),
        ["where"] = new(3, 3, Where, Lambda: true),
        ["select"] = new(3, 3, Select, Lambda: true),
        ["foreach"] = new(3, 3, Select, Lambda: true),
        ["any"] = new(3, 3, Any, Lambda: true),
        ["all"] = new(3, 3, All, Lambda: true),
        ["formatNumber"] = new(2, 3, FormatNumber),
        ["formatDateTime"] = new(1, 3, FormatDateTime),
    };

    public static bool IsKnown(string name) => Table.ContainsKey(name);

    /// <summary>Builds a call, checking the name and the argument count as AEL does when the template is constructed.</summary>
    public static CallExpr Make(string name, Expr[] args)
    {
        if (!Table.TryGetValue(name, out var def)) throw new TemplateSyntaxException($"unknown function '{name}'");
        if (args.Length < def.Min || args.Length > def.Max)
        {
            var expected = def.Min == def.Max ? def.Min.ToString(Inv) : def.Max == Many ? $"at least {def.Min}" : $"{def.Min} to {def.Max}";
            throw new TemplateSyntaxException($"function '{name}' expects {expected} argument(s) but got {args.Length}");
        }
        if (def.Lambda && args[1] is not AccessorExpr { Instance: null })
            throw new TemplateSyntaxException($"function '{name}': the second argument must be an identifier (the lambda variable)");
        return new CallExpr(name, args, def.Impl);
    }

    // ---- evaluation helpers -------------------------------------------------------------------------------------

    private static object?[] Args(CallExpr call, EvalContext c, bool subst, Action<object?, int>? verify = null)
    {
        var args = new object?[call.Args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = call.Args[i].Eval(c, subst);
            verify?.Invoke(args[i], i);
        }
        return args;
    }

    private static TemplateEvalException Error(CallExpr call, string message) => new($"{call.Name}: {message}");

    private static Action<object?, int> VerifyNumber(CallExpr call) => (v, _) => { if (!Js.IsNumber(v)) throw Error(call, $"{Js.ToStringLoose(v)} is not a number."); };
    private static Action<object?, int> VerifyInteger(CallExpr call) => (v, _) => { if (!Js.IsInteger(v)) throw Error(call, $"{Js.ToStringLoose(v)} is not a integer."); };
    private static Action<object?, int> VerifyStringOrNull(CallExpr call) => (v, _) => { if (v is not (string or Undefined)) throw Error(call, $"{Js.ToStringLoose(v)} is neither a string nor a null object."); };
    private static Action<object?, int> VerifyNotNull(CallExpr call) => (v, _) => { if (Js.IsNullish(v)) throw Error(call, "argument is null."); };

    private static Action<object?, int> VerifyNumberOrNumericList(CallExpr call) => (v, _) =>
    {
        if (Js.IsNumber(v)) return;
        if (!Js.IsArray(v)) throw Error(call, $"{Js.ToStringLoose(v)} is neither a list nor a number.");
        for (var i = 0; i < Js.ArrayCount(v); i++) if (!Js.IsNumber(Js.ArrayItem(v, i))) throw Error(call, "list item is not a number.");
    };

    private static double NumberArg(CallExpr call, EvalContext c, bool subst) => (double)Args(call, c, subst, VerifyNumber(call))[0]!;

    private static string StringOrEmpty(object? v) => v as string ?? "";

    private static string LocaleFor(object?[] args, int maxArgs) => args.Length == maxArgs && args[maxArgs - 1] is string s ? s : DefaultLocale;

    // ---- logic (no substitution for conditions; comparisons turn errors into false) --------------------------------

    private static object? If(CallExpr call, EvalContext c, bool subst)
    {
        bool cond;
        try { cond = Js.IsLogicTrue(call.Args[0].Eval(c, false)); }
        catch (TemplateEvalException) { cond = false; }
        return call.Args[cond ? 1 : 2].Eval(c, subst);
    }

    private static object? And(CallExpr call, EvalContext c, bool subst)
    {
        foreach (var arg in call.Args)
        {
            try { if (!Js.IsLogicTrue(arg.Eval(c, false))) return false; }
            catch (TemplateEvalException) { return false; }
        }
        return true;
    }

    private static object? Or(CallExpr call, EvalContext c, bool subst)
    {
        foreach (var arg in call.Args)
        {
            try { if (Js.IsLogicTrue(arg.Eval(c, false))) return true; }
            catch (TemplateEvalException) { }
        }
        return false;
    }

    private static object? Not(CallExpr call, EvalContext c, bool subst)
    {
        try { return !Js.IsLogicTrue(call.Args[0].Eval(c, false)); }
        catch (TemplateEvalException) { return true; }
    }

    /// <summary>ComparisonEvaluator: children without substitution; a child error is false, an error of the comparison itself is an error.</summary>
    private static object? Comparison(CallExpr call, EvalContext c, Func<object?[], bool> func, Action<object?, int>? verify = null)
    {
        object?[] args;
        try { args = Args(call, c, false, verify); }
        catch (TemplateEvalException) { return false; }
        return func(args);
    }

    private static object? Equal(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => CommonEquals(a[0], a[1]));
    private static object? NotEqual(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => !CommonEquals(a[0], a[1]));
    private static object? Less(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => Compare(call, a) < 0, VerifyNotNull(call));
    private static object? LessOrEquals(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => Compare(call, a) <= 0, VerifyNotNull(call));
    private static object? Greater(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => Compare(call, a) > 0, VerifyNotNull(call));
    private static object? GreaterOrEquals(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => Compare(call, a) >= 0, VerifyNotNull(call));

    private static int Compare(CallExpr call, object?[] a)
    {
        if (Js.IsNumber(a[0]) && Js.IsNumber(a[1])) return ((double)a[0]!).CompareTo((double)a[1]!);
        if (a[0] is string x && a[1] is string y) return Math.Sign(string.CompareOrdinal(x, y));
        throw Error(call, "operands must be comparable.");
    }

    private static object? Exists(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => !Js.IsNullish(a[0]), VerifyNotNull(call));

    private static object? Empty(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => a[0] switch
    {
        null or Undefined => true,
        string s => s.Length == 0,
        JsonArray or List<object?> => Js.ArrayCount(a[0]) == 0,
        JsonObject o => o.Count == 0,
        _ => false,
    }, (v, _) => { if (v is not (null or Undefined or string or JsonArray or List<object?> or JsonObject)) throw Error(call, "argument must be a string, list, map or object."); });

    private static object? Bool(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a =>
    {
        if (Js.IsNumber(a[0])) return (double)a[0]! != 0;
        if (Js.ToStringLoose(a[0]).Contains("false", StringComparison.OrdinalIgnoreCase)) return false;
        return Js.IsLogicTrue(a[0]);
    });

    /// <summary>AEL <c>commonEquals</c>: deep for arrays/objects, numeric for numbers, strict otherwise.</summary>
    public static bool CommonEquals(object? a, object? b)
    {
        if (Js.IsNullish(a) || Js.IsNullish(b)) return Js.IsNullish(a) && Js.IsNullish(b);
        if (Js.IsArray(a) && Js.IsArray(b))
        {
            var n = Js.ArrayCount(a);
            if (n != Js.ArrayCount(b)) return false;
            for (var i = 0; i < n; i++) if (!CommonEquals(Js.ArrayItem(a, i), Js.ArrayItem(b, i))) return false;
            return true;
        }
        if (a is JsonObject oa && b is JsonObject ob)
        {
            if (oa.Count != ob.Count) return false;
            foreach (var (key, value) in oa)
            {
                if (!ob.TryGetPropertyValue(key, out var other)) return false;
                if (!StrictDeepEquals(Js.FromNode(value), Js.FromNode(other))) return false;
            }
            return true;
        }
        if (a is double x && b is double y) return Math.Abs(x - y) < 2.220446049250313e-16 || x == y;
        return a switch
        {
            string s => b is string t && s == t,
            bool p => b is bool q && p == q,
            _ => ReferenceEquals(a, b),
        };
    }

    private static bool StrictDeepEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (Js.IsArray(a) && Js.IsArray(b))
        {
            var n = Js.ArrayCount(a);
            if (n != Js.ArrayCount(b)) return false;
            for (var i = 0; i < n; i++) if (!StrictDeepEquals(Js.ArrayItem(a, i), Js.ArrayItem(b, i))) return false;
            return true;
        }
        if (a is JsonObject oa && b is JsonObject ob)
        {
            if (oa.Count != ob.Count) return false;
            foreach (var (key, value) in oa)
                if (!ob.TryGetPropertyValue(key, out var other) || !StrictDeepEquals(Js.FromNode(value), Js.FromNode(other))) return false;
            return true;
        }
        return Equals(a, b);
    }

    // ---- values ----------------------------------------------------------------------------------------------------

    private static object? Coalesce(CallExpr call, EvalContext c, bool subst)
    {
        foreach (var v in Args(call, c, subst)) if (!Js.IsNullish(v)) return v;
        return Undefined.Value;
    }

    private static object? Concat(CallExpr call, EvalContext c, bool subst)
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

    private static object? Add(CallExpr call, EvalContext c, bool subst)
    {
        var args = Args(call, c, subst, (v, _) =>
        {
            if (v is not (string or Undefined) && !Js.IsNumber(v)) throw Error(call, $"{Js.ToStringLoose(v)} is neither a number nor string");
        });
        var soFar = args[0];
        for (var i = 1; i < args.Length; i++)
        {
            var (a, b) = (soFar, args[i]);
            if ((Js.IsNullish(a) && Js.IsNumber(b)) || (Js.IsNullish(b) && Js.IsNumber(a)))
                throw Error(call, "Operator '+' or add cannot be applied to operands of type 'number' and null object.");
            if (!Js.IsNumber(a) || !Js.IsNumber(b))
            {
                soFar = Js.IsNullish(a) && Js.IsNullish(b) ? "" : Js.IsNullish(a) ? Js.ToStringLoose(b) : Js.IsNullish(b) ? Js.ToStringLoose(a) : Js.ToStringLoose(a) + Js.ToStringLoose(b);
            }
            else soFar = (double)a! + (double)b!;
        }
        return soFar;
    }

    private static object? NumericSequence(CallExpr call, EvalContext c, bool subst, Func<double, double, double> func, Action<object?, int>? verify = null)
    {
        var args = Args(call, c, subst, verify ?? VerifyNumber(call));
        var soFar = (double)args[0]!;
        for (var i = 1; i < args.Length; i++) soFar = func(soFar, (double)args[i]!);
        return soFar;
    }

    private static object? Sub(CallExpr call, EvalContext c, bool subst) => NumericSequence(call, c, subst, (a, b) => a - b);
    private static object? Mul(CallExpr call, EvalContext c, bool subst) => NumericSequence(call, c, subst, (a, b) => a * b);

    private static object? Div(CallExpr call, EvalContext c, bool subst) => NumericSequence(call, c, subst, (a, b) =>
    {
        var r = a / b;
        return Js.IsInteger(a) && Js.IsInteger(b) ? Math.Floor(r) : r;
    }, (v, pos) =>
    {
        if (!Js.IsNumber(v)) throw Error(call, $"{Js.ToStringLoose(v)} is not a number.");
        if (pos > 0 && (double)v! == 0) throw Error(call, "Cannot divide by 0.");
    });

    private static object? Power(CallExpr call, EvalContext c, bool subst) =>
        NumericSequence(call, c, subst, Math.Pow, VerifyNumberOrNumericList(call));

    private static object? Mod(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyInteger(call));
        if ((double)a[1]! == 0) throw Error(call, "Cannot mod by 0.");
        return (double)a[0]! % (double)a[1]!;
    }

    private static object? Round(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyNumber(call));
        if (a.Length == 2 && !Js.IsInteger(a[1])) throw Error(call, "The second parameter must be an integer.");
        var digits = a.Length == 2 ? (double)a[1]! : 0;
        if (digits < 0 || digits > 15) throw Error(call, "The second parameter must be an integer between 0 and 15.");
        var p = Math.Pow(10, digits);
        return Js.MathRound((double)a[0]! * p) / p;
    }

    private static object? Min(CallExpr call, EvalContext c, bool subst) => Extreme(call, c, subst, Math.Min, double.PositiveInfinity);
    private static object? Max(CallExpr call, EvalContext c, bool subst) => Extreme(call, c, subst, Math.Max, double.NegativeInfinity);

    private static object? Extreme(CallExpr call, EvalContext c, bool subst, Func<double, double, double> f, double seed)
    {
        var result = seed;
        foreach (var arg in Args(call, c, subst, VerifyNumberOrNumericList(call)))
        {
            if (Js.IsArray(arg)) for (var i = 0; i < Js.ArrayCount(arg); i++) result = f(result, (double)Js.ArrayItem(arg, i)!);
            else result = f(result, (double)arg!);
        }
        return result;
    }

    private static double[] NumericList(CallExpr call, object? v)
    {
        if (!Js.IsArray(v)) throw Error(call, "argument is not a list.");
        var n = Js.ArrayCount(v);
        var list = new double[n];
        for (var i = 0; i < n; i++) list[i] = Js.ArrayItem(v, i) is double d && !double.IsNaN(d) ? d : throw Error(call, "list item is not a number.");
        return list;
    }

    private static object? Sum(CallExpr call, EvalContext c, bool subst)
    {
        var list = NumericList(call, Args(call, c, subst)[0]);
        if (list.Length == 0) throw Error(call, "Reduce of empty array with no initial value");
        return list.Aggregate((x, y) => x + y);
    }

    private static object? Average(CallExpr call, EvalContext c, bool subst)
    {
        var list = NumericList(call, Args(call, c, subst)[0]);
        if (list.Length == 0) throw Error(call, "Reduce of empty array with no initial value");
        return list.Aggregate((x, y) => x + y) / list.Length;
    }

    // ---- strings ---------------------------------------------------------------------------------------------------

    private static object? Length(CallExpr call, EvalContext c, bool subst) => (double)StringOrEmpty(Args(call, c, subst, VerifyStringOrNull(call))[0]).Length;

    private static object? Count(CallExpr call, EvalContext c, bool subst) => (call.Args[0] is AccessorExpr path ? path.EvalRaw(c, subst) : call.Args[0].Eval(c, subst)) switch
    {
        string s => (double)s.Length,
        JsonElement { ValueKind: JsonValueKind.Array } e => (double)e.GetArrayLength(),
        JsonElement e => (double)e.EnumerateObject().Count(),
        JsonArray a => (double)a.Count,
        List<object?> l => (double)l.Count,
        JsonObject o => (double)o.Count,
        null => throw Error(call, "Cannot convert undefined or null to object"),
        _ => throw Error(call, "argument must be a string, list, map or object."),
    };

    private static object? ToUpper(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        return UpperSpecialCasing(Culture(LocaleFor(a, 2)).TextInfo.ToUpper(StringOrEmpty(a[0])));
    }

    private static object? ToLower(CallExpr call, EvalContext c, bool subst)
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

    private static object? Trim(CallExpr call, EvalContext c, bool subst) => Js.JsTrim(StringOrEmpty(Args(call, c, subst, VerifyStringOrNull(call))[0]));

    private static object? Substring(CallExpr call, EvalContext c, bool subst)
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

    private static object? Replace(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        var old = StringOrEmpty(a[1]);
        if (old.Length == 0) throw Error(call, "the text to replace should be a string with length at least 1");
        return StringOrEmpty(a[0]).Replace(old, StringOrEmpty(a[2]), StringComparison.Ordinal);
    }

    private static object? ReplaceIgnoreCase(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        var old = StringOrEmpty(a[1]);
        if (old.Length == 0) throw Error(call, "the text to replace should be a string with length at least 1");
        return StringOrEmpty(a[0]).Replace(old, StringOrEmpty(a[2]), StringComparison.OrdinalIgnoreCase);
    }

    private static object? Split(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        var s = StringOrEmpty(a[0]);
        var sep = a.Length > 1 ? StringOrEmpty(a[1]) : "";
        if (sep.Length == 0) return s.Select(ch => (object?)ch.ToString()).ToList();
        return s.Split(sep).Select(p => (object?)p).ToList();
    }

    private static object? Join(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst);
        if (!Js.IsArray(a[0])) throw Error(call, "the first argument is not a list.");
        if (a.Length == 2) return Js.JoinArray(a[0], a[1] is Undefined ? "," : Js.ToStringLoose(a[1]));
        var n = Js.ArrayCount(a[0]);
        var lastSep = a[2] is Undefined ? "," : Js.ToStringLoose(a[2]);
        if (n < 3) return Js.JoinArray(a[0], lastSep);
        var head = Js.JoinArray(Js.ToList(a[0]).Take(n - 1).ToList(), a[1] is Undefined ? "," : Js.ToStringLoose(a[1]));
        return head + lastSep + Js.ToStringLoose(Js.ArrayItem(a[0], n - 1));
    }

    private static object? StartsWith(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        return StringOrEmpty(a[0]).StartsWith(StringOrEmpty(a[1]), StringComparison.Ordinal);
    }

    private static object? EndsWith(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyStringOrNull(call));
        return StringOrEmpty(a[0]).EndsWith(StringOrEmpty(a[1]), StringComparison.Ordinal);
    }

    private static object? Contains(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst);
        if (a[0] is string s && a[1] is string t) return s.Contains(t, StringComparison.Ordinal);
        if (Js.IsArray(a[0]))
        {
            for (var i = 0; i < Js.ArrayCount(a[0]); i++) if (CommonEquals(Js.ArrayItem(a[0], i), a[1])) return true;
            return false;
        }
        if (a[1] is string key) return Memory.AccessProperty(a[0], key) is not Undefined;
        return false;
    }

    private static object? IndexOf(CallExpr call, EvalContext c, bool subst) => Find(call, c, subst, last: false);
    private static object? LastIndexOf(CallExpr call, EvalContext c, bool subst) => Find(call, c, subst, last: true);

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

    // ---- conversions -----------------------------------------------------------------------------------------------

    private static object? StringFn(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst);
        var v = a[0];
        if (v is string s) return s;
        if (Js.IsNumber(v))
        {
            var d = (double)v!;
            var text = Js.NumberToString(d);
            var dot = text.IndexOf('.');
            var precision = dot >= 0 ? text.Length - dot - 1 : 0;
            return FormatFixed(d, precision, LocaleFor(a, 2));
        }
        return Js.CommonStringify(v);
    }

    private static object? Int(CallExpr call, EvalContext c, bool subst)
    {
        var v = Args(call, c, subst)[0];
        if (v is string s)
        {
            var r = Js.ParseInt(s, allowHex: false);
            if (double.IsNaN(r)) throw Error(call, $"parameter {s} is not a valid number string.");
            return r;
        }
        if (Js.IsNumber(v)) return Js.ParseInt(Js.NumberToString((double)v!), allowHex: false);
        return Undefined.Value;
    }

    private static object? Float(CallExpr call, EvalContext c, bool subst)
    {
        var v = Args(call, c, subst)[0];
        if (v is string s)
        {
            var r = Js.ParseFloat(s);
            if (double.IsNaN(r)) throw Error(call, $"parameter {s} is not a valid number string.");
            return r;
        }
        return Js.IsNumber(v) ? v : Undefined.Value;
    }

    private static object? Json(CallExpr call, EvalContext c, bool subst)
    {
        if (Args(call, c, subst)[0] is not string s) throw Error(call, "argument is not a string.");
        try { return Js.FromNode(JsonNode.Parse(Js.JsTrim(s))); }
        catch (JsonException ex) { throw Error(call, ex.Message); }
    }

    private static object? JsonStringify(CallExpr call, EvalContext c, bool subst) => (object?)Js.Stringify(Args(call, c, subst)[0]) ?? Undefined.Value;

    // ---- collections -----------------------------------------------------------------------------------------------

    private static object? First(CallExpr call, EvalContext c, bool subst) => Args(call, c, subst)[0] switch
    {
        string { Length: > 0 } s => s[0].ToString(),
        var v when Js.IsArray(v) && Js.ArrayCount(v) > 0 => Js.ArrayItem(v, 0),
        _ => Undefined.Value,
    };

    private static object? Last(CallExpr call, EvalContext c, bool subst) => Args(call, c, subst)[0] switch
    {
        string { Length: > 0 } s => s[^1].ToString(),
        var v when Js.IsArray(v) && Js.ArrayCount(v) > 0 => Js.ArrayItem(v, Js.ArrayCount(v) - 1),
        _ => Undefined.Value,
    };

    private static object? CreateArray(CallExpr call, EvalContext c, bool subst) => new List<object?>(Args(call, c, subst));

    private static object? Take(CallExpr call, EvalContext c, bool subst)
    {
        var arr = call.Args[0].Eval(c, subst);
        if (!Js.IsArray(arr) && arr is not string) throw Error(call, "first argument is not array or string.");
        var n = call.Args[1].Eval(c, subst);
        if (!Js.IsInteger(n)) throw Error(call, "count is not an integer.");
        var count = (int)Math.Max(0, Math.Min((double)n!, int.MaxValue));
        if (arr is string s) return s[..Math.Min(count, s.Length)];
        return Js.ToList(arr).Take(count).ToList();
    }

    private static object? Skip(CallExpr call, EvalContext c, bool subst)
    {
        var arr = call.Args[0].Eval(c, subst);
        if (!Js.IsArray(arr)) throw Error(call, "first argument is not array.");
        var n = call.Args[1].Eval(c, subst);
        if (!Js.IsInteger(n)) throw Error(call, "count is not an integer.");
        return Js.ToList(arr).Skip((int)Math.Max(0, Math.Min((double)n!, int.MaxValue))).ToList();
    }

    private static object? Range(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyInteger(call));
        var count = (double)a[1]!;
        if (count <= 0) throw Error(call, "Second paramter must be more than zero");
        var start = (double)a[0]!;
        return Enumerable.Range(0, (int)count).Select(i => (object?)(start + i)).ToList();
    }

    private static object? IndicesAndValues(CallExpr call, EvalContext c, bool subst)
    {
        var v = call.Args[0].Eval(c, subst);
        var result = new List<object?>();
        if (Js.IsArray(v))
        {
            for (var i = 0; i < Js.ArrayCount(v); i++) result.Add(new JsonObject { ["index"] = i, ["value"] = Js.ToNode(Js.ArrayItem(v, i)) });
        }
        else if (v is JsonObject o)
        {
            foreach (var (key, value) in o) result.Add(new JsonObject { ["index"] = key, ["value"] = value?.DeepClone() });
        }
        else throw Error(call, "argument is not array or object.");
        return result;
    }

    /// <summary>AEL <c>convertToList</c>: arrays as is, objects as {key, value} pairs.</summary>
    private static List<object?>? ConvertToList(object? instance) => instance switch
    {
        JsonArray or List<object?> => Js.ToList(instance),
        JsonObject o => o.Select(kv => (object?)new JsonObject { ["key"] = kv.Key, ["value"] = kv.Value?.DeepClone() }).ToList(),
        null => throw new TemplateEvalException("Cannot convert undefined or null to object"),
        _ => null,
    };

    private static void ForEachLambda(CallExpr call, EvalContext c, bool subst, List<object?> list, Func<object?, object?, bool> body)
    {
        var name = ((AccessorExpr)call.Args[1]).Name;
        var saved = c.Lambdas;
        try
        {
            foreach (var item in list)
            {
                c.Lambdas = new LambdaFrame(name, item, saved);
                object? r;
                bool failed = false;
                try { r = call.Args[2].Eval(c, subst); }
                catch (TemplateEvalException) { r = Undefined.Value; failed = true; }
                if (body(item, failed ? Failed : r)) break;
            }
        }
        finally { c.Lambdas = saved; }
    }

    private static readonly object Failed = new();

    private static object? Where(CallExpr call, EvalContext c, bool subst)
    {
        var instance = call.Args[0].Eval(c, subst);
        var list = ConvertToList(instance) ?? throw Error(call, "first argument is not a collection or structure object.");
        var result = new List<object?>();
        ForEachLambda(call, c, subst, list, (item, r) =>
        {
            if (r != Failed && Js.IsLogicTrue(r)) result.Add(item);
            return false;
        });
        if (Js.IsArray(instance)) return result;
        var obj = new JsonObject();
        foreach (var item in result)
        {
            var pair = (JsonObject)item!;
            obj[pair["key"]!.GetValue<string>()] = pair["value"]?.DeepClone();
        }
        return obj;
    }

    private static object? Select(CallExpr call, EvalContext c, bool subst)
    {
        var instance = call.Args[0].Eval(c, subst);
        if (Js.IsFalsy(instance)) throw Error(call, "first argument evaluated to null.");
        var list = ConvertToList(instance) ?? throw Error(call, "first argument is not a collection or structure object.");
        var result = new List<object?>();
        string? error = null;
        ForEachLambda(call, c, subst, list, (_, r) =>
        {
            if (r == Failed) { error = "lambda evaluation failed"; return true; }
            result.Add(r);
            return false;
        });
        if (error is not null) throw Error(call, error);
        return result;
    }

    private static object? Any(CallExpr call, EvalContext c, bool subst)
    {
        var list = ConvertToList(call.Args[0].Eval(c, subst)) ?? throw Error(call, "first argument is not a collection or structure object.");
        var found = false;
        ForEachLambda(call, c, subst, list, (_, r) => found = r != Failed && Js.IsLogicTrue(r));
        return found;
    }

    private static object? All(CallExpr call, EvalContext c, bool subst)
    {
        var list = ConvertToList(call.Args[0].Eval(c, subst)) ?? throw Error(call, "first argument is not a collection or structure object.");
        var all = true;
        ForEachLambda(call, c, subst, list, (_, r) =>
        {
            if (r == Failed || !Js.IsLogicTrue(r)) { all = false; return true; }
            return false;
        });
        return all;
    }

    // ---- formatting ------------------------------------------------------------------------------------------------

    private static object? FormatNumber(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst);
        if (!Js.IsNumber(a[0])) throw Error(call, $"formatNumber first argument {Js.ToStringLoose(a[0])} must be a number");
        if (!Js.IsNumber(a[1])) throw Error(call, $"formatNumber second argument {Js.ToStringLoose(a[1])} must be a number");
        if (!Js.IsInteger(a[1]) || (double)a[1]! < 0 || (double)a[1]! > 100) throw Error(call, "invalid precision");
        var precision = (int)(double)a[1]!;
        var p = Math.Pow(10, precision);
        var rounded = Js.MathRound((double)a[0]! * p) / p;
        return FormatFixed(rounded, precision, LocaleFor(a, 3));
    }

    /// <summary>d3-format <c>,.Nf</c> with adaptive-expressions' locale table (en-US, and a few common separators).</summary>
    private static string FormatFixed(double value, int precision, string locale) => locale.ToLowerInvariant() switch
    {
        "de-de" or "de-at" or "es-es" or "it-it" or "nl-nl" or "pt-br" or "id-id" or "tr-tr" or "da-dk" => Js.D3FixedGrouped(value, precision, ".", ","),
        "fr-fr" or "ru-ru" or "pl-pl" or "sv-se" or "nb-no" or "fi-fi" or "cs-cz" => Js.D3FixedGrouped(value, precision, "\u00a0", ","),
        _ => Js.D3FixedGrouped(value, precision),
    };

    private static object? FormatDateTime(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst);
        if (a[0] is not string ts) throw Error(call, "the timestamp must be a string.");
        var instant = DateFormat.Parse(ts) ?? throw Error(call, $"{ts} is not a valid datetime string.");
        var format = DateFormat.DefaultDayjsFormat;
        if (a.Length == 3 && a[1] is string f3 && a[2] is string) format = f3.Length > 0 ? DateFormat.ToDayjs(f3) : DateFormat.DefaultDayjsFormat;
        else if (a.Length == 2 && a[1] is string f2) format = DateFormat.ToDayjs(f2);
        return DateFormat.FormatDayjs(instant, format);
    }
}

/// <summary>formatDateTime: JS Date parsing, the .NET→Day.js format converter of adaptive-expressions, Day.js formatting (English names, UTC).</summary>
internal static class DateFormat
{
    public const string DefaultDayjsFormat = "YYYY-MM-DDTHH:mm:ss.SSS[Z]";
    private static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    private static readonly string[] Weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    /// <summary>A timestamp as JS <c>new Date()</c> reads it (ISO 8601; no zone = UTC because the reference runs with TZ=UTC).</summary>
    public static DateTime? Parse(string s)
    {
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var dto))
            return dto.UtcDateTime;
        return null;
    }

    /// <summary>Port of <c>convertCSharpDateTimeToDayjs</c>; when it throws the reference keeps the original format.</summary>
    public static string ToDayjs(string fmt)
    {
        if (fmt.Length == 0) return DefaultDayjsFormat;
        try { return Convert(fmt); }
        catch (FormatException) { return fmt; }
    }

    private static string Convert(string fmt)
    {
        if (fmt.Length == 1)
        {
            switch (fmt)
            {
                case "R" or "r" or "U" or "u": throw new FormatException();
                case "O" or "o": fmt = "YYYY-MM-DDTHH:mm:ss.SSS0000Z"; break;
            }
        }
        var result = new StringBuilder();
        var state = "";
        var literal = new StringBuilder();
        void Change(string next)
        {
            switch (state)
            {
                case "d1": result.Append('D'); break;
                case "d2": result.Append("DD"); break;
                case "d3": result.Append("ddd"); break;
                case "d4": result.Append("dddd"); break;
                case "f1" or "F1" or "f2" or "F2" or "g": throw new FormatException();
                case "f3" or "F3": result.Append("SSS"); break;
                case "h1": result.Append('h'); break;
                case "h2": result.Append("hh"); break;
                case "H1": result.Append('H'); break;
                case "H2": result.Append("HH"); break;
                case "m1": result.Append('m'); break;
                case "m2": result.Append("mm"); break;
                case "M1": result.Append('M'); break;
                case "M2": result.Append("MM"); break;
                case "M3": result.Append("MMM"); break;
                case "M4": result.Append("MMMM"); break;
                case "s1": result.Append('s'); break;
                case "s2": result.Append("ss"); break;
                case "t1" or "t2": result.Append('A'); break;
                case "y1" or "y2": result.Append("YY"); break;
                case "y3" or "y4": result.Append("YYYY"); break;
                case "z1" or "z2": result.Append("ZZ"); break;
                case "z3": result.Append('Z'); break;
                case "'" or "`" or "\\": result.Append(literal); break;
            }
            literal.Clear();
            state = next;
        }
        void Repeat(char c, int max)
        {
            var key = c.ToString();
            if (state.Length == 2 && state[0] == c)
            {
                var n = state[1] - '0';
                if (n < max) state = key + (n + 1);
            }
            else Change(key + "1");
        }
        foreach (var ch in fmt)
        {
            if (state == "\\") { literal.Append(ch); Change(""); continue; }
            if (state == "`") { if (ch == '`') Change(""); else literal.Append(ch); continue; }
            if (state == "'") { if (ch == '\'') Change(""); else literal.Append(ch); continue; }
            switch (ch)
            {
                case 'd': Repeat('d', 4); break;
                case 'f': Repeat('f', 3); break;
                case 'F': Repeat('F', 3); break;
                case 'g': if (state != "g") Change("g"); break;
                case 'h': Repeat('h', 2); break;
                case 'H': Repeat('H', 2); break;
                case 'K': Change(""); result.Append('Z'); break;
                case 'm': Repeat('m', 2); break;
                case 'M': Repeat('M', 4); break;
                case 's': Repeat('s', 2); break;
                case 't': Repeat('t', 2); break;
                case 'y': Repeat('y', 4); break;
                case 'z': Repeat('z', 3); break;
                case ':': Change(""); result.Append(':'); break;
                case '/': Change(""); result.Append('/'); break;
                case '`': Change("`"); break;
                case '\'': Change("'"); break;
                case '%': Change(""); break;
                case '\\': Change("\\"); break;
                default: Change(""); result.Append(ch); break;
            }
        }
        if (state is "\\" or "`" or "'") throw new FormatException();
        Change("");
        return result.ToString();
    }

    /// <summary>Day.js 1.11 <c>format</c> in UTC mode with the English locale.</summary>
    public static string FormatDayjs(DateTime t, string format)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < format.Length)
        {
            var c = format[i];
            if (c == '[')
            {
                var close = format.IndexOf(']', i + 1);
                if (close > i + 1) { sb.Append(format, i + 1, close - i - 1); i = close + 1; continue; }
            }
            var token = MatchToken(format, i);
            if (token is null) { sb.Append(c); i++; continue; }
            sb.Append(Token(t, token));
            i += token.Length;
        }
        return sb.ToString();
    }

    // REGEX_FORMAT = /\[([^\]]+)]|YYYY|YY|M{1,4}|D{1,2}|d{1,4}|H{1,2}|h{1,2}|a|A|m{1,2}|s{1,2}|Z{1,2}|SSS/g
    private static string? MatchToken(string f, int i)
    {
        if (string.CompareOrdinal(f, i, "YYYY", 0, 4) == 0) return "YYYY";
        if (string.CompareOrdinal(f, i, "YY", 0, 2) == 0) return "YY";
        if (string.CompareOrdinal(f, i, "SSS", 0, 3) == 0) return "SSS";
        var c = f[i];
        var max = c switch { 'M' => 4, 'd' => 4, 'D' or 'H' or 'h' or 'm' or 's' or 'Z' => 2, 'a' or 'A' => 1, _ => 0 };
        if (max == 0) return null;
        var n = 1;
        while (n < max && i + n < f.Length && f[i + n] == c) n++;
        return new string(c, n);
    }

    private static string Token(DateTime t, string token)
    {
        var inv = CultureInfo.InvariantCulture;
        var h12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
        return token switch
        {
            "YY" => (t.Year.ToString(inv) is var y && y.Length > 2 ? y[^2..] : y),
            "YYYY" => t.Year.ToString("0000", inv),
            "M" => t.Month.ToString(inv),
            "MM" => t.Month.ToString("00", inv),
            "MMM" => Months[t.Month - 1][..3],
            "MMMM" => Months[t.Month - 1],
            "D" => t.Day.ToString(inv),
            "DD" => t.Day.ToString("00", inv),
            "d" => ((int)t.DayOfWeek).ToString(inv),
            "dd" => Weekdays[(int)t.DayOfWeek][..2],
            "ddd" => Weekdays[(int)t.DayOfWeek][..3],
            "dddd" => Weekdays[(int)t.DayOfWeek],
            "H" => t.Hour.ToString(inv),
            "HH" => t.Hour.ToString("00", inv),
            "h" => h12.ToString(inv),
            "hh" => h12.ToString("00", inv),
            "a" => t.Hour < 12 ? "am" : "pm",
            "A" => t.Hour < 12 ? "AM" : "PM",
            "m" => t.Minute.ToString(inv),
            "mm" => t.Minute.ToString("00", inv),
            "s" => t.Second.ToString(inv),
            "ss" => t.Second.ToString("00", inv),
            "SSS" => t.Millisecond.ToString("000", inv),
            "Z" => "+00:00",
            _ => "+0000",
        };
    }
}
