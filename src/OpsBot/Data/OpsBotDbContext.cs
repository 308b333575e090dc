using Microsoft.EntityFrameworkCore;
using OpsBot.Alerts;
using OpsBot.Audit;
using OpsBot.Commitments;
using OpsBot.Conversations;
using OpsBot.Customers;
using OpsBot.Escalations;
using OpsBot.Events;
using OpsBot.Messaging;
using OpsBot.People;
using OpsBot.Setup;

namespace OpsBot.Data;

/// <summary>
/// The order store: every table of every feature, listed here. Each entity's mapping is one
/// <see cref="IEntityTypeConfiguration{TEntity}"/> next to the feature's code.
/// </summary>
public abstract class OpsBotDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<ConversationReferenceRecord> ConversationReferences => Set<ConversationReferenceRecord>();
    public DbSet<ProcessedActivity> ProcessedActivities => Set<ProcessedActivity>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<OutboxThrottle> OutboxThrottles => Set<OutboxThrottle>();
    public DbSet<UnreachableRecipient> UnreachableRecipients => Set<UnreachableRecipient>();
    public DbSet<DispatcherInstance> DispatcherInstances => Set<DispatcherInstance>();

    public DbSet<Admin> Admins => Set<Admin>();
    public DbSet<DemoRecord> DemoRecords => Set<DemoRecord>();

    public DbSet<Executive> Executives => Set<Executive>();
    public DbSet<ExecutiveSponsorship> ExecutiveSponsorships => Set<ExecutiveSponsorship>();
    public DbSet<ExecutiveDelegate> ExecutiveDelegates => Set<ExecutiveDelegate>();
    public DbSet<ExecutiveTimeOff> ExecutiveTimeOff => Set<ExecutiveTimeOff>();

    public DbSet<Customer> Customers => Set<Customer>();
    public DbSet<CustomerMember> CustomerMembers => Set<CustomerMember>();
    public DbSet<CustomerSite> CustomerSites => Set<CustomerSite>();
    public DbSet<CustomerContact> CustomerContacts => Set<CustomerContact>();
    public DbSet<CustomerIdentifier> CustomerIdentifiers => Set<CustomerIdentifier>();
    public DbSet<CustomerNameToken> CustomerNameTokens => Set<CustomerNameToken>();
    public DbSet<CustomerMerge> CustomerMerges => Set<CustomerMerge>();
    public DbSet<Commitment> Commitments => Set<Commitment>();
    public DbSet<DownstreamForm> DownstreamForms => Set<DownstreamForm>();
    public DbSet<Enrichment> Enrichments => Set<Enrichment>();
    public DbSet<RoleAssignment> RoleAssignments => Set<RoleAssignment>();
    public DbSet<ErpFeedEntry> ErpFeed => Set<ErpFeedEntry>();
    public DbSet<ErpCursor> ErpCursors => Set<ErpCursor>();

    public DbSet<Escalation> Escalations => Set<Escalation>();
    public DbSet<EscalationEvent> EscalationEvents => Set<EscalationEvent>();
    public DbSet<EscalationTimer> EscalationTimers => Set<EscalationTimer>();

    public DbSet<Alert> Alerts => Set<Alert>();
    public DbSet<AlertEvent> AlertEvents => Set<AlertEvent>();
    public DbSet<AlertPlanStep> AlertPlanSteps => Set<AlertPlanStep>();
    public DbSet<AlertRoute> AlertRoutes => Set<AlertRoute>();
    public DbSet<KpiState> KpiStates => Set<KpiState>();
    public DbSet<KpiReading> KpiReadings => Set<KpiReading>();

    public DbSet<Boards.Board> Boards => Set<Boards.Board>();
    public DbSet<Boards.BoardToken> BoardTokens => Set<Boards.BoardToken>();

    public DbSet<Metrics.DownloadLink> DownloadLinks => Set<Metrics.DownloadLink>();
    public DbSet<Metrics.Kudos> Kudos => Set<Metrics.Kudos>();
    public DbSet<Metrics.DigestRun> DigestRuns => Set<Metrics.DigestRun>();

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

    /// <summary>The service scope this store was handed out in (where <see cref="Publish"/>ed events find their handlers).</summary>
    private IServiceProvider? Services { get; set; }

    private readonly List<IDomainEvent> _events = [];

    /// <summary>
    /// The pool hands this store to <paramref name="scope"/>: what an earlier scope published or marked without saving (a
    /// failed turn, a refused action) is dropped, as its tracked changes are.
    /// </summary>
    internal void HandOutTo(IServiceProvider scope)
    {
        Services = scope;
        _events.Clear();
        PendingLiveCards.Clear();
    }

    /// <summary>
    /// Publishes <paramref name="domainEvent"/> with the next <see cref="SaveChangesAsync(bool, CancellationToken)"/>: that save,
    /// the handlers' work and their changes are one transaction (the caller's, or one begun for it).
    /// </summary>
    public void Publish(IDomainEvent domainEvent) => _events.Add(domainEvent);

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        if (PendingLiveCards.Count > 0) throw new InvalidOperationException("Live card changes are saved with SaveChangesAsync.");
        if (_events.Count > 0) throw new InvalidOperationException("Domain events are published with SaveChangesAsync.");
        StoreLimits.Check(ChangeTracker);
        BumpVersions();
        CustomerIndex.IndexChanged(ChangeTracker);
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        if (_events.Count == 0) return await SaveAsync(acceptAllChangesOnSuccess, cancellationToken);
        var services = Services ?? throw new InvalidOperationException("Domain events need a store resolved from a service scope.");
        var events = _events.ToArray();
        _events.Clear();
        return await this.InRetriedTransactionAsync(async () =>
        {
            var saved = await SaveAsync(acceptAllChangesOnSuccess, cancellationToken);
            foreach (var e in events) await DomainEvents.DispatchAsync(services, e, cancellationToken);
            return saved + await SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }, cancellationToken);
    }

    private async Task<int> SaveAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken)
    {
        StoreLimits.Check(ChangeTracker);
        BumpVersions();
        CustomerIndex.IndexChanged(ChangeTracker);
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
