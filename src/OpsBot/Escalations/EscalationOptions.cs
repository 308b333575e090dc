using System.ComponentModel.DataAnnotations;
using OpsBot.Settings;

namespace OpsBot.Escalations;

/// <summary>Configuration section <c>Escalations</c>.</summary>
public sealed class EscalationOptions
{
    public const string Section = "Escalations";

    public SlaOptions Sla { get; set; } = new();
    public BusinessHoursOptions BusinessHours { get; set; } = new();

    /// <summary>Channel id (19:…@thread.tacv2) that receives re-escalations and unassignable escalations; empty = none.</summary>
    public string? ChannelId { get; set; }

    /// <summary>Executive id of the last-resort backup when the assignee has no backup or manager.</summary>
    public string? BackupExecutiveId { get; set; }

    /// <summary>How often the scheduler looks for due SLA timers.</summary>
    [Positive]
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromSeconds(30);
    public bool SchedulerEnabled { get; set; } = true;

    /// <summary>Deprecated: set <c>PublicUrl</c> (read first) instead. OpsBot's public address for download links.</summary>
    [AbsoluteUrl]
    public string PublicBaseUrl { get; set; } = "";
}

public sealed class SlaOptions
{
    [Positive]
    public double AcknowledgeBusinessHours { get; set; } = 4;
    [Positive]
    public double FirstContactBusinessDays { get; set; } = 1;
    [Positive]
    public double ResolveBusinessDays { get; set; } = 5;
    /// <summary>Reminder this many business hours before each deadline.</summary>
    [NotNegative]
    public double ReminderBusinessHoursBefore { get; set; } = 1;
}

public sealed class BusinessHoursOptions
{
    /// <summary>IANA or Windows time zone id.</summary>
    public string TimeZone { get; set; } = "UTC";
    public TimeOnly Start { get; set; } = new(9, 0);
    public TimeOnly End { get; set; } = new(17, 0);
    [MinLength(1)]
    public List<DayOfWeek> Days { get; set; } = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];
}
