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

    /// <summary>Live cards to mark changed in the transaction of the next save (<see cref="Messaging.LiveCards.RefreshLiveCard"/>).</summary>
    internal HashSet<string> PendingLiveCards { get; } = new(StringComparer.Ordinal);

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        if (PendingLiveCards.Count > 0) throw new InvalidOperationException("Live card changes are saved with SaveChangesAsync.");
        StoreLimits.Check(ChangeTracker);
        BumpVersions();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        StoreLimits.Check(ChangeTracker);
        BumpVersions();
        if (PendingLiveCards.Count == 0) return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        var keys = PendingLiveCards.ToArray();
        PendingLiveCards.Clear();
        var now = DateTime.UtcNow;
        if (Database.CurrentTransaction is not null)
        {
            var saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
            await Messaging.LiveCards.MarkChangedAsync(this, keys, now, cancellationToken);
            return saved;
        }
        var n = await Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            await using var tx = await Database.BeginTransactionAsync(ct);
            var saved = await base.SaveChangesAsync(false, ct);
            await Messaging.LiveCards.MarkChangedAsync(this, keys, now, ct);
            await tx.CommitAsync(ct);
            return saved;
        }, cancellationToken);
        if (acceptAllChangesOnSuccess) ChangeTracker.AcceptAllChanges();
        return n;
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
