using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
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
        // Message turns finish before the POST returns, so tests can assert on replies straight away.
        Settings["Bot:MessageInlineWait"] = "00:00:30";
        // Console output only for warnings and errors; test logger providers still receive every level.
        Settings["Logging:Console:LogLevel:Default"] = "Warning";
        Settings["Cards:Folder"] = Path.Combine(AppContext.BaseDirectory, "cards");
        // The customers the tests name in passing (a complaint "about Contoso"): every feature resolves its customer first.
        // Numbered from 100 so a test's own Customers:Seed:0… (or Commitments:Accounts) adds to them.
        for (var i = 0; i < CommonCustomers.Length; i++)
        {
            Settings[$"Customers:Seed:{100 + i}:Number"] = CommonCustomers[i].Number;
            Settings[$"Customers:Seed:{100 + i}:Name"] = CommonCustomers[i].Name;
        }
    }

    /// <summary>Starts on a store with no customer at all (a newcomer's first run).</summary>
    public OpsBotFactory WithoutCommonCustomers()
    {
        foreach (var key in Settings.Keys.Where(k => k.StartsWith("Customers:Seed:1", StringComparison.Ordinal)).ToList()) Settings.Remove(key);
        return this;
    }

    public static readonly (string Number, string Name)[] CommonCustomers =
    [
        ("ACME-CORP", "ACME Corp"), ("CONTOSO", "Contoso"), ("CONTOSO-FOODS", "Contoso Foods"), ("GLOBEX", "Globex"), ("FABRIKAM", "Fabrikam"),
        ("UMBRELLA", "Umbrella"), ("NORTHWIND", "Northwind"), ("FANOUT", "Fanout"), ("INITECH", "Initech"), ("HOOLI", "Hooli"), ("STARK", "Stark"),
        ("WAYNE", "Wayne"), ("WONKA", "Wonka"), ("TYRELL", "Tyrell"), ("CYBERDYNE", "Cyberdyne"), ("SOYLENT", "Soylent"),
    ];

    public Dictionary<string, string?> Settings { get; } = new();

    /// <summary>The host environment (<c>Testing</c> unless set before first use, e.g. <c>Development</c> for the demo).</summary>
    public string EnvironmentName { get; set; } = "Testing";

    /// <summary>Replaces the app's clock (e.g. a <c>FakeTimeProvider</c>) when set before first use.</summary>
    public TimeProvider? Time { get; set; }

    /// <summary>Extra service registrations applied after the app's own (e.g. a loopback handler for an edge client).</summary>
    public Action<IServiceCollection>? TestServices { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(EnvironmentName);
        // UseSetting reaches WebApplicationBuilder.Configuration before Program reads it (AddStore picks the provider
        // eagerly); the in-memory source keeps the same values visible to options read later.
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(Settings));
        builder.ConfigureTestServices(services =>
        {
            if (Time is not null) services.AddSingleton(Time);
            TestServices?.Invoke(services);
        });
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
