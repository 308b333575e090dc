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
}

public enum DatabaseProvider { Sqlite, SqlServer, Postgres }
