using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Data;

/// <summary>Values PostgreSQL refuses leave the pooled connections usable: the valid statements that follow on the same pool all succeed.</summary>
[Collection(PostgresCollection.Name)]
public sealed class StorePoolTests(PostgresServer server)
{
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

    /// <summary>One inbound activity record PostgreSQL refuses, queued with six valid ones, fails alone (the group commit writes each alone).</summary>
    [Fact]
    public async Task A_refused_member_of_an_inbound_group_commit_fails_alone()
    {
        await using var app = new OpsBotFactory(DatabaseProvider.Postgres, await server.CreateDatabaseAsync());
        var writer = app.Services.GetRequiredService<OpsBot.Conversations.InboundActivityWriter>();
        for (var round = 0; round < 5; round++)
        {
            var now = DateTime.UtcNow;
            var good = Enumerable.Range(0, 6).Select(i => writer.ClaimAsync(new("msteams", $"a:conv-{round}-{i}", $"act-{round}-{i}"), now)).ToList();
            var bad = writer.ClaimAsync(new("msteams", $"a:conv-{round}-bad", round % 2 == 0 ? "nul\0" : new string('b', 201)), now);
            Assert.All(await Task.WhenAll(good), Assert.True);
            await Assert.ThrowsAnyAsync<DbException>(() => bad);
        }
        Assert.Equal(30, await app.WithDbAsync(db => db.ProcessedActivities.CountAsync()));
    }
}
