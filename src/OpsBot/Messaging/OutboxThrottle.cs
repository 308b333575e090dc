using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsBot.Messaging;

namespace OpsBot.Messaging;

/// <summary>
/// Per tenant ("t:…") the instance that sends for it (<see cref="Owner"/>, docs/decisions/0005-delivery-engine.md), and per
/// tenant or conversation ("c:…") the earliest time the next message may go after a 429 or a hand-over (<see cref="NextAt"/>),
/// which the next owner honours.
/// </summary>
public sealed class OutboxThrottle
{
    public required string Key { get; set; }
    public DateTime NextAt { get; set; }
    public string? Owner { get; set; }
    public DateTime? OwnerSince { get; set; }
}

/// <summary>A running dispatcher: its heartbeat is the lease on every row and tenant it holds.</summary>
public sealed class DispatcherInstance
{
    public required string Id { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime HeartbeatAt { get; set; }
}

public sealed class DispatcherInstanceConfiguration : IEntityTypeConfiguration<DispatcherInstance>
{
    public void Configure(EntityTypeBuilder<DispatcherInstance> b)
    {
        b.ToTable("DispatcherInstances");
        b.HasKey(t => t.Id);
        b.Property(t => t.Id).HasMaxLength(128);
    }
}

public sealed class OutboxThrottleConfiguration : IEntityTypeConfiguration<OutboxThrottle>
{
    public void Configure(EntityTypeBuilder<OutboxThrottle> b)
    {
        b.ToTable("OutboxThrottles");
        b.HasKey(t => t.Key);
        b.Property(t => t.Key).HasMaxLength(300);
        b.Property(t => t.Owner).HasMaxLength(128);
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
