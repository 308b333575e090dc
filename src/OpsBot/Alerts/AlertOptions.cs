using System.ComponentModel.DataAnnotations;
using OpsBot.Settings;

namespace OpsBot.Alerts;

/// <summary>Section <c>Alerts</c>.</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";
    public static readonly string[] Kinds = ["late-shipment", "order-error", "supply-shortage", "line-down", "other"];

    /// <summary>Where alerts raised by other systems reach people (no turn to take it from); falls back to <c>Bot:DefaultServiceUrl</c>.</summary>
    [AbsoluteUrl]
    public string? ServiceUrl { get; set; }
    public string? TenantId { get; set; }
    /// <summary>Seeded into the store when it has no routes yet; afterwards edited with <c>alert route …</c>.</summary>
    public List<RouteOptions> Routes { get; set; } = [];
    public Dictionary<string, KpiOptions> Kpis { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Hour (UTC) from which the daily digest is posted; 24 = never.</summary>
    [Range(0, 24)]
    public int DigestHourUtc { get; set; } = 7;
    /// <summary>How often reminders, failure notices and the digest are looked at.</summary>
    [Positive]
    public TimeSpan TimerInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Overdue plan steps are reminded again after this long.</summary>
    [Positive]
    public TimeSpan RemindAfter { get; set; } = TimeSpan.FromHours(24);
}

public sealed class RouteOptions
{
    public string Name { get; set; } = "";
    public string? Account { get; set; }
    public string? Segment { get; set; }
    public string? Kind { get; set; }
    [Range(1, 4)]
    public int MaxSeverity { get; set; } = 4;
    public List<ChannelOptions> Channels { get; set; } = [];
    public List<string> People { get; set; } = [];
}

public sealed class ChannelOptions
{
    public string TeamId { get; set; } = "";
    public string ChannelId { get; set; } = "";
    [AbsoluteUrl]
    public string? ServiceUrl { get; set; }
    public string? TenantId { get; set; }
}

/// <summary>Alert levels of one KPI. <c>Below</c>: lower is worse (on-time delivery %); <c>Above</c>: higher is worse (error rate %).</summary>
public sealed class KpiOptions
{
    public KpiDirection Direction { get; set; } = KpiDirection.Below;
    public decimal? Warning { get; set; }
    public decimal? Critical { get; set; }
    /// <summary>How far past a level the value must recover before the level clears.</summary>
    [NotNegative]
    public decimal Margin { get; set; } = 1;
    public const string AllCustomers = "All accounts";

    /// <summary>The customer the KPI is about (number, <c>ERP:…</c> or any identifier), or <see cref="AllCustomers"/>.</summary>
    public string Account { get; set; } = AllCustomers;
    public string Kind { get; set; } = "other";
    public string Unit { get; set; } = "";
    [Range(1, 4)]
    public int WarningSeverity { get; set; } = 3;
    [Range(1, 4)]
    public int CriticalSeverity { get; set; } = 2;
}

public enum KpiDirection { Below, Above }
