using static OpsBot.Cards.FunctionArgs;

namespace OpsBot.Cards;

/// <summary>AEL date and time functions: formatDateTime (JS Date parsing, Day.js formatting; see <see cref="DateFormat"/>).</summary>
internal static class DateTimeFunctions
{
    internal static object? FormatDateTime(CallExpr call, EvalContext c, bool subst)
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
