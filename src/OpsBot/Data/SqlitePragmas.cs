using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpsBot.Data;

/// <summary>
/// SQLite settings for many concurrent writers: WAL (readers never block the writer), NORMAL sync (durable at checkpoints,
/// safe with WAL), and SQLite's own busy wait (fine-grained) instead of the provider's coarse retry sleeps.
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Pragmas;
        cmd.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = Pragmas;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
