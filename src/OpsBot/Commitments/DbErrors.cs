using Microsoft.EntityFrameworkCore;

namespace OpsBot.Commitments;

public static class DbErrors
{
    /// <summary>A unique index refused the row (SQLite 19/2067, PostgreSQL 23505, SQL Server 2601/2627).</summary>
    public static bool IsUniqueViolation(DbUpdateException ex) => IsUniqueViolation((Exception)ex);

    /// <summary>Also for a bulk statement (<c>ExecuteUpdate</c>), whose provider exception is not wrapped.</summary>
    public static bool IsUniqueViolation(Exception ex) => (ex is DbUpdateException ? ex.InnerException : ex) switch
    {
        Microsoft.Data.Sqlite.SqliteException s => s.SqliteErrorCode == 19,
        Npgsql.PostgresException p => p.SqlState == "23505",
        Microsoft.Data.SqlClient.SqlException q => q.Number is 2601 or 2627,
        _ => false,
    };
}
