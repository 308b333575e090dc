using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace OpsBot.Data;

// Used only by `dotnet ef migrations add`: each provider keeps its own migration set (build.sh migrations).
internal sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteOpsBotDbContext>
{
    public SqliteOpsBotDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteOpsBotDbContext>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresOpsBotDbContext>
{
    public PostgresOpsBotDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresOpsBotDbContext>().UseNpgsql("Host=127.0.0.1;Database=design").Options);
}

internal sealed class SqlServerDesignFactory : IDesignTimeDbContextFactory<SqlServerOpsBotDbContext>
{
    public SqlServerOpsBotDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlServerOpsBotDbContext>().UseSqlServer("Server=127.0.0.1;Database=design;TrustServerCertificate=true").Options);
}
