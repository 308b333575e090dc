using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using OpsBot.Data;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Data;

/// <summary>
/// Every named migration after <c>Initial</c> upgrades a store that already holds data: the database is built at Initial,
/// filled through plain SQL (the way the previous release wrote it), upgraded, and read back through today's model.
/// </summary>
public abstract class MigrationUpgradeTests(DatabaseProvider provider) : IAsyncLifetime
{
    private string? _connection;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync() => _connection = await ConnectionStringAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_delivery_engine_migration_keeps_queued_and_sent_outbox_rows()
    {
        var dataDir = Directory.CreateTempSubdirectory("opsbot-migrate-").FullName;
        var connection = _connection ?? $"Data Source={Path.Combine(dataDir, "opsbot.db")}";
        await WithDbAsync(async db =>
        {
            var migrator = db.GetService<IMigrator>();
            var initial = db.Database.GetMigrations().Single(m => m.EndsWith("_Initial", StringComparison.Ordinal));
            await migrator.MigrateAsync(initial);
            Assert.Contains(db.Database.GetPendingMigrations(), m => m.EndsWith("_DeliveryEngine", StringComparison.Ordinal));
            var q = provider == DatabaseProvider.Postgres ? "\"" : "";
            var (no, yes) = provider == DatabaseProvider.Postgres ? ("false", "true") : ("0", "1");
            var insertRows = $$"""
                INSERT INTO {{q}}OutboxMessages{{q}} ({{q}}Kind{{q}}, {{q}}DedupeKey{{q}}, {{q}}CorrelationType{{q}}, {{q}}CorrelationId{{q}}, {{q}}ServiceUrl{{q}}, {{q}}TenantId{{q}},
                    {{q}}ConversationId{{q}}, {{q}}ActivityJson{{q}}, {{q}}Status{{q}}, {{q}}Attempts{{q}}, {{q}}CreatedAt{{q}}, {{q}}NextAttemptAt{{q}}, {{q}}RepeatedAfterAmbiguousFailure{{q}}, {{q}}Version{{q}}, {{q}}LeaseUntil{{q}})
                VALUES ('Send', 'old:queued', 'alert', '7', 'https://smba.trafficmanager.net/teams/', 't1', 'a:one', {0}, 'Queued', 0, '2026-11-30 10:00:00', '2026-11-30 10:00:00', {{no}}, 0, NULL),
                       ('Send', 'old:sent', 'alert', '7', 'https://smba.trafficmanager.net/teams/', 't1', 'a:two', {1}, 'Sent', 1, '2026-11-30 10:00:00', '2026-11-30 10:00:00', {{yes}}, 2, '2026-11-30 10:01:00')
                """;
            await db.Database.ExecuteSqlRawAsync(insertRows, "{\"type\":\"message\",\"text\":\"queued\"}", "{\"type\":\"message\",\"text\":\"sent\"}");
            var insertThrottle = $"INSERT INTO {q}OutboxThrottles{q} ({q}Key{q}, {q}NextAt{q}) VALUES ('t:t1', '2026-11-30 10:00:00')";
            await db.Database.ExecuteSqlRawAsync(insertThrottle);

            await migrator.MigrateAsync();
            return 0;
        });

        Task<T> WithDbAsync<T>(Func<OpsBotDbContext, Task<T>> work) => Open(connection, work);

        var rows = await WithDbAsync(db => db.OutboxMessages.AsNoTracking().OrderBy(m => m.Id).ToListAsync());
        Assert.Equal(["old:queued", "old:sent"], rows.Select(r => r.DedupeKey));
        Assert.Equal([OutboxStatus.Queued, OutboxStatus.Sent], rows.Select(r => r.Status));
        Assert.True(rows[1].RepeatedAfterAmbiguousFailure);
        Assert.All(rows, r =>
        {
            Assert.Null(r.LiveCard);
            Assert.Equal(0, r.Throttles);
            Assert.Equal(0, r.DesiredVersion);
            Assert.Null(r.FailureNotifiedAt); // the dropped lease time is not carried into an unrelated column
        });
        var throttle = await WithDbAsync(db => db.OutboxThrottles.AsNoTracking().SingleAsync());
        Assert.Null(throttle.Owner);
        // The widened correlation id holds an opportunity-scoped key of 64 + characters.
        var longCorrelation = new string('o', 64) + ":SalesOrderDraft";
        await WithDbAsync(async db =>
        {
            db.EnqueueSend(new DeliveryTarget.Conversation("https://smba.trafficmanager.net/teams/", "t1", "a:three"),
                "{}", "new:long", DateTime.UtcNow, "commitment-form", longCorrelation);
            return await db.SaveChangesAsync();
        });
        Assert.True(await WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.CorrelationId == longCorrelation)));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataDir, true);
    }

    private async Task<T> Open<T>(string connection, Func<OpsBotDbContext, Task<T>> work)
    {
        await using OpsBotDbContext db = provider == DatabaseProvider.Postgres
            ? new PostgresOpsBotDbContext(new DbContextOptionsBuilder<PostgresOpsBotDbContext>().UseNpgsql(connection).Options)
            : new SqliteOpsBotDbContext(new DbContextOptionsBuilder<SqliteOpsBotDbContext>().UseSqlite(connection).Options);
        return await work(db);
    }
}

public sealed class SqliteMigrationUpgradeTests() : MigrationUpgradeTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresMigrationUpgradeTests(PostgresServer server) : MigrationUpgradeTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
