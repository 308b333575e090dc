using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsBot.Messaging;

namespace OpsBot.Messaging
{
    /// <summary>
    /// The earliest time the next message may go to one conversation ("c:…") or one tenant ("t:…"), shared by every
    /// OpsBot instance on the store. Updated only while the tenant row is locked by a claim, so limits hold across instances.
    /// </summary>
    public sealed class OutboxThrottle
    {
        public required string Key { get; set; }
        public DateTime NextAt { get; set; }
    }

    public sealed class OutboxThrottleConfiguration : IEntityTypeConfiguration<OutboxThrottle>
    {
        public void Configure(EntityTypeBuilder<OutboxThrottle> b)
        {
            b.ToTable("OutboxThrottles");
            b.HasKey(t => t.Key);
            b.Property(t => t.Key).HasMaxLength(300);
            b.HasIndex(t => t.NextAt);
        }
    }

    /// <summary>A conversation or user the connector called unreachable (blocked, uninstalled, gone): the reason and when.</summary>
    public sealed class UnreachableRecipient
    {
        public required string Key { get; set; }
        public required string Reason { get; set; }
        public DateTime At { get; set; }
    }

    public sealed class UnreachableRecipientConfiguration : IEntityTypeConfiguration<UnreachableRecipient>
    {
        public void Configure(EntityTypeBuilder<UnreachableRecipient> b)
        {
            b.ToTable("UnreachableRecipients");
            b.HasKey(t => t.Key);
            b.Property(t => t.Key).HasMaxLength(300);
            b.Property(t => t.Reason).HasMaxLength(300);
        }
    }
}

namespace OpsBot.Data
{
    public abstract partial class OpsBotDbContext
    {
        public DbSet<OutboxThrottle> OutboxThrottles => Set<OutboxThrottle>();
        public DbSet<UnreachableRecipient> UnreachableRecipients => Set<UnreachableRecipient>();
    }
}
