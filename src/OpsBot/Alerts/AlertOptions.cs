namespace OpsBot.Alerts;

/// <summary>Section <c>Alerts</c>.</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";
    public static readonly string[] Kinds = ["late-shipment", "order-error", "supply-shortage", "line-down", "other"];

    /// <summary>Where alerts raised by other systems reach people (no turn to take it from); falls back to <c>Bot:DefaultServiceUrl</c>.</summary>
    public string? ServiceUrl { get; set; }
    public string? TenantId { get; set; }
    /// <summary>Receive severity 1–2 alerts. (To be replaced by the Escalations directory.)</summary>
    public List<PersonOptions> Executives { get; set; } = [];
    /// <summary>User ids (29:… or Entra object ids) allowed to edit routing rules.</summary>
    public List<string> Admins { get; set; } = [];
    public Dictionary<string, AccountOptions> Accounts { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Seeded into the store when it has no routes yet; afterwards edited with <c>alert route …</c>.</summary>
    public List<RouteOptions> Routes { get; set; } = [];
    public Dictionary<string, KpiOptions> Kpis { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public int DigestHourUtc { get; set; } = 7;
    public int TimerSeconds { get; set; } = 60;
    /// <summary>Overdue plan steps are reminded again after this many hours.</summary>
    public int RemindEveryHours { get; set; } = 24;
}

public sealed class PersonOptions
{
    public string UserId { get; set; } = "";
    public string Name { get; set; } = "";
}

public sealed class AccountOptions
{
    public string? Segment { get; set; }
    /// <summary>Only <see cref="AllowedUsers"/> and <see cref="AllowedChannels"/> receive this account's alerts.</summary>
    public bool Restricted { get; set; }
    public List<string> AllowedUsers { get; set; } = [];
    public List<string> AllowedChannels { get; set; } = [];
}

public sealed class RouteOptions
{
    public string Name { get; set; } = "";
    public string? Account { get; set; }
    public string? Segment { get; set; }
    public string? Kind { get; set; }
    public int MaxSeverity { get; set; } = 4;
    public List<ChannelOptions> Channels { get; set; } = [];
    public List<string> People { get; set; } = [];
}

public sealed class ChannelOptions
{
    public string TeamId { get; set; } = "";
    public string ChannelId { get; set; } = "";
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
    public decimal Margin { get; set; } = 1;
    public string Account { get; set; } = "All accounts";
    public string Kind { get; set; } = "other";
    public string Unit { get; set; } = "";
    public int WarningSeverity { get; set; } = 3;
    public int CriticalSeverity { get; set; } = 2;
}

public enum KpiDirection { Below, Above }
