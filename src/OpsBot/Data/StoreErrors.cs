using Microsoft.Data.Sqlite;
using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace OpsBot.Data;

/// <summary>
/// Which database errors mean "the store is unavailable for now" (a restart, failover, lost connection, serialization failure
/// or deadlock): the execution strategy retries them, and once it gives up they are answered 503 with <c>Retry-After</c>
/// (<see cref="StoreUnavailableMiddleware"/>, and <c>/api/messages</c> through <see cref="BotFramework.UnavailableErrors"/>).
/// </summary>
public static class StoreErrors
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>Retried on PostgreSQL besides what Npgsql itself calls transient: admin/crash shutdown, cannot connect now, connection failures, serialization failure, deadlock.</summary>
    internal static readonly string[] PostgresCodes = ["57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006", "40001", "40P01"];

    /// <summary>Retried on SQL Server besides what the provider's own detector retries: deadlock victim (1205).</summary>
    internal static readonly int[] SqlServerNumbers = [1205];

    private static readonly HashSet<int> SqlServerTransient =
        [-2, 20, 64, 233, 1205, 4060, 4221, 10053, 10054, 10060, 10928, 10929, 40143, 40197, 40501, 40540, 40613, 41301, 41302, 41305, 41325, 41839, 49918, 49919, 49920];

    /// <summary>
    /// A database exception, or one wrapping it (EF's <see cref="RetryLimitExceededException"/>, <see cref="DbUpdateException"/>),
    /// for a transient reason. Lost connections, refused connects and an exhausted pool are transient <see cref="NpgsqlException"/>s
    /// (socket, end of stream and timeout inside); the same failures of other HTTP calls (connector, Graph) are not the store's.
    /// </summary>
    public static bool IsUnavailable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case RetryLimitExceededException or StoreUnavailableException:
                    return true;
                case PostgresException p:
                    return p.IsTransient || PostgresCodes.Contains(p.SqlState);
                case NpgsqlException n when n.IsTransient:
                    return true;
                case InvalidOperationException when IsLostNpgsqlTransaction(e):
                    return true;
                case SqlException s:
                    return s.IsTransient || s.Errors.Cast<SqlError>().Any(x => SqlServerTransient.Contains(x.Number));
                case SqliteException q:
                    return q.SqliteErrorCode is 5 or 6; // SQLITE_BUSY, SQLITE_LOCKED
            }
        }
        return false;
    }

    /// <summary>
    /// Npgsql's refusal to send a statement in a transaction whose connection broke earlier in the same unit of work (a restart or
    /// a dropped connection under another statement): the transaction is gone, so the whole unit is retried later like any outage.
    /// </summary>
    private static bool IsLostNpgsqlTransaction(Exception e) =>
        e.TargetSite?.DeclaringType?.Assembly == typeof(NpgsqlConnection).Assembly
        && e.Message.Contains("completed", StringComparison.Ordinal);

    /// <summary>A unique index refused the row (SQLite 19/2067, PostgreSQL 23505, SQL Server 2601/2627); also for a bulk statement (<c>ExecuteUpdate</c>), whose provider exception is not wrapped.</summary>
    public static bool IsUniqueViolation(Exception ex) => (ex is DbUpdateException ? ex.InnerException : ex) switch
    {
        SqliteException s => s.SqliteErrorCode == 19,
        PostgresException p => p.SqlState == "23505",
        SqlException q => q.Number is 2601 or 2627,
        _ => false,
    };

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction inside the provider's execution strategy. A failed try is retried in
    /// place only when none of its SaveChanges had succeeded (the tracked entities are then as they were before it); after a
    /// partial save the change tracker holds the rolled-back try's state, so the unit is not repeated here but reported as
    /// <see cref="StoreUnavailableException"/>, and the caller's caller retries it from scratch (Teams redelivers, an API client
    /// retries after <c>Retry-After</c>). Inside a transaction already begun, <paramref name="work"/> simply joins it.
    /// </summary>
    public static async Task<T> InRetriedTransactionAsync<T>(this DbContext db, Func<Task<T>> work, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null) return await work();
        var saved = false;
        void OnSaved(object? sender, SavedChangesEventArgs e) => saved = true;
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            if (saved) throw new StoreUnavailableException("The database connection failed in the middle of a unit of work that had saved part of its changes; it was rolled back.");
            db.SavedChanges += OnSaved;
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var result = await work();
                await tx.CommitAsync(ct);
                return result;
            }
            finally
            {
                db.SavedChanges -= OnSaved;
            }
        });
    }

    /// <summary><see cref="InRetriedTransactionAsync{T}"/> for work without a result.</summary>
    public static Task InRetriedTransactionAsync(this DbContext db, Func<Task> work, CancellationToken ct) =>
        db.InRetriedTransactionAsync(async () =>
        {
            await work();
            return true;
        }, ct);
}

/// <summary>The store could not complete a unit of work for a transient reason; the whole request should be retried later.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
