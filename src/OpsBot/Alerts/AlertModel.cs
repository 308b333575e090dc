using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsBot.Alerts;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Alerts;

/// <summary>An interruption of a customer's business: one alert, one card everywhere it was posted.</summary>
public sealed class Alert : OpsBot.Data.IVersioned
{
    public long Id { get; set; }
    /// <summary>The customer (<see cref="OpsBot.Customers.Customer"/>); null for an alert about no one customer (a KPI over all of them).</summary>
    public int? CustomerId { get; set; }
    /// <summary>The customer's name as shown on the card when the alert was raised.</summary>
    public required string Account { get; set; }
    /// <summary>The customer's segment when the alert was raised: what routing by segment matches.</summary>
    public string? Segment { get; set; }
    /// <summary>Order or commitment reference.</summary>
    public string? Reference { get; set; }
    /// <summary>late-shipment, order-error, supply-shortage, line-down or other.</summary>
    public required string Kind { get; set; }
    public required string Impact { get; set; }
    /// <summary>Stored as its number, 1 (highest) to 4.</summary>
    public Severity Severity { get; set; }
    public string Description { get; set; } = "";
    public AlertStatus Status { get; set; } = AlertStatus.Open;
    public AlertSource Source { get; set; }
    public string? OwnerId { get; set; }
    public string? OwnerName { get; set; }
    public required string RaisedById { get; set; }
    public required string RaisedByName { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
    public string? Resolution { get; set; }
    /// <summary>The customer was restricted when the alert was raised: each copy of the card is rendered for its reader.</summary>
    public bool Restricted { get; set; }
    /// <summary>Account + reference, lower case: alerts sharing it are one thread.</summary>
    public required string GroupKey { get; set; }
    /// <summary>The first open alert of the group, whose channel posts are the thread roots.</summary>
    public long? ThreadAlertId { get; set; }
    public required string ServiceUrl { get; set; }
    public string? TenantId { get; set; }
    public string? ApiClient { get; set; }
    public string? IdempotencyKey { get; set; }
    public string? RequestHash { get; set; }
    public string? KpiName { get; set; }
    public int Version { get; set; }
    public List<AlertEvent> Timeline { get; set; } = [];
    public List<AlertPlanStep> Plan { get; set; } = [];
}

public enum AlertStatus { Open, Acknowledged, Resolved }

public enum AlertSource { Chat, Api, Kpi }

/// <summary>Append-only: who did what to an alert, and where.</summary>
public sealed class AlertEvent
{
    public long Id { get; set; }
    public long AlertId { get; set; }
    public DateTime At { get; set; }
    public required string ActorId { get; set; }
    public required string ActorName { get; set; }
    public required string Action { get; set; }
    public string Text { get; set; } = "";
    public string? ConversationId { get; set; }
}

public sealed class AlertPlanStep
{
    public long Id { get; set; }
    public long AlertId { get; set; }
    public required string Title { get; set; }
    public required string OwnerId { get; set; }
    public string OwnerName { get; set; } = "";
    public DateTime DueAt { get; set; }
    public DateTime? DoneAt { get; set; }
    public string? DoneBy { get; set; }
    /// <summary>The reminder timer, as data: when the owner was last reminded of this overdue step.</summary>
    public DateTime? RemindedAt { get; set; }
    public int Reminders { get; set; }
}

/// <summary>A routing rule: alerts matching account, segment, kind and severity go to its channels and people.</summary>
public sealed class AlertRoute
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Only this customer's alerts; null for any customer.</summary>
    public int? CustomerId { get; set; }
    public string? Segment { get; set; }
    public string? Kind { get; set; }
    /// <summary>Matches alerts with severity 1..MaxSeverity.</summary>
    public Severity MaxSeverity { get; set; } = Severity.Low;
    public List<AlertRouteChannel> Channels { get; set; } = [];
    public List<string> People { get; set; } = [];

    public bool Matches(Alert a) =>
        (CustomerId is null || CustomerId == a.CustomerId)
        && (Segment is null || string.Equals(Segment, a.Segment, StringComparison.OrdinalIgnoreCase))
        && (Kind is null || string.Equals(Kind, a.Kind, StringComparison.OrdinalIgnoreCase))
        && a.Severity <= MaxSeverity;
}

public sealed class AlertRouteChannel
{
    public long Id { get; set; }
    public long RouteId { get; set; }
    public string TeamId { get; set; } = "";
    public required string ChannelId { get; set; }
    public string? ServiceUrl { get; set; }
    public string? TenantId { get; set; }
}

/// <summary>Where a KPI stands, with hysteresis: the level only drops after the value recovers past a margin.</summary>
public sealed class KpiState : OpsBot.Data.IVersioned
{
    public required string Name { get; set; }
    public int? CustomerId { get; set; }
    public KpiLevel Level { get; set; }
    public decimal LastValue { get; set; }
    public DateTime LastAt { get; set; }
    public long? AlertId { get; set; }
    public int Version { get; set; }
}

public enum KpiLevel { Normal, Warning, Critical }

public sealed class KpiReading
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public int? CustomerId { get; set; }
    public decimal Value { get; set; }
    public DateTime At { get; set; }
    public KpiLevel Level { get; set; }
}

public sealed class AlertConfiguration : IEntityTypeConfiguration<Alert>
{
    public void Configure(EntityTypeBuilder<Alert> b)
    {
        b.ToTable("Alerts");
        b.Property(a => a.Account).HasMaxLength(100);
        b.Property(a => a.Segment).HasMaxLength(100);
        b.Property(a => a.Reference).HasMaxLength(100);
        b.Property(a => a.Kind).HasMaxLength(32);
        b.Property(a => a.Impact).HasMaxLength(500);
        b.Property(a => a.Description).HasMaxLength(4000);
        b.Property(a => a.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(a => a.Source).HasConversion<string>().HasMaxLength(16);
        b.Property(a => a.OwnerId).HasMaxLength(256);
        b.Property(a => a.OwnerName).HasMaxLength(200);
        b.Property(a => a.RaisedById).HasMaxLength(256);
        b.Property(a => a.RaisedByName).HasMaxLength(200);
        b.Property(a => a.Resolution).HasMaxLength(1000);
        b.Property(a => a.GroupKey).HasMaxLength(210);
        b.Property(a => a.ServiceUrl).HasMaxLength(512);
        b.Property(a => a.TenantId).HasMaxLength(64);
        b.Property(a => a.ApiClient).HasMaxLength(100);
        b.Property(a => a.IdempotencyKey).HasMaxLength(100);
        b.Property(a => a.RequestHash).HasMaxLength(64);
        b.Property(a => a.KpiName).HasMaxLength(100);
        b.HasIndex(a => new { a.ApiClient, a.IdempotencyKey }).IsUnique();
        b.HasIndex(a => new { a.GroupKey, a.Status });
        b.HasIndex(a => new { a.Status, a.CustomerId });
        b.HasIndex(a => a.CreatedAt);
        // The boards' open list and counts: open alerts by severity, oldest first.
        b.HasIndex(a => new { a.Status, a.Severity, a.CreatedAt });
        b.HasOne<Customer>().WithMany().HasForeignKey(a => a.CustomerId).OnDelete(DeleteBehavior.Restrict);
        b.HasMany(a => a.Timeline).WithOne().HasForeignKey(e => e.AlertId);
        b.HasMany(a => a.Plan).WithOne().HasForeignKey(s => s.AlertId);
    }
}

public sealed class AlertEventConfiguration : IEntityTypeConfiguration<AlertEvent>
{
    public void Configure(EntityTypeBuilder<AlertEvent> b)
    {
        b.ToTable("AlertEvents");
        b.Property(e => e.ActorId).HasMaxLength(256);
        b.Property(e => e.ActorName).HasMaxLength(200);
        b.Property(e => e.Action).HasMaxLength(32);
        b.Property(e => e.Text).HasMaxLength(2000);
        b.Property(e => e.ConversationId).HasMaxLength(256);
        b.HasIndex(e => new { e.AlertId, e.At });
    }
}

public sealed class AlertPlanStepConfiguration : IEntityTypeConfiguration<AlertPlanStep>
{
    public void Configure(EntityTypeBuilder<AlertPlanStep> b)
    {
        b.ToTable("AlertPlanSteps");
        b.Property(s => s.Title).HasMaxLength(500);
        b.Property(s => s.OwnerId).HasMaxLength(256);
        b.Property(s => s.OwnerName).HasMaxLength(200);
        b.Property(s => s.DoneBy).HasMaxLength(200);
        b.HasIndex(s => new { s.DoneAt, s.DueAt });
    }
}

public sealed class AlertRouteConfiguration : IEntityTypeConfiguration<AlertRoute>
{
    public void Configure(EntityTypeBuilder<AlertRoute> b)
    {
        b.ToTable("AlertRoutes");
        b.Property(r => r.Name).HasMaxLength(100);
        b.HasIndex(r => r.Name).IsUnique();
        b.HasOne<Customer>().WithMany().HasForeignKey(r => r.CustomerId).OnDelete(DeleteBehavior.Restrict);
        b.Property(r => r.Segment).HasMaxLength(100);
        b.Property(r => r.Kind).HasMaxLength(32);
        b.HasMany(r => r.Channels).WithOne().HasForeignKey(c => c.RouteId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class AlertRouteChannelConfiguration : IEntityTypeConfiguration<AlertRouteChannel>
{
    public void Configure(EntityTypeBuilder<AlertRouteChannel> b)
    {
        b.ToTable("AlertRouteChannels");
        b.Property(c => c.TeamId).HasMaxLength(256);
        b.Property(c => c.ChannelId).HasMaxLength(256);
        b.Property(c => c.ServiceUrl).HasMaxLength(512);
        b.Property(c => c.TenantId).HasMaxLength(64);
    }
}

public sealed class KpiStateConfiguration : IEntityTypeConfiguration<KpiState>
{
    public void Configure(EntityTypeBuilder<KpiState> b)
    {
        b.ToTable("KpiStates");
        b.HasKey(k => k.Name);
        b.Property(k => k.Name).HasMaxLength(100);
        b.Property(k => k.Level).HasConversion<string>().HasMaxLength(16);
        b.HasOne<Customer>().WithMany().HasForeignKey(k => k.CustomerId).OnDelete(DeleteBehavior.Restrict);
    }
}

public sealed class KpiReadingConfiguration : IEntityTypeConfiguration<KpiReading>
{
    public void Configure(EntityTypeBuilder<KpiReading> b)
    {
        b.ToTable("KpiReadings");
        b.Property(k => k.Name).HasMaxLength(100);
        b.Property(k => k.Level).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(k => new { k.Name, k.At });
        b.HasOne<Customer>().WithMany().HasForeignKey(k => k.CustomerId).OnDelete(DeleteBehavior.Restrict);
    }
}
