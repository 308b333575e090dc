using Microsoft.EntityFrameworkCore;
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
        var client = App.CreateClient();
        var ready = await client.GetAsync("/readyz");
        Assert.True(ready.IsSuccessStatusCode, await ready.Content.ReadAsStringAsync());
        var pending = await App.WithDbAsync(async db => (await db.Database.GetPendingMigrationsAsync()).ToList());
        Assert.Empty(pending);
    }
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
