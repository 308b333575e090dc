using Microsoft.EntityFrameworkCore;

namespace OpsBot.Data;

/// <summary>
/// The order store. Features add their tables with a partial class next to their code and one
/// <see cref="IEntityTypeConfiguration{TEntity}"/> per entity; this file holds only the shared rules.
/// </summary>
public abstract partial class OpsBotDbContext(DbContextOptions options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(OpsBotDbContext).Assembly);
        foreach (var entity in modelBuilder.Model.GetEntityTypes().Where(e => typeof(IVersioned).IsAssignableFrom(e.ClrType)))
            modelBuilder.Entity(entity.ClrType).Property(nameof(IVersioned.Version)).IsConcurrencyToken();
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<decimal>().HavePrecision(18, 4);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        StoreLimits.Check(ChangeTracker);
        BumpVersions();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        StoreLimits.Check(ChangeTracker);
        BumpVersions();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    private void BumpVersions()
    {
        foreach (var entry in ChangeTracker.Entries<IVersioned>())
        {
            if (entry.State == EntityState.Modified) entry.Entity.Version++;
        }
    }
}

/// <summary>A row two people can change: <see cref="Version"/> is the optimistic concurrency token, bumped on every save.</summary>
public interface IVersioned
{
    int Version { get; set; }
}

public sealed class SqliteOpsBotDbContext(DbContextOptions<SqliteOpsBotDbContext> options) : OpsBotDbContext(options);

public sealed class PostgresOpsBotDbContext(DbContextOptions<PostgresOpsBotDbContext> options) : OpsBotDbContext(options);

public sealed class SqlServerOpsBotDbContext(DbContextOptions<SqlServerOpsBotDbContext> options) : OpsBotDbContext(options);
