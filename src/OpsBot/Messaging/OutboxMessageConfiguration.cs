using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsBot.Messaging;

public sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> b)
    {
        b.ToTable("OutboxMessages");
        b.HasKey(m => m.Id);
        b.Property(m => m.DedupeKey).HasMaxLength(200);
        b.HasIndex(m => m.DedupeKey).IsUnique();
        b.Property(m => m.Kind).HasConversion<string>().HasMaxLength(32);
        b.Property(m => m.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(m => m.CorrelationType).HasMaxLength(32);
        b.Property(m => m.CorrelationId).HasMaxLength(200);
        b.Property(m => m.LiveCard).HasMaxLength(200);
        b.Property(m => m.ServiceUrl).HasMaxLength(512);
        b.Property(m => m.TenantId).HasMaxLength(64);
        b.Property(m => m.ConversationId).HasMaxLength(256);
        b.Property(m => m.UserId).HasMaxLength(256);
        b.Property(m => m.ChannelId).HasMaxLength(256);
        b.Property(m => m.ActivityId).HasMaxLength(128);
        b.Property(m => m.LeaseOwner).HasMaxLength(128);
        b.Property(m => m.SentBy).HasMaxLength(128);
        b.Property(m => m.ResultConversationId).HasMaxLength(256);
        b.Property(m => m.ResultActivityId).HasMaxLength(128);
        b.Property(m => m.Error).HasMaxLength(1000);
        // Id last: the claim reads due rows in (NextAttemptAt, Id) order straight from the index (a fan-out shares one NextAttemptAt).
        b.HasIndex(m => new { m.Status, m.NextAttemptAt, m.Id });
        b.HasIndex(m => new { m.CorrelationType, m.CorrelationId });
        b.HasIndex(m => m.LiveCard);
    }
}
