using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpsBot.Data;

/// <summary>
/// Every SQLite connection runs in WAL mode with <c>synchronous=NORMAL</c>: a commit survives a process crash without an fsync
/// per transaction (with the default rollback journal every inbound activity's redelivery record cost ~10 ms of disk sync).
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
