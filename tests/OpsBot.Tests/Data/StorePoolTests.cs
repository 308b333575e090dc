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

    [Fact]
    public async Task A_reused_command_refused_mid_transaction_leaves_its_connection_usable()
    {
        await using var app = new OpsBotFactory(DatabaseProvider.Postgres, await server.CreateDatabaseAsync());
        var failures = new List<string>();
        for (var round = 0; round < 6; round++)
        {
            await app.WithDbAsync(async db =>
            {
                var connection = db.Database.GetDbConnection();
                await db.Database.OpenConnectionAsync();
                string[] names = ["a" + round, "b" + round, round % 2 == 0 ? "nul\0" : new string('x', 65), "c" + round];
                try
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    await using var cmd = connection.CreateCommand();
                    cmd.CommandText = """INSERT INTO "ErpCursors" ("Name", "Position", "UpdatedAt", "Attempts") VALUES (@name, 0, now(), 0) ON CONFLICT DO NOTHING""";
                    var p = cmd.CreateParameter();
                    p.ParameterName = "name";
                    p.DbType = System.Data.DbType.String;
                    cmd.Parameters.Add(p);
                    cmd.Transaction = tx;
                    foreach (var name in names)
                    {
                        p.Value = name;
                        await cmd.ExecuteNonQueryAsync();
                    }
                    await tx.CommitAsync();
                }
                catch (DbException)
                {
                }
                for (var i = 0; i < 5; i++)
                {
                    try
                    {
                        await db.ErpCursors.Where(c => c.Name == "v" + i).CountAsync();
                        await db.Database.ExecuteSqlRawAsync("""INSERT INTO "ErpCursors" ("Name", "Position", "UpdatedAt", "Attempts") VALUES ({0}, 0, now(), 0) ON CONFLICT DO NOTHING""", $"v{round}-{i}");
                    }
                    catch (Exception ex)
                    {
                        failures.Add(ex.GetType().Name + ": " + ex.Message);
                    }
                }
                return 0;
            });
        }
        Assert.Empty(failures);
    }

    /// <summary>
    /// The "unexpected backend message DataRow": a query auto-prepared on the very execution whose Bind PostgreSQL refuses
    /// (a NUL in a text parameter) was left marked prepared without its row description, so its next valid run failed.
    /// </summary>
    [Fact]
    public async Task Valid_queries_succeed_on_the_pool_after_queries_and_saves_with_a_NUL()
    {
        await using var app = new OpsBotFactory(DatabaseProvider.Postgres, await server.CreateDatabaseAsync());
        await app.WithDbAsync(async db =>
        {
            db.ErpCursors.Add(new OpsBot.Commitments.ErpCursor { Name = "known", UpdatedAt = DateTime.UtcNow });
            return await db.SaveChangesAsync();
        });
        var refused = 0;
        for (var i = 0; i < 12; i++)
        {
            var name = i % 3 == 2 ? "nul\0" + i : "known";
            try
            {
                await app.WithDbAsync(async db =>
                {
                    await db.Database.OpenConnectionAsync();
                    var found = await db.ErpCursors.AsNoTracking().Where(c => c.Name == name).Select(c => c.Position).ToListAsync();
                    db.AlertRoutes.Add(new OpsBot.Alerts.AlertRoute { Name = name == "known" ? "route-" + i : name });
                    return await db.SaveChangesAsync() + found.Count;
                });
            }
            catch (Exception ex) when (ex is StoreLimitException or DbException or DbUpdateException)
            {
                refused++;
            }
        }
        Assert.Equal(4, refused);

        var failures = new List<string>();
        for (var i = 0; i < 28; i++)
        {
            try
            {
                await app.WithDbAsync(async db =>
                {
                    await db.Database.OpenConnectionAsync();
                    var found = await db.ErpCursors.AsNoTracking().Where(c => c.Name == "known").Select(c => c.Position).ToListAsync();
                    db.AlertRoutes.Add(new OpsBot.Alerts.AlertRoute { Name = "valid-" + i });
                    return await db.SaveChangesAsync() + found.Count;
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
