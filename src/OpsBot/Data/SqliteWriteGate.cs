using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpsBot.Data;

/// <summary>
/// SQLite has one writer at a time, and the provider's transactions are <c>BEGIN IMMEDIATE</c>, i.e. write transactions. A
/// writer that finds the lock taken waits in SQLite's busy handler, which polls with sleeps growing to 100 ms and serves
/// nobody in order: under concurrent requests most of a write's latency is spent asleep while the lock is free. This gate
/// queues the write transactions (and stand-alone INSERT/UPDATE/DELETE statements) of this process per database file, first
/// come first served, so the lock passes on the moment it is released. Between processes SQLite's locking still decides, and
/// it is also the fallback when a wait here exceeds the busy timeout.
/// </summary>
public sealed class SqliteWriteGate : DbConnectionInterceptor, IDbTransactionInterceptor, IDbCommandInterceptor
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);
    private static readonly ConditionalWeakTable<DbConnection, Holder> Held = new();

    private sealed class Holder
    {
        public SemaphoreSlim? Gate;
    }

    /// <summary>Whether <paramref name="connection"/> holds its database's gate now.</summary>
    internal static bool IsHeldBy(DbConnection connection) => Held.TryGetValue(connection, out var holder) && Volatile.Read(ref holder.Gate) is not null;

    private static SemaphoreSlim GateOf(DbConnection connection) => Gates.GetOrAdd(connection.DataSource ?? "", _ => new SemaphoreSlim(1, 1));

    private static async ValueTask EnterAsync(DbConnection connection, CancellationToken ct)
    {
        var gate = GateOf(connection);
        var entered = await gate.WaitAsync(MaxWait, ct);
        if (entered) Held.GetOrCreateValue(connection).Gate = gate;
    }

    private static void Enter(DbConnection connection)
    {
        var gate = GateOf(connection);
        if (gate.Wait(MaxWait)) Held.GetOrCreateValue(connection).Gate = gate;
    }

    private static void Exit(DbConnection? connection)
    {
        if (connection is not null && Held.TryGetValue(connection, out var holder)) Interlocked.Exchange(ref holder.Gate, null)?.Release();
    }

    private static DbConnection? ConnectionOf(TransactionEventData data) => data.Context?.Database.GetDbConnection();

    // ---- transactions: held from BEGIN to COMMIT/ROLLBACK (or the connection closing, whichever comes first)

    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        Enter(connection);
        return result;
    }

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData,
        InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        await EnterAsync(connection, cancellationToken);
        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Exit(ConnectionOf(eventData));

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Exit(ConnectionOf(eventData));
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Exit(ConnectionOf(eventData));

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Exit(ConnectionOf(eventData));
        return Task.CompletedTask;
    }

    public override void ConnectionClosed(DbConnection connection, ConnectionEndEventData eventData) => Exit(connection);

    public override Task ConnectionClosedAsync(DbConnection connection, ConnectionEndEventData eventData)
    {
        Exit(connection);
        return Task.CompletedTask;
    }

    // ---- a write statement outside a transaction (ExecuteUpdate/ExecuteDelete, a one-statement SaveChanges): held for the statement

    private static bool IsStandaloneWrite(DbCommand command) =>
        command.Transaction is null && command.Connection?.State == ConnectionState.Open && command.CommandText.AsSpan().TrimStart() is var sql
        && (sql.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase) || sql.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase)
            || sql.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase));

    public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        if (IsStandaloneWrite(command)) Enter(command.Connection!);
        return result;
    }

    public async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        if (IsStandaloneWrite(command)) await EnterAsync(command.Connection!, cancellationToken);
        return result;
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        if (command.Transaction is null) Exit(command.Connection);
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (command.Transaction is null) Exit(command.Connection);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        if (IsStandaloneWrite(command)) Enter(command.Connection!);
        return result;
    }

    public async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (IsStandaloneWrite(command)) await EnterAsync(command.Connection!, cancellationToken);
        return result;
    }

    public InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        if (command.Transaction is null) Exit(command.Connection);
        return result;
    }

    public void CommandFailed(DbCommand command, CommandErrorEventData eventData)
    {
        if (command.Transaction is null) Exit(command.Connection);
    }

    public Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        if (command.Transaction is null) Exit(command.Connection);
        return Task.CompletedTask;
    }

    public void CommandCanceled(DbCommand command, CommandEndEventData eventData)
    {
        if (command.Transaction is null) Exit(command.Connection);
    }

    public Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (command.Transaction is null) Exit(command.Connection);
        return Task.CompletedTask;
    }
}
