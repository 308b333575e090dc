using System.Text.Json.Nodes;
using static OpsBot.Cards.FunctionArgs;

namespace OpsBot.Cards;

/// <summary>AEL logical comparison functions: conditions are evaluated without substitution and a failing operand makes a comparison false.</summary>
internal static class LogicFunctions
{
    internal static object? If(CallExpr call, EvalContext c, bool subst)
    {
        bool cond;
        try { cond = Js.IsLogicTrue(call.Args[0].Eval(c, false)); }
        catch (TemplateEvalException) { cond = false; }
        return call.Args[cond ? 1 : 2].Eval(c, subst);
    }

    internal static object? And(CallExpr call, EvalContext c, bool subst)
    {
        foreach (var arg in call.Args)
        {
            try { if (!Js.IsLogicTrue(arg.Eval(c, false))) return false; }
            catch (TemplateEvalException) { return false; }
        }
        return true;
    }

    internal static object? Or(CallExpr call, EvalContext c, bool subst)
    {
        foreach (var arg in call.Args)
        {
            try { if (Js.IsLogicTrue(arg.Eval(c, false))) return true; }
            catch (TemplateEvalException) { }
        }
        return false;
    }

    internal static object? Not(CallExpr call, EvalContext c, bool subst)
    {
        try { return !Js.IsLogicTrue(call.Args[0].Eval(c, false)); }
        catch (TemplateEvalException) { return true; }
    }

    /// <summary>ComparisonEvaluator: children without substitution; a child error is false, an error of the comparison itself is an error.</summary>
    internal static object? Comparison(CallExpr call, EvalContext c, Func<object?[], bool> func, Action<object?, int>? verify = null)
    {
        object?[] args;
        try { args = Args(call, c, false, verify); }
        catch (TemplateEvalException) { return false; }
        return func(args);
    }

    internal static object? Equal(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => CommonEquals(a[0], a[1]));

    internal static object? NotEqual(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => !CommonEquals(a[0], a[1]));

    internal static object? Less(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => Compare(call, a) < 0, VerifyNotNull(call));

    internal static object? LessOrEquals(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => Compare(call, a) <= 0, VerifyNotNull(call));

    internal static object? Greater(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => Compare(call, a) > 0, VerifyNotNull(call));

    internal static object? GreaterOrEquals(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => Compare(call, a) >= 0, VerifyNotNull(call));

    private static int Compare(CallExpr call, object?[] a)
    {
        if (Js.IsNumber(a[0]) && Js.IsNumber(a[1])) return ((double)a[0]!).CompareTo((double)a[1]!);
        if (a[0] is string x && a[1] is string y) return Math.Sign(string.CompareOrdinal(x, y));
        throw Error(call, "operands must be comparable.");
    }

    internal static object? Exists(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => !Js.IsNullish(a[0]), VerifyNotNull(call));

    internal static object? Empty(CallExpr call, EvalContext c, bool subst) => Comparison(call, c, a => a[0] switch
    {
        null or Undefined => true,
        string s => s.Length == 0,
        JsonArray or List<object?> => Js.ArrayCount(a[0]) == 0,
        JsonObject o => o.Count == 0,
        _ => false,
    }, (v, _) => { if (v is not (null or Undefined or string or JsonArray or List<object?> or JsonObject)) throw Error(call, "argument must be a string, list, map or object."); });

    internal static object? Coalesce(CallExpr call, EvalContext c, bool subst)
    {
        foreach (var v in Args(call, c, subst)) if (!Js.IsNullish(v)) return v;
        return Undefined.Value;
    }

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
}
