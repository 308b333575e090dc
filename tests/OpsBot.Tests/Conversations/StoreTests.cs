using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Conversations;

/// <summary>The same checks run on SQLite and on a real PostgreSQL server.</summary>
public abstract class StoreTests(DatabaseProvider provider) : IAsyncLifetime
{
    protected OpsBotFactory App { get; private set; } = null!;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync() => App = new OpsBotFactory(provider, await ConnectionStringAsync());

    public async Task DisposeAsync() => await App.DisposeAsync();

    [Fact]
    public async Task Migrations_are_applied_and_the_store_is_ready()
    {
        App.Settings["Database:MigrateOnStartup"] = "true";
        var client = App.CreateClient();
        var ready = await client.GetAsync("/readyz");
        Assert.True(ready.IsSuccessStatusCode, await ready.Content.ReadAsStringAsync());
        var (applied, pending, all) = await MigrationsAsync();
        Assert.Empty(pending);
        Assert.NotEmpty(all);
        Assert.Equal(all, applied);
    }

    [Fact]
    public async Task A_first_start_on_an_empty_store_logs_no_warning_from_the_store()
    {
        var logs = new CapturingLoggerProvider();
        App.Settings["Database:MigrateOnStartup"] = "true";
        App.TestServices = s => s.AddSingleton<ILoggerProvider>(logs);
        var ready = await App.CreateClient().GetAsync("/readyz");

        Assert.True(ready.IsSuccessStatusCode);
        Assert.DoesNotContain(logs.Lines, l => (l.StartsWith("Warning Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
                                                || l.StartsWith("Error ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task With_MigrateOnStartup_off_an_empty_store_stops_the_start_with_what_to_do_and_stays_untouched()
    {
        App.Settings["Database:MigrateOnStartup"] = "false";

        var error = Assert.ThrowsAny<Exception>(() => App.Services);

        Assert.Contains("Database:MigrateOnStartup is off", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("OpsBot migrate", error.ToString(), StringComparison.Ordinal);
        var connection = App.Settings["Database:ConnectionString"]!;
        await using OpsBotDbContext db = provider == DatabaseProvider.Postgres
            ? new PostgresOpsBotDbContext(new DbContextOptionsBuilder<PostgresOpsBotDbContext>().UseNpgsql(connection).Options)
            : new SqliteOpsBotDbContext(new DbContextOptionsBuilder<SqliteOpsBotDbContext>().UseSqlite(connection).Options);
        Assert.Empty(await db.Database.GetAppliedMigrationsAsync());
        Assert.NotEmpty(db.Database.GetMigrations());
    }

    private Task<(List<string> Applied, List<string> Pending, List<string> All)> MigrationsAsync() => App.WithDbAsync(async db =>
        ((await db.Database.GetAppliedMigrationsAsync()).ToList(), (await db.Database.GetPendingMigrationsAsync()).ToList(), db.Database.GetMigrations().ToList()));
}

public sealed class SqliteStoreTests() : StoreTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresServer server) : StoreTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
