using System.ComponentModel.DataAnnotations;
using OpsBot.Settings;

namespace OpsBot.People;

/// <summary>
/// Configuration section <c>People</c>: everyone OpsBot gives a role, each named by Teams user id (29:…) or Entra object id
/// and recognised by <see cref="PersonRef"/>.
/// </summary>
public sealed class PeopleOptions
{
    public const string Section = "People";

    /// <summary>May edit alert routes (<c>alert route</c>), the executive directory (<c>exec</c>) and accounts (<c>account</c>); told about unowned overdue alert steps.</summary>
    public List<string> Admins { get; set; } = [];

    /// <summary>Whoever installs OpsBot while it has no admin (none here, none stored) becomes its first admin, stored in <c>Admins</c>.</summary>
    public bool FirstInstallerBecomesAdmin { get; set; } = true;

    /// <summary>See every complaint and the monthly escalation report.</summary>
    public List<string> Leadership { get; set; } = [];

    /// <summary>Owning role (<c>OrderDesk</c>, <c>SalesOps</c>, <c>SupplyChain</c>, <c>Service</c>) → its people and/or channel.</summary>
    public Dictionary<string, RoleOptions> Roles { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The executives (work complaints, receive severity 1–2 alerts), seeded into the directory when <see cref="DirectoryOptions.Source"/> is <c>Config</c>.</summary>
    public List<ExecutiveSeed> Executives { get; set; } = [];

    public DirectoryOptions Directory { get; set; } = new();

    public bool IsLeadership(string? userId, string? aadObjectId) => new PersonRef(userId, aadObjectId).IsAnyOf(Leadership);
}

public sealed class RoleOptions
{
    public List<string> People { get; set; } = [];
    /// <summary>Channel id (19:…@thread.tacv2) that receives the role's notices.</summary>
    public string? ChannelId { get; set; }
}

/// <summary><c>People:Directory</c>: where the executive directory comes from and how long a copy of it is reused.</summary>
public sealed class DirectoryOptions
{
    /// <summary><c>Config</c> (default: <see cref="PeopleOptions.Executives"/>, seeded into the table, editable with <c>exec</c> commands) or <c>Graph</c>.</summary>
    public DirectorySource Source { get; set; } = DirectorySource.Config;

    public GraphDirectoryOptions Graph { get; set; } = new();

    /// <summary>
    /// How long a copy of the directory read from the store is reused. Changes made through this instance take effect at
    /// once; this bounds how long another instance sharing the store may show a change late. Zero reads it on every use.
    /// </summary>
    [NotNegative]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class ExecutiveSeed
{
    [Required, MaxLength(64)]
    public string Id { get; set; } = "";
    [MaxLength(200)]
    public string Name { get; set; } = "";
    [Required, MaxLength(256)]
    public string UserId { get; set; } = "";
    [MaxLength(64)]
    public string? AadObjectId { get; set; }
    public string? Email { get; set; }
    [NotNegative]
    public int MonthlyCapacity { get; set; } = 4;
    public string? Backup { get; set; }
    public List<string> Sponsors { get; set; } = [];
    public List<string> Delegates { get; set; } = [];
    public List<TimeOffSeed> TimeOff { get; set; } = [];
}

public sealed class TimeOffSeed
{
    public DateOnly From { get; set; }
    public DateOnly To { get; set; }
}

/// <summary>App-only Microsoft Graph access for the <c>Graph</c> directory source.</summary>
public sealed class GraphDirectoryOptions
{
    public string TenantId { get; set; } = "";
    public string ClientId { get; set; } = "";
    public string ClientSecret { get; set; } = "";
    /// <summary>The Entra group whose (transitive) user members are the executives.</summary>
    public string GroupId { get; set; } = "";
    [AbsoluteUrl]
    public string BaseUrl { get; set; } = "https://graph.microsoft.com/v1.0";
    [AbsoluteUrl]
    public string AuthorityHost { get; set; } = "https://login.microsoftonline.com/";
    [NotNegative]
    public int DefaultMonthlyCapacity { get; set; } = 4;
    [Positive]
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromHours(1);
}
