using System.Globalization;
using System.Text.RegularExpressions;

namespace OpsBot.Metrics;

public enum PeriodKind { Week, Month, Quarter }

/// <summary>
/// A calendar week (Monday first, ISO numbering), month or quarter in the metrics time zone: <see cref="Start"/> and
/// <see cref="End"/> are the UTC instants of its local midnights, so a period that spans a daylight-saving change is 1 hour
/// shorter or longer, as it is on the wall clock.
/// </summary>
public sealed partial record MetricsPeriod(PeriodKind Kind, DateOnly FirstDay, DateTime Start, DateTime End, string Key, string Label)
{
    public const string Help = "A period is week, month or quarter (the current one), last week|month|quarter, or one named: 2026-11, 2026-Q4, 2026-W48.";

    public static MetricsPeriod Of(PeriodKind kind, DateOnly day, TimeZoneInfo zone)
    {
        var first = kind switch
        {
            PeriodKind.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
            PeriodKind.Month => new DateOnly(day.Year, day.Month, 1),
            _ => new DateOnly(day.Year, (day.Month - 1) / 3 * 3 + 1, 1),
        };
        var next = kind switch
        {
            PeriodKind.Week => first.AddDays(7),
            PeriodKind.Month => first.AddMonths(1),
            _ => first.AddMonths(3),
        };
        var (key, label) = kind switch
        {
            PeriodKind.Week => ($"{ISOWeek.GetYear(first.ToDateTime(TimeOnly.MinValue))}-W{ISOWeek.GetWeekOfYear(first.ToDateTime(TimeOnly.MinValue)):00}",
                $"week of {first.ToString("d MMM yyyy", CultureInfo.InvariantCulture)}"),
            PeriodKind.Month => (first.ToString("yyyy-MM", CultureInfo.InvariantCulture), first.ToString("MMMM yyyy", CultureInfo.InvariantCulture)),
            _ => ($"{first.Year}-Q{(first.Month - 1) / 3 + 1}", $"Q{(first.Month - 1) / 3 + 1} {first.Year}"),
        };
        return new MetricsPeriod(kind, first, Utc(first, zone), Utc(next, zone), key, label);
    }

    public MetricsPeriod Previous(TimeZoneInfo zone) => Of(Kind, FirstDay.AddDays(-1), zone);

    /// <summary>The UTC instant of local midnight starting <paramref name="day"/> (the first valid local time when a DST gap swallows midnight).</summary>
    public static DateTime Utc(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }

    /// <summary>Reads what a person typed; null with an error that lists what is understood.</summary>
    public static MetricsPeriod? Parse(string? text, DateTime nowUtc, TimeZoneInfo zone, out string? error)
    {
        error = null;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone));
        var t = (text ?? "").Trim().ToLowerInvariant();
        switch (t)
        {
            case "" or "month" or "this month": return Of(PeriodKind.Month, today, zone);
            case "week" or "this week": return Of(PeriodKind.Week, today, zone);
            case "quarter" or "this quarter": return Of(PeriodKind.Quarter, today, zone);
            case "last week": return Of(PeriodKind.Week, today, zone).Previous(zone);
            case "last month": return Of(PeriodKind.Month, today, zone).Previous(zone);
            case "last quarter": return Of(PeriodKind.Quarter, today, zone).Previous(zone);
        }
        if (MonthKey().Match(t) is { Success: true } m && int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) is >= 1 and <= 12 and var month)
            return Of(PeriodKind.Month, new DateOnly(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), month, 1), zone);
        if (QuarterKey().Match(t) is { Success: true } q)
            return Of(PeriodKind.Quarter, new DateOnly(int.Parse(q.Groups[1].Value, CultureInfo.InvariantCulture), (int.Parse(q.Groups[2].Value, CultureInfo.InvariantCulture) - 1) * 3 + 1, 1), zone);
        if (WeekKey().Match(t) is { Success: true } w)
        {
            var year = int.Parse(w.Groups[1].Value, CultureInfo.InvariantCulture);
            var week = int.Parse(w.Groups[2].Value, CultureInfo.InvariantCulture);
            if (week >= 1 && week <= ISOWeek.GetWeeksInYear(year)) return Of(PeriodKind.Week, DateOnly.FromDateTime(ISOWeek.ToDateTime(year, week, DayOfWeek.Monday)), zone);
        }
        error = $"I don't know the period '{(t.Length > 40 ? t[..40] : t)}'. {Help}";
        return null;
    }

    [GeneratedRegex(@"^(20\d\d)-(\d{1,2})$")]
    private static partial Regex MonthKey();

    [GeneratedRegex(@"^(20\d\d)-q([1-4])$")]
    private static partial Regex QuarterKey();

    [GeneratedRegex(@"^(20\d\d)-w(\d{1,2})$")]
    private static partial Regex WeekKey();
}
