using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Data;

/// <summary>
/// The SQLite store as the app registers it (pooled contexts, pragmas, write gate): every way a write can end gives the gate back,
/// concurrent writers all succeed, and the pragmas survive connection pooling.
/// </summary>
public sealed class SqliteWriteGateTests : IAsyncLifetime
{
    private readonly OpsBotFactory _app = new();

    public Task InitializeAsync()
    {
        _ = _app.Services; // starts the app: migrations applied
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static void Add(OpsBotDbContext db, string activityId) => db.ProcessedActivities.Add(new ProcessedActivity
    {
        ChannelId = "msteams", ConversationId = "a:gate", ActivityId = activityId, CreatedAt = DateTime.UtcNow,
    });

    private Task<int> CountAsync() => _app.WithDbAsync(db => db.ProcessedActivities.CountAsync(p => p.ConversationId == "a:gate"));

    [Fact]
    public async Task A_write_transaction_holds_the_gate_until_it_commits()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var connection = db.Database.GetDbConnection();
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            Assert.True(SqliteWriteGate.IsHeldBy(connection));
            Add(db, "committed");
            await db.SaveChangesAsync();
            Assert.True(SqliteWriteGate.IsHeldBy(connection));
            await tx.CommitAsync();
            Assert.False(SqliteWriteGate.IsHeldBy(connection));
        }
        Assert.Equal(1, await CountAsync());
    }

    [Fact]
    public async Task A_transaction_disposed_without_commit_rolls_back_and_gives_the_gate_back()
    {
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
            await using (await db.Database.BeginTransactionAsync())
            {
                Add(db, "abandoned");
                await db.SaveChangesAsync();
                Assert.True(SqliteWriteGate.IsHeldBy(db.Database.GetDbConnection()));
            }
            Assert.False(SqliteWriteGate.IsHeldBy(db.Database.GetDbConnection()));
        }
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task A_failed_save_and_a_statement_outside_a_transaction_give_the_gate_back()
    {
        await _app.WithDbAsync(async db =>
        {
            Add(db, "dup");
            await db.SaveChangesAsync();
            return 0;
        });
        await _app.WithDbAsync(async db =>
        {
            Add(db, "dup");
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            Assert.False(SqliteWriteGate.IsHeldBy(db.Database.GetDbConnection()));
            var updated = await db.ProcessedActivities.Where(p => p.ActivityId == "dup").ExecuteUpdateAsync(s => s.SetProperty(p => p.ResponseStatus, 200));
            Assert.Equal(1, updated);
            Assert.False(SqliteWriteGate.IsHeldBy(db.Database.GetDbConnection()));
            return 0;
        });
    }

    [Fact]
    public async Task Concurrent_writers_all_succeed()
    {
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => _app.WithDbAsync(async db =>
        {
            Add(db, $"w{i}");
            await db.SaveChangesAsync();
            await db.ProcessedActivities.Where(p => p.ActivityId == $"w{i}").ExecuteUpdateAsync(s => s.SetProperty(p => p.ResponseStatus, i));
            return 0;
        }))));
        Assert.Equal(40, await CountAsync());
    }

    [Fact]
    public async Task Pragmas_hold_on_every_pooled_connection()
    {
        for (var i = 0; i < 3; i++)
        {
            var (mode, timeout, sync) = await _app.WithDbAsync(async db =>
            {
                var c = db.Database.GetDbConnection();
                await db.Database.OpenConnectionAsync();
                try
                {
                    async Task<string> Pragma(string name)
                    {
                        await using var cmd = c.CreateCommand();
                        cmd.CommandText = $"PRAGMA {name};";
                        return Convert.ToString(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
                    }
                    return (await Pragma("journal_mode"), await Pragma("busy_timeout"), await Pragma("synchronous"));
                }
                finally
                {
                    await db.Database.CloseConnectionAsync();
                }
            });
            Assert.Equal("wal", mode);
            Assert.Equal("10000", timeout);
            Assert.Equal("1", sync); // NORMAL
        }
    }
}
