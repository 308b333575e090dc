using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using OpsBot.Data;

namespace OpsBot.Tests.Infrastructure;

/// <summary>
/// OpsBot in-process over a real database: a fresh SQLite file by default, or a PostgreSQL database
/// when built with a connection string. Extra configuration goes in <see cref="Settings"/> before first use.
/// </summary>
public class OpsBotFactory : WebApplicationFactory<Program>
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "opsbot-tests", Guid.NewGuid().ToString("n"));

    public OpsBotFactory(DatabaseProvider provider = DatabaseProvider.Sqlite, string? connectionString = null)
    {
        Directory.CreateDirectory(_dataDir);
        Settings["Database:Provider"] = provider.ToString();
        Settings["Database:ConnectionString"] = connectionString ?? $"Data Source={Path.Combine(_dataDir, "opsbot.db")}";
        Settings["Database:MigrateOnStartup"] = "true";
        Settings["MicrosoftAppId"] = "";
        Settings["Cards:Folder"] = Path.Combine(AppContext.BaseDirectory, "cards");
    }

    public Dictionary<string, string?> Settings { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // UseSetting reaches WebApplicationBuilder.Configuration before Program reads it (AddOrderStore reads it eagerly).
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(Settings));
    }

    /// <summary>Runs <paramref name="work"/> against the app's database in a fresh scope.</summary>
    public async Task<T> WithDbAsync<T>(Func<OpsBotDbContext, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<OpsBotDbContext>());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
