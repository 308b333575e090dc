namespace OpsBot.Cards;

/// <summary>Argument evaluation and checks the function families share, with the messages of adaptive-expressions.</summary>
internal static class FunctionArgs
{
    internal const string DefaultLocale = "en-US";

    internal static object?[] Args(CallExpr call, EvalContext c, bool subst, Action<object?, int>? verify = null)
    {
        var args = new object?[call.Args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = call.Args[i].Eval(c, subst);
            verify?.Invoke(args[i], i);
        }
        return args;
    }

    internal static TemplateEvalException Error(CallExpr call, string message) => new($"{call.Name}: {message}");

    internal static Action<object?, int> VerifyNumber(CallExpr call) => (v, _) => { if (!Js.IsNumber(v)) throw Error(call, $"{Js.ToStringLoose(v)} is not a number."); };

    internal static Action<object?, int> VerifyInteger(CallExpr call) => (v, _) => { if (!Js.IsInteger(v)) throw Error(call, $"{Js.ToStringLoose(v)} is not a integer."); };

    internal static Action<object?, int> VerifyStringOrNull(CallExpr call) => (v, _) => { if (v is not (string or Undefined)) throw Error(call, $"{Js.ToStringLoose(v)} is neither a string nor a null object."); };

    internal static Action<object?, int> VerifyNotNull(CallExpr call) => (v, _) => { if (Js.IsNullish(v)) throw Error(call, "argument is null."); };

    internal static Action<object?, int> VerifyNumberOrNumericList(CallExpr call) => (v, _) =>
    {
        if (Js.IsNumber(v)) return;
        if (!Js.IsArray(v)) throw Error(call, $"{Js.ToStringLoose(v)} is neither a list nor a number.");
        for (var i = 0; i < Js.ArrayCount(v); i++) if (!Js.IsNumber(Js.ArrayItem(v, i))) throw Error(call, "list item is not a number.");
    };

    internal static double NumberArg(CallExpr call, EvalContext c, bool subst) => (double)Args(call, c, subst, VerifyNumber(call))[0]!;

    internal static string StringOrEmpty(object? v) => v as string ?? "";

    internal static string LocaleFor(object?[] args, int maxArgs) => args.Length == maxArgs && args[maxArgs - 1] is string s ? s : DefaultLocale;
}
