using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Data;

/// <summary>
/// OpsBot in the load driver's process (WebApplicationFactory: real middleware and <c>/api/messages</c> pipeline) over a real
/// database, migrated at start, authentication off, warnings and errors logged only. <see cref="Settings"/> (configuration
/// keys) apply before first use. The factory finds OpsBot's entry point from any type of its assembly: not <c>Program</c>, which
/// in a load driver with top-level statements is the driver's own.
/// </summary>
internal sealed class BenchApp : WebApplicationFactory<OpsBotDbContext>
{
    public BenchApp(DatabaseProvider provider, string connectionString)
    {
        Settings["Database:Provider"] = provider.ToString();
        Settings["Database:ConnectionString"] = connectionString;
        Settings["Database:MigrateOnStartup"] = "true";
        Settings["MicrosoftAppId"] = "";
        Settings["Cards:Folder"] = Path.Combine(AppContext.BaseDirectory, "cards");
        Settings["Logging:LogLevel:Default"] = "Warning";
    }

    public Dictionary<string, string?> Settings { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Benchmark");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
    }

    /// <summary>Runs <paramref name="work"/> against the app's database in a fresh scope.</summary>
    public async Task<T> WithDbAsync<T>(Func<OpsBotDbContext, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<OpsBotDbContext>());
    }
}
