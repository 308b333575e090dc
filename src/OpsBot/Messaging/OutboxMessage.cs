using OpsBot.Data;

namespace OpsBot.Messaging;

/// <summary>
/// One outgoing connector operation, written in the same transaction as the change that caused it and
/// delivered later by the dispatcher. <see cref="DedupeKey"/> is unique: enqueueing the same key twice has no effect.
/// </summary>
public sealed class OutboxMessage : IVersioned
{
    public long Id { get; set; }
    public OutboxKind Kind { get; set; }
    public required string DedupeKey { get; set; }

    /// <summary>What the message is about, so features can find the posted cards later (e.g. "alert" / "42").</summary>
    public string? CorrelationType { get; set; }
    public string? CorrelationId { get; set; }

    public required string ServiceUrl { get; set; }
    public string? TenantId { get; set; }
    /// <summary>Existing conversation (Send, Update); null for creates.</summary>
    public string? ConversationId { get; set; }
    /// <summary>Teams user id (29:…) or Entra object id, for <see cref="OutboxKind.CreatePersonal"/>.</summary>
    public string? UserId { get; set; }
    /// <summary>Channel id, for <see cref="OutboxKind.CreateChannelThread"/>.</summary>
    public string? ChannelId { get; set; }
    /// <summary>The posted message to replace, for <see cref="OutboxKind.Update"/>.</summary>
    public string? ActivityId { get; set; }
    /// <summary>The activity to send, as wire JSON.</summary>
    public required string ActivityJson { get; set; }

    public OutboxStatus Status { get; set; } = OutboxStatus.Queued;
    public int Attempts { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    /// <summary>Set just before a non-idempotent connector call; a row found in flight with this set may have been delivered.</summary>
    public DateTime? AttemptStartedAt { get; set; }
    /// <summary>True once a POST was repeated after an answer that did not prove the first one failed (5xx, timeout).</summary>
    public bool RepeatedAfterAmbiguousFailure { get; set; }
    public DateTime? SentAt { get; set; }
    /// <summary>The instance that delivered the message.</summary>
    public string? SentBy { get; set; }
    /// <summary>Where the message landed: conversation id and activity id returned by the connector.</summary>
    public string? ResultConversationId { get; set; }
    public string? ResultActivityId { get; set; }
    /// <summary>Why delivery failed for good (e.g. "403 ConversationBlockedByUser"), or the last transient failure while retrying.</summary>
    public string? Error { get; set; }
    public int Version { get; set; }
}

public enum OutboxKind { Send, Update, CreatePersonal, CreateChannelThread }

/// <summary>
/// <see cref="PossiblySent"/>: an instance stopped during a non-idempotent connector call, so the message may or may not have
/// arrived; it is not re-sent automatically (see docs/decisions/0003-outbox-and-dispatch.md).
/// <see cref="Superseded"/>: an update replaced by a newer update of the same message before it was sent.
/// </summary>
public enum OutboxStatus { Queued, InFlight, Sent, Failed, PossiblySent, Superseded }
