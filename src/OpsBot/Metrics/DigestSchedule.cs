using System.Globalization;

namespace OpsBot.Metrics;

/// <summary>One period of a digest: its key (2026-12-04, 2026-W49, 2026-12) and when it is due (UTC).</summary>
public sealed record DigestPeriod(string Key, DateTime DueAt);

/// <summary>
/// The calendar of a digest, computed from its options and the clock alone (no state): the send time is the local
/// <see cref="DigestOptions.At"/> in its zone, DST-correct (a time in a spring-forward gap moves to the first valid local
/// time after it; a time that occurs twice in autumn is the first one). Daily goes out every day (Monday to Friday with
/// <see cref="DigestOptions.BusinessDaysOnly"/>), weekly on Monday, monthly on the 1st (the first Monday to Friday with
/// <see cref="DigestOptions.BusinessDaysOnly"/>).
/// </summary>
public static class DigestSchedule
{
    public static TimeZoneInfo ZoneOf(DigestOptions d, MetricsOptions m) => TimeZoneInfo.FindSystemTimeZoneById(d.TimeZone is { Length: > 0 } z ? z : m.TimeZone);

    /// <summary>The latest period whose send time is at or before <paramref name="nowUtc"/> (null only for a misconfigured digest).</summary>
    public static DigestPeriod? Latest(DigestOptions d, TimeZoneInfo zone, DateTime nowUtc)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone));
        for (var i = 0; i < 400; i++, day = day.AddDays(-1))
        {
            if (!Sends(d, day)) continue;
            var due = DueUtc(day, d.At, zone);
            if (due <= nowUtc) return new DigestPeriod(Key(d.Cadence, day), due);
        }
        return null;
    }

    /// <summary>The first period whose send time is after <paramref name="nowUtc"/>.</summary>
    public static DigestPeriod? Next(DigestOptions d, TimeZoneInfo zone, DateTime nowUtc)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone));
        for (var i = 0; i < 400; i++, day = day.AddDays(1))
        {
            if (!Sends(d, day)) continue;
            var due = DueUtc(day, d.At, zone);
            if (due > nowUtc) return new DigestPeriod(Key(d.Cadence, day), due);
        }
        return null;
    }

    /// <summary>The span a period's content covers: from the previous period's send time to this one's.</summary>
    public static (DateTime From, DateTime To) Window(DigestOptions d, TimeZoneInfo zone, DigestPeriod period)
    {
        var previous = Latest(d, zone, period.DueAt.AddTicks(-1));
        var from = previous?.DueAt ?? period.DueAt - d.Cadence switch
        {
            DigestCadence.Daily => TimeSpan.FromDays(1),
            DigestCadence.Weekly => TimeSpan.FromDays(7),
            _ => TimeSpan.FromDays(30),
        };
        return (from, period.DueAt);
    }

    public static bool Sends(DigestOptions d, DateOnly day) => d.Cadence switch
    {
        DigestCadence.Daily => !d.BusinessDaysOnly || IsBusinessDay(day),
        DigestCadence.Weekly => day.DayOfWeek == DayOfWeek.Monday,
        _ => d.BusinessDaysOnly ? IsBusinessDay(day) && FirstBusinessDay(day.Year, day.Month) == day : day.Day == 1,
    };

    public static bool IsBusinessDay(DateOnly day) => day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

    private static DateOnly FirstBusinessDay(int year, int month)
    {
        var day = new DateOnly(year, month, 1);
        while (!IsBusinessDay(day)) day = day.AddDays(1);
        return day;
    }

    public static string Key(DigestCadence cadence, DateOnly day) => cadence switch
    {
        DigestCadence.Daily => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DigestCadence.Weekly => string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(day.ToDateTime(TimeOnly.MinValue))}-W{ISOWeek.GetWeekOfYear(day.ToDateTime(TimeOnly.MinValue)):00}"),
        _ => day.ToString("yyyy-MM", CultureInfo.InvariantCulture),
    };

    /// <summary>The UTC instant of local <paramref name="at"/> on <paramref name="day"/> in <paramref name="zone"/>.</summary>
    public static DateTime DueUtc(DateOnly day, TimeSpan at, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue).Add(at);
        // Spring forward: 02:30 does not exist that day; the first valid minute after it is used.
        for (var guard = 0; zone.IsInvalidTime(local) && guard < 24 * 4; guard++) local = local.AddMinutes(15);
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
    }

    /// <summary>Local hh:mm of a UTC instant in the zone.</summary>
    public static string LocalTime(DateTime utc, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone).ToString("HH:mm", CultureInfo.InvariantCulture);

    public static string LocalDateTime(DateTime utc, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone).ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " " + zone.Id;
}
