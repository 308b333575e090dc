using System.ComponentModel.DataAnnotations;

namespace OpsBot.Metrics;

/// <summary><c>Metrics</c>: customer-centric metrics, who sees whose, recognition and the scheduled digests.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>IANA time zone in which weeks (Monday first), months and quarters begin and end.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Complaints each executive should personally resolve per month.</summary>
    [Range(0, 1000)]
    public int ExecutiveMonthlyMinimum { get; set; } = 3;

    /// <summary>An alert is acknowledged within target when acknowledged within this.</summary>
    public TimeSpan AlertAcknowledgeTarget { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Teams by name: their manager sees the team's metrics and each member's.</summary>
    public Dictionary<string, MetricsTeam> Teams { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a download link from a card works.</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Scheduled digests by name.</summary>
    public Dictionary<string, DigestOptions> Digests { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How often the digest scheduler looks for a due digest.</summary>
    public TimeSpan DigestCheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}

public sealed class MetricsTeam
{
    /// <summary>The team's manager (Teams user id or Entra object id).</summary>
    public string Manager { get; set; } = "";
    public List<MetricsPerson> Members { get; set; } = [];
}

public sealed class MetricsPerson
{
    /// <summary>Teams user id or Entra object id.</summary>
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
}

public enum DigestCadence { Daily, Weekly, Monthly }

/// <summary>What a digest holds: open work for team leads, metrics for leadership, executive participation, or recognition.</summary>
public enum DigestContent { TeamLead, Leadership, ExecutiveParticipation, Recognition }

/// <summary>One scheduled digest: to whom, how often, at what local time, with what.</summary>
public sealed class DigestOptions
{
    /// <summary>People (Teams user ids or Entra object ids); <c>leadership</c> (<c>People:Leadership</c>), <c>managers</c> (of <see cref="MetricsOptions.Teams"/>) and <c>executives</c> stand for those groups.</summary>
    public List<string> Audience { get; set; } = [];
    public DigestCadence Cadence { get; set; } = DigestCadence.Weekly;
    /// <summary>Local time of day it goes out (hh:mm).</summary>
    public TimeSpan At { get; set; } = TimeSpan.FromHours(8);
    /// <summary>IANA time zone of <see cref="At"/>; default <see cref="MetricsOptions.TimeZone"/>.</summary>
    public string? TimeZone { get; set; }
    /// <summary>Daily digests skip Saturday and Sunday; weekly ones go out on Monday, monthly ones on the first business day.</summary>
    public bool BusinessDaysOnly { get; set; }
    public DigestContent Content { get; set; } = DigestContent.TeamLead;
}
