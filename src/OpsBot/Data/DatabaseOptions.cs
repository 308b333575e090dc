using OpsBot.Settings;

namespace OpsBot.Data;

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary><c>Sqlite</c> (default), <c>SqlServer</c> or <c>Postgres</c>.</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Connection string; for SQLite the default is a file in the app's data folder.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Apply migrations at start-up. Defaults to on in Development only.</summary>
    public bool? MigrateOnStartup { get; set; }

    /// <summary>How often a statement or unit of work that failed for a transient reason (restart, failover, lost connection,
    /// serialization failure, deadlock) is tried again before the request is answered 503.</summary>
    [NotNegative]
    public int RetryCount { get; set; } = 6;

    /// <summary>Longest wait between two tries (exponential back-off with jitter up to this): 6 retries wait about 9 s in all.</summary>
    [Positive]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(2);
}

public enum DatabaseProvider { Sqlite, SqlServer, Postgres }
