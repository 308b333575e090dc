using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpsBot.Boards;

/// <summary>
/// Tells <see cref="BoardFeed"/> when a statement wrote to a table a board shows: at once outside a transaction, at commit inside
/// one (so the feed never reads before the change is visible, and a rolled-back change costs at most one needless refresh).
/// Catches every write path: SaveChanges, <c>ExecuteUpdate</c>/<c>ExecuteDelete</c> and raw SQL.
/// </summary>
public sealed class BoardChangeSignal(BoardFeed feed) : DbCommandInterceptor, IDbTransactionInterceptor
{
    private static readonly string[] Tables =
        ["\"Alerts\"", "\"KpiStates\"", "\"Escalations\"", "\"Commitments\"", "\"DownstreamForms\"", "\"Boards\"", "\"BoardTokens\"", "\"Customers\"", "\"Executives\"",
         "[Alerts]", "[KpiStates]", "[Escalations]", "[Commitments]", "[DownstreamForms]", "[Boards]", "[BoardTokens]", "[Customers]", "[Executives]"];

    private readonly ConditionalWeakTable<DbTransaction, object> _dirty = [];

    private void Wrote(DbCommand command)
    {
        var text = command.CommandText.AsSpan().TrimStart();
        if (text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase)) return;
        var sql = command.CommandText;
        if (!Tables.Any(t => sql.Contains(t, StringComparison.Ordinal))) return;
        if (command.Transaction is { } tx) _dirty.AddOrUpdate(tx, tx);
        else feed.Signal();
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Wrote(command);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Wrote(command);
        return ValueTask.FromResult(result);
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Wrote(command);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Wrote(command);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (_dirty.Remove(transaction)) feed.Signal();
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionCommitted(transaction, eventData);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => _dirty.Remove(transaction);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        _dirty.Remove(transaction);
        return Task.CompletedTask;
    }
}
