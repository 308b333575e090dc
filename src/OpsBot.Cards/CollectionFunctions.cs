using System.Text.Json;
using System.Text.Json.Nodes;
using static OpsBot.Cards.FunctionArgs;

namespace OpsBot.Cards;

/// <summary>AEL collection functions, including the lambda ones (where, select/foreach, any, all).</summary>
internal static class CollectionFunctions
{
    internal static object? Count(CallExpr call, EvalContext c, bool subst) => (call.Args[0] is AccessorExpr path ? path.EvalRaw(c, subst) : call.Args[0].Eval(c, subst)) switch
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

    internal static object? Join(CallExpr call, EvalContext c, bool subst)
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

    internal static object? Contains(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst);
        if (a[0] is string s && a[1] is string t) return s.Contains(t, StringComparison.Ordinal);
        if (Js.IsArray(a[0]))
        {
            for (var i = 0; i < Js.ArrayCount(a[0]); i++) if (LogicFunctions.CommonEquals(Js.ArrayItem(a[0], i), a[1])) return true;
            return false;
        }
        if (a[1] is string key) return Memory.AccessProperty(a[0], key) is not Undefined;
        return false;
    }

    internal static object? First(CallExpr call, EvalContext c, bool subst) => Args(call, c, subst)[0] switch
    {
        string { Length: > 0 } s => s[0].ToString(),
        var v when Js.IsArray(v) && Js.ArrayCount(v) > 0 => Js.ArrayItem(v, 0),
        _ => Undefined.Value,
    };

    internal static object? Last(CallExpr call, EvalContext c, bool subst) => Args(call, c, subst)[0] switch
    {
        string { Length: > 0 } s => s[^1].ToString(),
        var v when Js.IsArray(v) && Js.ArrayCount(v) > 0 => Js.ArrayItem(v, Js.ArrayCount(v) - 1),
        _ => Undefined.Value,
    };

    internal static object? Take(CallExpr call, EvalContext c, bool subst)
    {
        var arr = call.Args[0].Eval(c, subst);
        if (!Js.IsArray(arr) && arr is not string) throw Error(call, "first argument is not array or string.");
        var n = call.Args[1].Eval(c, subst);
        if (!Js.IsInteger(n)) throw Error(call, "count is not an integer.");
        var count = (int)Math.Max(0, Math.Min((double)n!, int.MaxValue));
        if (arr is string s) return s[..Math.Min(count, s.Length)];
        return Js.ToList(arr).Take(count).ToList();
    }

    internal static object? Skip(CallExpr call, EvalContext c, bool subst)
    {
        var arr = call.Args[0].Eval(c, subst);
        if (!Js.IsArray(arr)) throw Error(call, "first argument is not array.");
        var n = call.Args[1].Eval(c, subst);
        if (!Js.IsInteger(n)) throw Error(call, "count is not an integer.");
        return Js.ToList(arr).Skip((int)Math.Max(0, Math.Min((double)n!, int.MaxValue))).ToList();
    }

    internal static object? IndicesAndValues(CallExpr call, EvalContext c, bool subst)
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

    internal static object? Where(CallExpr call, EvalContext c, bool subst)
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

    internal static object? Select(CallExpr call, EvalContext c, bool subst)
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

    internal static object? Any(CallExpr call, EvalContext c, bool subst)
    {
        var list = ConvertToList(call.Args[0].Eval(c, subst)) ?? throw Error(call, "first argument is not a collection or structure object.");
        var found = false;
        ForEachLambda(call, c, subst, list, (_, r) => found = r != Failed && Js.IsLogicTrue(r));
        return found;
    }

    internal static object? All(CallExpr call, EvalContext c, bool subst)
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
}
