using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Escalations;

/// <summary>A customer complaint escalated to an executive. <see cref="Version"/> guards every card action.</summary>
public sealed class Escalation : OpsBot.Data.IVersioned
{
    public long Id { get; set; }
    /// <summary>Business idempotency key of the request that created it (form id or message-action key).</summary>
    public required string IdempotencyKey { get; set; }
    public int? CustomerId { get; set; }
    /// <summary>The customer's name as the rep gave it.</summary>
    public required string Account { get; set; }
    public string Contact { get; set; } = "";
    public required string Summary { get; set; }
    public string Impact { get; set; } = "";
    public string DesiredOutcome { get; set; } = "";
    public Severity Severity { get; set; } = Severity.Medium;
    public string? OrderRef { get; set; }
    public string? OpportunityRef { get; set; }
    public string? AlertId { get; set; }
    public EscalationOrigin Origin { get; set; }
    public string? SourceMessageLink { get; set; }
    public string? SourceMessageAuthor { get; set; }

    public required string RepUserId { get; set; }
    public string? RepAadObjectId { get; set; }
    public required string RepName { get; set; }
    public required string ServiceUrl { get; set; }
    public required string TenantId { get; set; }
    /// <summary>The rep's own copy of the card (the form the rep submitted, replaced by the escalation card).</summary>
    public string? RepConversationId { get; set; }
    public string? RepCardActivityId { get; set; }

    public string? AssigneeId { get; set; }
    public string AssignmentReason { get; set; } = "";
    /// <summary>Executive who took over after a missed SLA; may act like a delegate.</summary>
    public string? BackupExecutiveId { get; set; }
    /// <summary>The executive who owned it before the last reassignment; keeps read access to follow up.</summary>
    public string? PreviousAssigneeId { get; set; }
    public EscalationStatus Status { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime AssignedAt { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public DateTime? FirstContactAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
    public DateTime AcknowledgeDueAt { get; set; }
    public DateTime ContactDueAt { get; set; }
    public DateTime ResolveDueAt { get; set; }
    public string? Resolution { get; set; }
    public bool? CustomerSatisfied { get; set; }
    public bool AcknowledgedInSla { get; set; }

    public string LastAction { get; set; } = "";
    public DateTime LastActionAt { get; set; }
    public int Version { get; set; }

    public string Number => $"ESC-{Id}";
    public bool IsOpen => Status != EscalationStatus.Resolved;
}

public enum EscalationOrigin { Command, CardButton, MessageAction }

public enum EscalationStatus { Unassigned, Assigned, Acknowledged, InContact, Resolved }

/// <summary>Append-only timeline of an escalation (also the card's timeline).</summary>
public sealed class EscalationEvent
{
    public long Id { get; set; }
    public long EscalationId { get; set; }
    public DateTime At { get; set; }
    public EscalationEventKind Kind { get; set; }
    public required string ActorUserId { get; set; }
    public required string ActorName { get; set; }
    public required string Text { get; set; }
    /// <summary>For logged contacts: call, visit or email.</summary>
    public string? Channel { get; set; }
}

public enum EscalationEventKind { Created, Assigned, Acknowledged, ContactLogged, Resolved, Reassigned, QuestionAsked, InformationAdded, Reminder, ReEscalated }

/// <summary>A due SLA timer: the scheduler fires it once (claimed through <see cref="Version"/>).</summary>
public sealed class EscalationTimer : OpsBot.Data.IVersioned
{
    public long Id { get; set; }
    public long EscalationId { get; set; }
    public SlaTimerKind Kind { get; set; }
    public DateTime DueAt { get; set; }
    public DateTime? FiredAt { get; set; }
    public int Version { get; set; }
}

public enum SlaTimerKind { AcknowledgeReminder, AcknowledgeDeadline, ContactReminder, ContactDeadline, ResolveReminder, ResolveDeadline }

public sealed class EscalationConfiguration : IEntityTypeConfiguration<Escalation>
{
    public void Configure(EntityTypeBuilder<Escalation> b)
    {
        b.ToTable("Escalations");
        b.HasKey(c => c.Id);
        b.Property(c => c.IdempotencyKey).HasMaxLength(200);
        b.HasIndex(c => c.IdempotencyKey).IsUnique();
        b.Property(c => c.Account).HasMaxLength(200);
        b.HasOne<Customer>().WithMany().HasForeignKey(c => c.CustomerId).OnDelete(DeleteBehavior.Restrict);
        b.Property(c => c.Contact).HasMaxLength(200);
        b.Property(c => c.Summary).HasMaxLength(2000);
        b.Property(c => c.Impact).HasMaxLength(1000);
        b.Property(c => c.DesiredOutcome).HasMaxLength(1000);
        b.Property(c => c.Severity).HasConversion<string>().HasMaxLength(16);
        b.Property(c => c.OrderRef).HasMaxLength(100);
        b.Property(c => c.OpportunityRef).HasMaxLength(100);
        b.Property(c => c.AlertId).HasMaxLength(100);
        b.Property(c => c.Origin).HasConversion<string>().HasMaxLength(16);
        b.Property(c => c.SourceMessageLink).HasMaxLength(1000);
        b.Property(c => c.SourceMessageAuthor).HasMaxLength(200);
        b.Property(c => c.RepUserId).HasMaxLength(256);
        b.Property(c => c.RepAadObjectId).HasMaxLength(64);
        b.Property(c => c.RepName).HasMaxLength(200);
        b.Property(c => c.ServiceUrl).HasMaxLength(512);
        b.Property(c => c.TenantId).HasMaxLength(64);
        b.Property(c => c.RepConversationId).HasMaxLength(256);
        b.Property(c => c.RepCardActivityId).HasMaxLength(128);
        b.Property(c => c.AssigneeId).HasMaxLength(64);
        b.Property(c => c.AssignmentReason).HasMaxLength(300);
        b.Property(c => c.BackupExecutiveId).HasMaxLength(64);
        b.Property(c => c.PreviousAssigneeId).HasMaxLength(64);
        b.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(c => c.Resolution).HasMaxLength(2000);
        b.Property(c => c.LastAction).HasMaxLength(300);
        b.Ignore(c => c.Number);
        b.Ignore(c => c.IsOpen);
        b.HasIndex(c => new { c.AssigneeId, c.Status });
        b.HasIndex(c => new { c.RepUserId, c.CreatedAt });
        b.HasIndex(c => new { c.CustomerId, c.CreatedAt });
        b.HasIndex(c => c.AssignedAt);
        b.HasIndex(c => c.Status);
    }
}

public sealed class EscalationEventConfiguration : IEntityTypeConfiguration<EscalationEvent>
{
    public void Configure(EntityTypeBuilder<EscalationEvent> b)
    {
        b.ToTable("EscalationEvents");
        b.Property(e => e.Kind).HasConversion<string>().HasMaxLength(24);
        b.Property(e => e.ActorUserId).HasMaxLength(256);
        b.Property(e => e.ActorName).HasMaxLength(200);
        b.Property(e => e.Text).HasMaxLength(2000);
        b.Property(e => e.Channel).HasMaxLength(16);
        b.HasIndex(e => new { e.EscalationId, e.Id });
    }
}

public sealed class EscalationTimerConfiguration : IEntityTypeConfiguration<EscalationTimer>
{
    public void Configure(EntityTypeBuilder<EscalationTimer> b)
    {
        b.ToTable("EscalationTimers");
        b.Property(t => t.Kind).HasConversion<string>().HasMaxLength(24);
        b.HasIndex(t => new { t.EscalationId, t.Kind }).IsUnique();
        b.HasIndex(t => new { t.FiredAt, t.DueAt });
    }
}
