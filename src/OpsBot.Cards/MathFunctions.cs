using static OpsBot.Cards.FunctionArgs;

namespace OpsBot.Cards;

/// <summary>AEL math functions with JS number semantics (doubles; integer division floors).</summary>
internal static class MathFunctions
{
    internal static object? Add(CallExpr call, EvalContext c, bool subst)
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

    internal static object? Sub(CallExpr call, EvalContext c, bool subst) => NumericSequence(call, c, subst, (a, b) => a - b);

    internal static object? Mul(CallExpr call, EvalContext c, bool subst) => NumericSequence(call, c, subst, (a, b) => a * b);

    internal static object? Div(CallExpr call, EvalContext c, bool subst) => NumericSequence(call, c, subst, (a, b) =>
    {
        var r = a / b;
        return Js.IsInteger(a) && Js.IsInteger(b) ? Math.Floor(r) : r;
    }, (v, pos) =>
    {
        if (!Js.IsNumber(v)) throw Error(call, $"{Js.ToStringLoose(v)} is not a number.");
        if (pos > 0 && (double)v! == 0) throw Error(call, "Cannot divide by 0.");
    });

    internal static object? Power(CallExpr call, EvalContext c, bool subst) =>
        NumericSequence(call, c, subst, Math.Pow, VerifyNumberOrNumericList(call));

    internal static object? Mod(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyInteger(call));
        if ((double)a[1]! == 0) throw Error(call, "Cannot mod by 0.");
        return (double)a[0]! % (double)a[1]!;
    }

    internal static object? Round(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyNumber(call));
        if (a.Length == 2 && !Js.IsInteger(a[1])) throw Error(call, "The second parameter must be an integer.");
        var digits = a.Length == 2 ? (double)a[1]! : 0;
        if (digits < 0 || digits > 15) throw Error(call, "The second parameter must be an integer between 0 and 15.");
        var p = Math.Pow(10, digits);
        return Js.MathRound((double)a[0]! * p) / p;
    }

    internal static object? Min(CallExpr call, EvalContext c, bool subst) => Extreme(call, c, subst, Math.Min, double.PositiveInfinity);

    internal static object? Max(CallExpr call, EvalContext c, bool subst) => Extreme(call, c, subst, Math.Max, double.NegativeInfinity);

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

    internal static object? Sum(CallExpr call, EvalContext c, bool subst)
    {
        var list = NumericList(call, Args(call, c, subst)[0]);
        if (list.Length == 0) throw Error(call, "Reduce of empty array with no initial value");
        return list.Aggregate((x, y) => x + y);
    }

    internal static object? Average(CallExpr call, EvalContext c, bool subst)
    {
        var list = NumericList(call, Args(call, c, subst)[0]);
        if (list.Length == 0) throw Error(call, "Reduce of empty array with no initial value");
        return list.Aggregate((x, y) => x + y) / list.Length;
    }

    internal static object? Range(CallExpr call, EvalContext c, bool subst)
    {
        var a = Args(call, c, subst, VerifyInteger(call));
        var count = (double)a[1]!;
        if (count <= 0) throw Error(call, "Second paramter must be more than zero");
        var start = (double)a[0]!;
        return Enumerable.Range(0, (int)count).Select(i => (object?)(start + i)).ToList();
    }

    internal static object? Floor(CallExpr call, EvalContext c, bool subst) => Math.Floor(NumberArg(call, c, subst));
    internal static object? Ceiling(CallExpr call, EvalContext c, bool subst) => Math.Ceiling(NumberArg(call, c, subst));
    internal static object? Abs(CallExpr call, EvalContext c, bool subst) => Math.Abs(NumberArg(call, c, subst));
}
