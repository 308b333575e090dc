using System.Text.Json;
using System.Text.Json.Nodes;
using static OpsBot.Cards.FunctionArgs;

namespace OpsBot.Cards;

/// <summary>AEL conversion functions: string/int/float/bool/json, createArray and formatNumber (d3-format grouping).</summary>
internal static class ConversionFunctions
{
    internal static object? Bool(CallExpr call, EvalContext c, bool subst) => LogicFunctions.Comparison(call, c, a =>
    {
        if (Js.IsNumber(a[0])) return (double)a[0]! != 0;
        if (Js.ToStringLoose(a[0]).Contains("false", StringComparison.OrdinalIgnoreCase)) return false;
        return Js.IsLogicTrue(a[0]);
    });

    internal static object? StringFn(CallExpr call, EvalContext c, bool subst)
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

    internal static object? Int(CallExpr call, EvalContext c, bool subst)
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

    internal static object? Float(CallExpr call, EvalContext c, bool subst)
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

    internal static object? Json(CallExpr call, EvalContext c, bool subst)
    {
        if (Args(call, c, subst)[0] is not string s) throw Error(call, "argument is not a string.");
        try { return Js.FromNode(JsonNode.Parse(Js.JsTrim(s))); }
        catch (JsonException ex) { throw Error(call, ex.Message); }
    }

    internal static object? JsonStringify(CallExpr call, EvalContext c, bool subst) => (object?)Js.Stringify(Args(call, c, subst)[0]) ?? Undefined.Value;

    internal static object? CreateArray(CallExpr call, EvalContext c, bool subst) => new List<object?>(Args(call, c, subst));

    internal static object? FormatNumber(CallExpr call, EvalContext c, bool subst)
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
}
