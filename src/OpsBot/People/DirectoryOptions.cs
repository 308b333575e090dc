namespace OpsBot.People;

/// <summary>Configuration section <c>Directory</c>: who the executives are and who administers them.</summary>
public sealed class DirectoryOptions
{
    public const string Section = "Directory";

    /// <summary><c>Config</c> (default: the executives below, seeded into the table, editable with <c>exec</c> commands) or <c>Graph</c>.</summary>
    public DirectorySource Source { get; set; } = DirectorySource.Config;

    /// <summary>Teams user ids (29:…) or Entra object ids allowed to run the <c>exec</c> admin commands.</summary>
    public List<string> Admins { get; set; } = [];

    public List<ExecutiveSeed> Executives { get; set; } = [];

    public GraphDirectoryOptions Graph { get; set; } = new();

    /// <summary>
    /// How long a copy of the directory read from the store is reused. Changes made through this instance take effect at
    /// once; this bounds how long another instance sharing the store may show a change late. 0 reads it on every use.
    /// </summary>
    public int CacheSeconds { get; set; } = 30;

    public bool IsAdmin(string? userId, string? aadObjectId) =>
        Admins.Any(a => (!string.IsNullOrEmpty(userId) && a == userId) || (!string.IsNullOrEmpty(aadObjectId) && string.Equals(a, aadObjectId, StringComparison.OrdinalIgnoreCase)));
}

public sealed class ExecutiveSeed
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string UserId { get; set; } = "";
    public string? AadObjectId { get; set; }
    public string? Email { get; set; }
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
    public string BaseUrl { get; set; } = "https://graph.microsoft.com/v1.0";
    public string AuthorityHost { get; set; } = "https://login.microsoftonline.com/";
    public int DefaultMonthlyCapacity { get; set; } = 4;
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromHours(1);
}
