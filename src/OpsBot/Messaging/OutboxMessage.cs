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
    /// <summary>Set just before a non-idempotent connector call; a row found in flight with this set may have been delivered.</summary>
    public DateTime? AttemptStartedAt { get; set; }
    /// <summary>
    /// True once a POST was repeated after an attempt that may have reached the connector (reset or time-out after the body
    /// was sent, 502, 504, an instance that died during the call): the recipient may see the message twice. Shown as
    /// "possibly duplicated" wherever delivery is reported.
    /// </summary>
    public bool RepeatedAfterAmbiguousFailure { get; set; }
    /// <summary>Calls answered 429 (or 503 with Retry-After); they never count against the give-up budget.</summary>
    public int Throttles { get; set; }
    /// <summary>
    /// A card rendered at send time from the current state (e.g. <c>alert:42</c>, see <see cref="LiveCards"/>); null for a
    /// message whose <see cref="ActivityJson"/> is final.
    /// </summary>
    public string? LiveCard { get; set; }
    /// <summary>Changed (to a new random stamp) whenever the live card's state changes; compared with <see cref="SentVersion"/>.</summary>
    public long DesiredVersion { get; set; }
    /// <summary>The <see cref="DesiredVersion"/> the last successful send rendered; a row whose two versions differ is sent again (PUT).</summary>
    public long? SentVersion { get; set; }
    /// <summary>When the people responsible were told that this delivery failed for good.</summary>
    public DateTime? FailureNotifiedAt { get; set; }
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

/// <summary>
/// How the message is first delivered; once it has a <see cref="OutboxMessage.ResultActivityId"/> every later delivery of the
/// row is a PUT of that activity. <see cref="Update"/> rows track an activity posted outside the outbox (a turn's reply).
/// </summary>
public enum OutboxKind { Send, Update, CreatePersonal, CreateChannelThread }

/// <summary>
/// <see cref="PossiblySent"/> and <see cref="Superseded"/> are kept for rows written before ADR 0005: ambiguous attempts are now
/// re-sent and flagged (<see cref="OutboxMessage.RepeatedAfterAmbiguousFailure"/>), and updates coalesce on one row per posted copy.
/// </summary>
public enum OutboxStatus { Queued, InFlight, Sent, Failed, PossiblySent, Superseded }
