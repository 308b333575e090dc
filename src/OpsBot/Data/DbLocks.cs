using Microsoft.EntityFrameworkCore;

namespace OpsBot.Data;

/// <summary>
/// Check-then-insert work that several requests or instances may run at once (route seeding, the first reference of a
/// conversation, a KPI's state) runs in a transaction holding a lock named by <c>key</c>: the loser waits for the winner's
/// commit and then sees its rows, so no unique key or concurrency token is ever violated (EF Core logs such a failed save as an
/// Error, even when the caller expected and handled it). PostgreSQL: <c>pg_advisory_xact_lock</c>; SQL Server:
/// <c>sp_getapplock</c>; SQLite: every transaction is <c>BEGIN IMMEDIATE</c>, which already admits one writer at a time.
/// Both locks end with the transaction, so pooled connections keep no session state.
/// </summary>
public static class DbLocks
{
    public static async Task<T> InLockedTransactionAsync<T>(this OpsBotDbContext db, string key, Func<Task<T>> work, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            await LockAsync(db, key, ct);
            return await work();
        }
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await LockAsync(db, key, ct);
            var result = await work();
            await tx.CommitAsync(ct);
            return result;
        });
    }

    private static Task<int> LockAsync(OpsBotDbContext db, string key, CancellationToken ct) => db switch
    {
        PostgresOpsBotDbContext => db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({key}, 0))", ct),
        SqlServerOpsBotDbContext => db.Database.ExecuteSqlAsync(
            $"EXEC sp_getapplock @Resource = {key}, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 30000", ct),
        _ => Task.FromResult(0),
    };
}
