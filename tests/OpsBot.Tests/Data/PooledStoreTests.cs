using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Data;
using OpsBot.Events;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Data;

/// <summary>
/// The store is pooled: an instance handed back without saving (a failed turn, a refused action) must not carry its
/// published events or live-card marks into the next scope that borrows it.
/// </summary>
public abstract class PooledStoreTests(DatabaseProvider provider) : IAsyncLifetime
{
    private OpsBotFactory _app = null!;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        _app = new OpsBotFactory(provider, await ConnectionStringAsync());
        _ = _app.Server;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task What_an_abandoned_scope_published_is_not_saved_by_the_next_one()
    {
        for (var i = 0; i < 3; i++)
        {
            await using var abandoned = _app.Services.CreateAsyncScope();
            var db = abandoned.ServiceProvider.GetRequiredService<OpsBotDbContext>();
            db.Publish(new AlertRequested("Acme Industrial", "OPP-LEAK", "order-error", "leaked", 2, "", "tests", "leak-" + i, null, null, null));
            db.RefreshLiveCard("alert:999999");
        }

        await using (var next = _app.Services.CreateAsyncScope())
        {
            var db = next.ServiceProvider.GetRequiredService<OpsBotDbContext>();
            db.AuditEntries.Add(new Audit.AuditEntry { At = DateTime.UtcNow, UserId = "tests", Action = "probe", EntityType = "Test", EntityId = "1" });
            await db.SaveChangesAsync();
        }

        Assert.Equal(0, await _app.WithDbAsync(db => db.Alerts.CountAsync(a => a.Reference == "OPP-LEAK")));
    }
}

public sealed class SqlitePooledStoreTests() : PooledStoreTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresPooledStoreTests(PostgresServer server) : PooledStoreTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
