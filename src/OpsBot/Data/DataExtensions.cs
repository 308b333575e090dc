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
                services.AddDbContextPool<PostgresOpsBotDbContext>(o => o.UseNpgsql(WithAutoPrepare(connectionString)));
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
    /// Npgsql prepares a statement on a pooled connection once it has run twice there, so PostgreSQL parses and plans
    /// OpsBot's recurring queries once per connection instead of on every execution. A connection string that sets
    /// <c>Max Auto Prepare</c> itself (0 turns it off) wins.
    /// </summary>
    internal static string WithAutoPrepare(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!builder.ContainsKey("Max Auto Prepare")) builder.MaxAutoPrepare = 100;
        if (!builder.ContainsKey("Auto Prepare Min Usages")) builder.AutoPrepareMinUsages = 2;
        return builder.ConnectionString;
    }

    private static string DefaultSqlite(string contentRoot)
    {
        var folder = Path.Combine(contentRoot, "data");
        Directory.CreateDirectory(folder);
        return $"Data Source={Path.Combine(folder, "opsbot.db")}";
    }
}
