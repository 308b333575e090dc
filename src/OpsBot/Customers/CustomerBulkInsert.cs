using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using OpsBot.Audit;
using OpsBot.Data;

namespace OpsBot.Customers;

/// <summary>
/// Writes new customers — with their identifiers, members, sites, name index and audit rows — as multi-row INSERTs on the
/// current transaction, for the import on SQLite and PostgreSQL (EF sends one command per row there: nine per imported line).
/// The columns are the ones the model maps (<see cref="CustomerConfiguration"/>); enums are stored as their names, as EF does.
/// </summary>
internal static class CustomerBulkInsert
{
    private const int RowsPerCommand = 400;

    public static bool Supported(OpsBotDbContext db) => db.Database.IsSqlite() || db.Database.IsNpgsql();

    /// <summary>Inserts <paramref name="customers"/> (their <see cref="Customer.Id"/> set afterwards) and <paramref name="audits"/>.</summary>
    public static async Task InsertAsync(OpsBotDbContext db, List<Customer> customers, List<AuditEntry> audits, CancellationToken ct)
    {
        if (customers.Count == 0 && audits.Count == 0) return;
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() ?? throw new InvalidOperationException("The bulk insert runs inside the import's transaction.");

        foreach (var c in customers) c.SearchName = CustomerIndex.SearchName(c);
        string[] columns =
        [
            "Number", "Name", "LegalName", "SearchName", "Segment", "Industry", "OwnerId", "OwnerName", "ParentId", "Restricted", "NeedsReview", "MergedIntoId",
            "MasterAgreementRef", "PaymentTerms", "UsualValueMin", "UsualValueMax", "CreatedAt",
        ];
        var byNumber = customers.ToDictionary(c => c.Number, StringComparer.Ordinal);
        await InsertRowsAsync(connection, transaction, "Customers", columns, customers.Select(c => new object?[]
        {
            c.Number, c.Name, c.LegalName, c.SearchName, c.Segment.ToString(), c.Industry, c.OwnerId, c.OwnerName, c.ParentId, c.Restricted, c.NeedsReview,
            c.MergedIntoId, c.MasterAgreementRef, c.PaymentTerms, c.UsualValueMin, c.UsualValueMax, c.CreatedAt,
        }), ct, " RETURNING \"Id\", \"Number\"", reader => byNumber[reader.GetString(1)].Id = reader.GetInt32(0));

        await InsertRowsAsync(connection, transaction, "CustomerIdentifiers", ["CustomerId", "Kind", "Value"],
            customers.SelectMany(c => c.Identifiers.Select(i => new object?[] { c.Id, i.Kind.ToString(), i.Value })), ct);
        await InsertRowsAsync(connection, transaction, "CustomerMembers", ["CustomerId", "Kind", "Key"],
            customers.SelectMany(c => c.Members.Select(m => new object?[] { c.Id, m.Kind.ToString(), m.Key })), ct);
        await InsertRowsAsync(connection, transaction, "CustomerSites", ["CustomerId", "Kind", "Name", "Country", "TimeZone"],
            customers.SelectMany(c => c.Sites.Select(s => new object?[] { c.Id, s.Kind.ToString(), s.Name, s.Country, s.TimeZone })), ct);
        await InsertRowsAsync(connection, transaction, "CustomerNameTokens", ["CustomerId", "Token"],
            customers.SelectMany(c => CustomerIndex.TokensOf(c).Select(t => new object?[] { c.Id, t })), ct);
        await InsertRowsAsync(connection, transaction, "AuditEntries", ["At", "UserId", "UserName", "Action", "EntityType", "EntityId", "BeforeJson", "AfterJson", "Note"],
            audits.Select(a => new object?[] { a.At, a.UserId, a.UserName, a.Action, a.EntityType, a.EntityId, a.BeforeJson, a.AfterJson, a.Note }), ct);
    }

    /// <summary>
    /// SQLite: one single-row statement prepared once and run per row (a statement with thousands of parameters costs more to
    /// prepare and bind than the rows cost to insert). PostgreSQL: multi-row statements, one round trip per <see cref="RowsPerCommand"/> rows.
    /// </summary>
    private static async Task InsertRowsAsync(DbConnection connection, DbTransaction transaction, string table, string[] columns, IEnumerable<object?[]> rows,
        CancellationToken ct, string suffix = "", Action<DbDataReader>? read = null)
    {
        if (connection is Microsoft.Data.Sqlite.SqliteConnection)
        {
            await using var single = Command(connection, transaction, table, columns, 1, suffix);
            single.Prepare();
            foreach (var row in rows)
            {
                for (var i = 0; i < row.Length; i++) single.Parameters[i].Value = row[i] ?? DBNull.Value;
                await ExecuteAsync(single, read, ct);
            }
            return;
        }
        foreach (var chunk in rows.Chunk(RowsPerCommand))
        {
            await using var command = Command(connection, transaction, table, columns, chunk.Length, suffix);
            var p = 0;
            foreach (var row in chunk)
                foreach (var value in row) command.Parameters[p++].Value = value ?? DBNull.Value;
            await ExecuteAsync(command, read, ct);
        }
    }

    private static async Task ExecuteAsync(DbCommand command, Action<DbDataReader>? read, CancellationToken ct)
    {
        if (read is null)
        {
            await command.ExecuteNonQueryAsync(ct);
            return;
        }
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) read(reader);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction transaction, string table, string[] columns, int rows, string suffix)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        var sql = new StringBuilder($"INSERT INTO \"{table}\" (").AppendJoin(", ", columns.Select(c => $"\"{c}\"")).Append(") VALUES ");
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var i = 0; i < columns.Length; i++)
            {
                var name = "@p" + (r * columns.Length + i);
                sql.Append(i == 0 ? name : ", " + name);
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                command.Parameters.Add(parameter);
            }
            sql.Append(')');
        }
        command.CommandText = sql.Append(suffix).ToString();
        return command;
    }
}
