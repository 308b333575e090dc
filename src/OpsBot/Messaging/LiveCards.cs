using Microsoft.EntityFrameworkCore;
using OpsBot.Data;

namespace OpsBot.Messaging;

/// <summary>
/// Renders one kind of live card (outbox rows whose <see cref="OutboxMessage.LiveCard"/> starts with <see cref="Prefix"/> and a
/// colon) from the current state, when the dispatcher is about to send it. Register with <see cref="LiveCards.AddLiveCardSource{T}"/>.
/// </summary>
public interface ILiveCardSource
{
    string Prefix { get; }
    /// <summary>True when every copy shows the same card, so one rendering serves a whole fan-out for a moment.</summary>
    bool SameForEveryCopy => false;
    /// <summary>The activity JSON for this copy now; null when there is nothing to show any more (the copy is left as it is).</summary>
    Task<string?> RenderAsync(OpsBotDbContext db, LiveCardCopy copy, CancellationToken ct);
}

/// <summary>One posted (or to be posted) copy: <see cref="Id"/> is the part of the key after the prefix.</summary>
public sealed record LiveCardCopy(string Key, string Id, OutboxKind Kind, string? UserId, string? ChannelId, string? ConversationId);

/// <summary>
/// Cards that converge to the current state (ADR 0005): each posted copy is one outbox row; a change marks the rows of its
/// card (<see cref="RefreshLiveCard"/>, committed with the change), and the dispatcher renders the card when it sends, POST the
/// first time and PUT after, until the row's <see cref="OutboxMessage.SentVersion"/> matches the last mark.
/// </summary>
public static class LiveCards
{
    public static IServiceCollection AddLiveCardSource<T>(this IServiceCollection services) where T : class, ILiveCardSource =>
        services.AddSingleton<ILiveCardSource, T>();

    /// <summary>Every copy of <paramref name="key"/> shows the state committed with the next save of this context.</summary>
    public static void RefreshLiveCard(this OpsBotDbContext db, string key) => db.PendingLiveCards.Add(key);

    /// <summary>
    /// Starts tracking a card posted outside the outbox (a turn's reply or an updated form card) so later changes reach it too.
    /// </summary>
    public static OutboxMessage TrackLiveCard(this OpsBotDbContext db, DeliveryTarget.Conversation target, string activityId, string key,
        DateTime now, string? userId = null)
    {
        var stamp = NewStamp();
        var row = new OutboxMessage
        {
            Kind = OutboxKind.Update,
            DedupeKey = $"live:{key}:{Hash(target.ConversationId + "|" + activityId)}",
            ServiceUrl = target.ServiceUrl,
            TenantId = target.TenantId,
            ConversationId = target.ConversationId,
            ActivityId = activityId,
            UserId = userId,
            ActivityJson = "",
            LiveCard = key,
            Status = OutboxStatus.Sent,
            CreatedAt = now,
            NextAttemptAt = now,
            SentAt = now,
            ResultConversationId = target.ConversationId,
            ResultActivityId = activityId,
            DesiredVersion = stamp,
            SentVersion = stamp,
        };
        db.OutboxMessages.Add(row);
        return row;
    }

    /// <summary>Marks the copies of <paramref name="keys"/> changed: sent ones are queued for a PUT, the others render the news when they go.</summary>
    internal static Task<int> MarkChangedAsync(OpsBotDbContext db, IReadOnlyCollection<string> keys, DateTime now, CancellationToken ct)
    {
        var stamp = NewStamp();
        return db.OutboxMessages
            .Where(m => m.LiveCard != null && keys.Contains(m.LiveCard)
                        && (m.Status == OutboxStatus.Queued || m.Status == OutboxStatus.InFlight || m.Status == OutboxStatus.Sent))
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.DesiredVersion, stamp)
                .SetProperty(m => m.NextAttemptAt, m => m.Status == OutboxStatus.Sent ? now : m.NextAttemptAt)
                .SetProperty(m => m.Status, m => m.Status == OutboxStatus.Sent ? OutboxStatus.Queued : m.Status), ct);
    }

    internal static long NewStamp() => Random.Shared.NextInt64(1, long.MaxValue);

    private static string Hash(string s) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s)))[..32];
}
