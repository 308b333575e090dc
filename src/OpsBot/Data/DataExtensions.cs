using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OpsBot.Settings;

namespace OpsBot.Data;

public static class DataExtensions
{
    public static IHostApplicationBuilder AddStore(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        builder.Services.AddValidatedOptions<DatabaseOptions>(builder.Configuration, DatabaseOptions.Section);
        var connectionString = options.ConnectionString ?? DefaultSqlite(builder.Environment.ContentRootPath);
        AddProvider(builder.Services, options.Provider, connectionString, options);
        builder.Services.AddHealthChecks().AddCheck<StoreHealthCheck>("database", tags: ["ready"]);
        builder.Services.AddExceptionHandler<StoreRefusalHandler>();
        builder.Services.AddSingleton<IInterceptor, StoreLimitGuard>();
        builder.Services.AddSingleton(new BotFramework.UnavailableErrors(StoreErrors.IsUnavailable, StoreErrors.RetryAfter));
        return builder;
    }

    /// <summary>Applies every pending migration. A new SQLite file is created by opening it first, so EF's existence probe logs no failed connection.</summary>
    public static async Task MigrateStoreAsync(this OpsBotDbContext db, CancellationToken ct)
    {
        if (db.Database.IsSqlite())
        {
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.CloseConnectionAsync();
        }
        await db.Database.MigrateAsync(ct);
    }

    /// <summary>Interceptors that features register as <see cref="IInterceptor"/> singletons are added to every provider.</summary>
    internal static void AddProvider(IServiceCollection services, DatabaseProvider provider, string connectionString, DatabaseOptions? options = null)
    {
        options ??= new DatabaseOptions();
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                services.AddDbContextPool<SqliteOpsBotDbContext>((sp, o) => o.UseSqlite(connectionString)
                    .AddInterceptors([new SqlitePragmas(), new SqliteWriteGate(), .. sp.GetServices<IInterceptor>()]).ConfigureWarnings(StoreLogLevels));
                services.AddScoped<OpsBotDbContext>(sp => InScope(sp.GetRequiredService<SqliteOpsBotDbContext>(), sp));
                break;
            case DatabaseProvider.Postgres:
                services.AddDbContextPool<PostgresOpsBotDbContext>((sp, o) => o.UseNpgsql(WithNpgsqlDefaults(connectionString),
                    n => n.EnableRetryOnFailure(options.RetryCount, options.MaxRetryDelay, StoreErrors.PostgresCodes)).AddInterceptors(sp.GetServices<IInterceptor>())
                    .ConfigureWarnings(StoreLogLevels));
                services.AddScoped<OpsBotDbContext>(sp => InScope(sp.GetRequiredService<PostgresOpsBotDbContext>(), sp));
                break;
            case DatabaseProvider.SqlServer:
                services.AddDbContextPool<SqlServerOpsBotDbContext>((sp, o) => o.UseSqlServer(connectionString, s => s.EnableRetryOnFailure(options.RetryCount, options.MaxRetryDelay, StoreErrors.SqlServerNumbers))
                    .AddInterceptors(sp.GetServices<IInterceptor>()).ConfigureWarnings(StoreLogLevels));
                services.AddScoped<OpsBotDbContext>(sp => InScope(sp.GetRequiredService<SqlServerOpsBotDbContext>(), sp));
                break;
            default:
                throw new InvalidOperationException($"Unknown Database:Provider '{provider}'. Use Sqlite, SqlServer or Postgres.");
        }
    }

    /// <summary>
    /// A connection that cannot be opened (restart, failover) is retried by the execution strategy; one log line per try is a
    /// warning, not an error storm. A failed command or save is logged by EF at Debug only: most are expected and handled
    /// (two first activities of one conversation, two instances claiming one row, a store refusal answered 400), and the
    /// ones nobody handles reach the request's or the background job's own error log with their exception. SQLite table
    /// rebuilds in a migration run outside its transaction by design: that note is information for whoever writes migrations.
    /// </summary>
    private static void StoreLogLevels(WarningsConfigurationBuilder w) => w.Log(
        (RelationalEventId.ConnectionError, LogLevel.Warning),
        (RelationalEventId.CommandError, LogLevel.Debug),
        (CoreEventId.SaveChangesFailed, LogLevel.Debug),
        (RelationalEventId.NonTransactionalMigrationOperationWarning, LogLevel.Information));

    private static OpsBotDbContext InScope(OpsBotDbContext db, IServiceProvider scope)
    {
        db.HandOutTo(scope);
        return db;
    }

    /// <summary>
    /// Npgsql defaults for OpsBot's pooled PostgreSQL connections; a connection string that sets one of them itself wins.
    /// Auto-prepare: a statement that has run twice on a pooled connection is prepared there (0 turns it off), and a generic
    /// plan is used for prepared statements, so PostgreSQL parses and plans OpsBot's recurring queries once per connection
    /// instead of on every execution (every query is a keyed lookup, which a generic plan serves as well as a custom one).
    /// No reset on close: OpsBot keeps no session state (no LISTEN, advisory locks, temporary tables, cursors or SET), so a
    /// connection handed back to the pool needs no reset statements on its next use (and keeps its prepared statements).
    /// </summary>
    internal static string WithNpgsqlDefaults(string connectionString)
    {
        // Npgsql's builder reports every keyword it knows as present, so what the string itself sets is read from its raw keys.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("MAXAUTOPREPARE")) builder.MaxAutoPrepare = 100;
        if (!given.Contains("AUTOPREPAREMINUSAGES")) builder.AutoPrepareMinUsages = 2;
        if (!given.Contains("NORESETONCLOSE")) builder.NoResetOnClose = true;
        if (builder.Options?.Contains("plan_cache_mode", StringComparison.Ordinal) != true)
            builder.Options = $"{builder.Options} -c plan_cache_mode=force_generic_plan".Trim();
        return builder.ConnectionString;
    }

    private static string DefaultSqlite(string contentRoot)
    {
        var folder = Path.Combine(contentRoot, "data");
        Directory.CreateDirectory(folder);
        return $"Data Source={Path.Combine(folder, "opsbot.db")}";
    }
}
