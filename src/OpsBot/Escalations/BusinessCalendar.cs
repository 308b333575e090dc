using Microsoft.Extensions.Options;

namespace OpsBot.Escalations;

/// <summary>Business-time arithmetic for SLA deadlines (working days and hours in a configured time zone).</summary>
public sealed class BusinessCalendar
{
    private readonly BusinessHoursOptions _o;
    private readonly TimeZoneInfo _zone;

    public BusinessCalendar(IOptions<EscalationOptions> options)
    {
        _o = options.Value.BusinessHours;
        _zone = TimeZoneInfo.FindSystemTimeZoneById(_o.TimeZone);
    }

    public TimeSpan BusinessDay => _o.End - _o.Start;

    public string ZoneName => _o.TimeZone;

    public DateTime AddBusinessHours(DateTime utc, double hours) => Add(utc, TimeSpan.FromHours(hours));

    public DateTime AddBusinessDays(DateTime utc, double days) => Add(utc, BusinessDay * days);

    /// <summary>The instant <paramref name="duration"/> of business time after <paramref name="utc"/>.</summary>
    public DateTime Add(DateTime utc, TimeSpan duration)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), _zone);
        var remaining = duration;
        while (true)
        {
            var dayStart = local.Date + _o.Start.ToTimeSpan();
            var dayEnd = local.Date + _o.End.ToTimeSpan();
            if (!_o.Days.Contains(local.DayOfWeek) || local >= dayEnd)
            {
                local = local.Date.AddDays(1) + _o.Start.ToTimeSpan();
                continue;
            }
            if (local < dayStart) local = dayStart;
            var left = dayEnd - local;
            if (remaining <= left) return ToUtc(local + remaining);
            remaining -= left;
            local = local.Date.AddDays(1) + _o.Start.ToTimeSpan();
        }
    }

    public string Format(DateTime utc)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), _zone);
        return local.ToString("ddd d MMM HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " " + ShortZone;
    }

    private string ShortZone => _o.TimeZone is "UTC" or "Etc/UTC" ? "UTC" : _o.TimeZone;

    private DateTime ToUtc(DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (_zone.IsInvalidTime(unspecified)) unspecified = unspecified.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(unspecified, _zone);
    }
}
