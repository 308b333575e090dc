using Microsoft.EntityFrameworkCore;

namespace OpsBot.Data;

public static class DataExtensions
{
    public static IHostApplicationBuilder AddOrderStore(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        builder.Services.Configure<DatabaseOptions>(builder.Configuration.GetSection(DatabaseOptions.Section));
        var connectionString = options.ConnectionString ?? DefaultSqlite(builder.Environment.ContentRootPath);
        AddProvider(builder.Services, options.Provider, connectionString);
        builder.Services.AddHealthChecks().AddDbContextCheck<OpsBotDbContext>("database", tags: ["ready"]);
        return builder;
    }

    internal static void AddProvider(IServiceCollection services, DatabaseProvider provider, string connectionString)
    {
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                services.AddDbContextPool<SqliteOpsBotDbContext>(o => o.UseSqlite(connectionString).AddInterceptors(new SqlitePragmas(), new SqliteWriteGate()));
                services.AddScoped<OpsBotDbContext>(sp => sp.GetRequiredService<SqliteOpsBotDbContext>());
                break;
            case DatabaseProvider.Postgres:
                services.AddDbContextPool<PostgresOpsBotDbContext>(o => o.UseNpgsql(WithNpgsqlDefaults(connectionString)));
                services.AddScoped<OpsBotDbContext>(sp => sp.GetRequiredService<PostgresOpsBotDbContext>());
                break;
            case DatabaseProvider.SqlServer:
                services.AddDbContextPool<SqlServerOpsBotDbContext>(o => o.UseSqlServer(connectionString, s => s.EnableRetryOnFailure()));
                services.AddScoped<OpsBotDbContext>(sp => sp.GetRequiredService<SqlServerOpsBotDbContext>());
                break;
            default:
                throw new InvalidOperationException($"Unknown Database:Provider '{provider}'. Use Sqlite, SqlServer or Postgres.");
        }
    }

    /// <summary>
    /// Npgsql defaults for OpsBot's pooled PostgreSQL connections; a connection string that sets one of them itself wins.
    /// Auto-prepare: a statement that has run twice on a pooled connection is prepared there, so PostgreSQL parses and plans
    /// OpsBot's recurring queries once per connection instead of on every execution (0 turns it off).
    /// No reset on close: OpsBot keeps no session state (no LISTEN, advisory locks, temporary tables, cursors or SET), so a
    /// connection handed back to the pool needs no reset statements on its next use.
    /// </summary>
    internal static string WithNpgsqlDefaults(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!builder.ContainsKey("Max Auto Prepare")) builder.MaxAutoPrepare = 100;
        if (!builder.ContainsKey("Auto Prepare Min Usages")) builder.AutoPrepareMinUsages = 2;
        if (!builder.ContainsKey("No Reset On Close")) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }

    private static string DefaultSqlite(string contentRoot)
    {
        var folder = Path.Combine(contentRoot, "data");
        Directory.CreateDirectory(folder);
        return $"Data Source={Path.Combine(folder, "opsbot.db")}";
    }
}
