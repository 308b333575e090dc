using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Commitments;

public enum FormKind { SalesOrderDraft, CommissionCredit, SupplyPlanRequest, ServiceWorkOrder }

public enum OwnerRole { OrderDesk, SalesOps, SupplyChain, Service }

public enum FormStatus { Open, Confirmed }

/// <summary>
/// The 14-field header as captured. It is never overwritten: later facts are <see cref="Enrichment"/> rows and the
/// current view (<see cref="CommitmentView"/>) is the header plus its latest enrichments. <see cref="Version"/> counts views.
/// </summary>
public sealed class Commitment : IVersioned
{
    public int Id { get; set; }
    public required string OpportunityId { get; set; }
    public int CustomerId { get; set; }
    public Customer Customer { get; set; } = null!;
    public required string CustomerName { get; set; }
    public CustomerSegment Segment { get; set; }
    public required string MasterAgreementRef { get; set; }
    public required string CustomerPoNumber { get; set; }
    public decimal CommittedValue { get; set; }
    public required string Currency { get; set; }
    public DateOnly CommitDate { get; set; }
    public DateOnly RequestedDeliveryDate { get; set; }
    public required string ShipToSite { get; set; }
    public required string BillToSite { get; set; }
    public required string PaymentTerms { get; set; }
    public required string AccountOwnerId { get; set; }
    public required string AccountOwnerName { get; set; }

    public required string CreatedById { get; set; }
    public required string CreatedByName { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string UpdatedById { get; set; }
    public required string UpdatedByName { get; set; }
    public DateTime UpdatedAt { get; set; }
    /// <summary>The capture form's id, so a re-sent submit answers with the same commitment instead of a duplicate.</summary>
    public string? CaptureFormId { get; set; }
    /// <summary>The capture warnings (codes, comma separated) the rep confirmed rather than corrected when saving; empty when none.</summary>
    public string ConfirmedWarnings { get; set; } = "";

    /// <summary>Where OpsBot reaches people about this commitment (from the capturing turn).</summary>
    public required string ServiceUrl { get; set; }
    public required string TenantId { get; set; }
    /// <summary>The posted summary card, updated in place on later changes.</summary>
    public string? SummaryConversationId { get; set; }
    public string? SummaryActivityId { get; set; }

    public int Version { get; set; }
    public List<Enrichment> Enrichments { get; set; } = [];
    public List<DownstreamForm> Forms { get; set; } = [];
}

/// <summary>A downstream form generated from a commitment. It holds no header values: it reads them through <see cref="Commitment"/>.</summary>
public sealed class DownstreamForm : IVersioned
{
    public int Id { get; set; }
    public int CommitmentId { get; set; }
    public Commitment Commitment { get; set; } = null!;
    public FormKind Kind { get; set; }
    public OwnerRole Role { get; set; }
    public DateTime DueAt { get; set; }
    public FormStatus Status { get; set; } = FormStatus.Open;
    public string? ConfirmedById { get; set; }
    public string? ConfirmedByName { get; set; }
    public DateTime? ConfirmedAt { get; set; }
    public DateTime? ReminderSentAt { get; set; }
    public DateTime? AlertRaisedAt { get; set; }
    public int Version { get; set; }
}

/// <summary>An appended fact about a commitment (append-only): who, when, what, and the value it replaced in the current view.</summary>
public sealed class Enrichment
{
    public long Id { get; set; }
    public int CommitmentId { get; set; }
    public required string OpportunityId { get; set; }
    public required string Field { get; set; }
    public required string Value { get; set; }
    public string? PreviousValue { get; set; }
    public required string ById { get; set; }
    public required string ByName { get; set; }
    public DateTime At { get; set; }
    public string? Note { get; set; }
    /// <summary>The commitment version this enrichment produced.</summary>
    public int Version { get; set; }
}

/// <summary>Who owns a role's downstream forms: a person (Teams user id / Entra object id) or a channel.</summary>
public sealed class RoleAssignment
{
    public int Id { get; set; }
    public OwnerRole Role { get; set; }
    public string? UserId { get; set; }
    public string? ChannelId { get; set; }
}

/// <summary>
/// The ERP feed: one immutable snapshot per (commitment, version), written in the capture/enrichment transaction.
/// <see cref="Sequence"/> is assigned later, in commit order, by <see cref="ErpFeed.SequencePendingAsync"/>.
/// </summary>
public sealed class ErpFeedEntry
{
    public long Id { get; set; }
    public long? Sequence { get; set; }
    public int CommitmentId { get; set; }
    public Commitment Commitment { get; set; } = null!;
    public required string OpportunityId { get; set; }
    public int CustomerId { get; set; }
    public int Version { get; set; }
    public required string PayloadJson { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A named delivery position in the ERP feed (e.g. the webhook's last delivered sequence).</summary>
public sealed class ErpCursor
{
    public required string Name { get; set; }
    public long Position { get; set; }
    public DateTime UpdatedAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
}
