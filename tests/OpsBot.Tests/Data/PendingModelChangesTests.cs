using Microsoft.EntityFrameworkCore;
using OpsBot.Data;

namespace OpsBot.Tests.Data;

/// <summary>
/// The model and each provider's migrations agree: a model change without its named migration (<c>./build.sh migration Name</c>)
/// fails here, before it can reach a deployed database. No connection is opened.
/// </summary>
public sealed class PendingModelChangesTests
{
    public static TheoryData<string> Providers => ["Sqlite", "Postgres", "SqlServer"];

    [Theory]
    [MemberData(nameof(Providers))]
    public void Every_model_change_has_its_migration(string provider)
    {
        using OpsBotDbContext db = provider switch
        {
            "Sqlite" => new SqliteOpsBotDbContext(new DbContextOptionsBuilder<SqliteOpsBotDbContext>().UseSqlite("Data Source=unused.db").Options),
            "Postgres" => new PostgresOpsBotDbContext(new DbContextOptionsBuilder<PostgresOpsBotDbContext>().UseNpgsql("Host=127.0.0.1;Database=unused").Options),
            _ => new SqlServerOpsBotDbContext(new DbContextOptionsBuilder<SqlServerOpsBotDbContext>().UseSqlServer("Server=127.0.0.1;Database=unused;TrustServerCertificate=true").Options),
        };
        Assert.False(db.Database.HasPendingModelChanges(), $"The {provider} migrations lag behind the model: run ./build.sh migration <Name> (never edit Initial).");
    }
}
