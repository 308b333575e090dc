using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Data;

/// <summary>
/// Writes PostgreSQL refuses (a NUL character, a value past the column length) leave the pooled connection usable: the
/// valid statements that follow on the same pool all succeed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StorePoolTests(PostgresServer server)
{
    private const string Insert = """INSERT INTO "ErpCursors" ("Name", "Position", "UpdatedAt", "Attempts") VALUES ({0}, 0, now(), 0)""";

    [Fact]
    public async Task Valid_statements_succeed_on_the_pool_after_a_burst_of_refused_writes()
    {
        await using var app = new OpsBotFactory(DatabaseProvider.Postgres, await server.CreateDatabaseAsync());
        string[] refused = ["nul\0name", new string('x', 65)];
        var refusals = 0;
        for (var i = 0; i < 24; i++)
        {
            try
            {
                await app.WithDbAsync(async db =>
                {
                    await using var tx = await db.Database.BeginTransactionAsync();
                    await db.Database.ExecuteSqlRawAsync(Insert, refused[i % 2]);
                    await tx.CommitAsync();
                    return 0;
                });
            }
            catch (DbException)
            {
                refusals++;
            }
        }
        Assert.Equal(24, refusals);

        var failures = new List<string>();
        for (var i = 0; i < 28; i++)
        {
            try
            {
                await app.WithDbAsync(async db =>
                {
                    await using var tx = await db.Database.BeginTransactionAsync();
                    await db.Database.ExecuteSqlRawAsync(Insert, $"valid-{i}");
                    await tx.CommitAsync();
                    return await db.ErpCursors.CountAsync(c => c.Name == $"valid-{i}");
                });
            }
            catch (Exception ex)
            {
                failures.Add(ex.GetType().Name + ": " + ex.Message);
            }
        }
        Assert.Empty(failures);
        Assert.Equal(28, await app.WithDbAsync(db => db.ErpCursors.CountAsync()));
    }

    [Fact]
    public async Task Valid_saves_succeed_on_the_pool_after_a_burst_of_refused_saves()
    {
        await using var app = new OpsBotFactory(DatabaseProvider.Postgres, await server.CreateDatabaseAsync());
        string[] refused = ["nul\0name", new string('x', 101)];
        for (var i = 0; i < 24; i++)
        {
            try
            {
                await app.WithDbAsync(async db =>
                {
                    db.AlertRoutes.Add(new OpsBot.Alerts.AlertRoute { Name = $"ok-{i}" });
                    db.AlertRoutes.Add(new OpsBot.Alerts.AlertRoute { Name = refused[i % 2], Channels = [new() { ChannelId = "19:c" }] });
                    return await db.SaveChangesAsync();
                });
            }
            catch (Exception)
            {
            }
        }

        var failures = new List<string>();
        for (var i = 0; i < 28; i++)
        {
            try
            {
                await app.WithDbAsync(async db =>
                {
                    db.AlertRoutes.Add(new OpsBot.Alerts.AlertRoute { Name = $"valid-{i}", Channels = [new() { ChannelId = "19:c" }] });
                    await db.SaveChangesAsync();
                    return await db.AlertRoutes.CountAsync(r => r.Name == $"valid-{i}");
                });
            }
            catch (Exception ex)
            {
                failures.Add(ex.GetType().Name + ": " + ex.Message);
            }
        }
        Assert.Empty(failures);
    }
}
