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
    public DateTime? SentAt { get; set; }
    /// <summary>Where the message landed: conversation id and activity id returned by the connector.</summary>
    public string? ResultConversationId { get; set; }
    public string? ResultActivityId { get; set; }
    /// <summary>Why delivery failed for good (e.g. "403 ConversationBlockedByUser").</summary>
    public string? Error { get; set; }
    public int Version { get; set; }
}

public enum OutboxKind { Send, Update, CreatePersonal, CreateChannelThread }

public enum OutboxStatus { Queued, InFlight, Sent, Failed }
