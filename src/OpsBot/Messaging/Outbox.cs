using System.Text;
using System.Text.Json;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;
using OpsBot.Data;

namespace OpsBot.Messaging;

/// <summary>Where an outbox message goes.</summary>
public abstract record DeliveryTarget(string ServiceUrl, string? TenantId)
{
    /// <summary>A conversation OpsBot already has (personal chat, group chat, channel thread).</summary>
    public sealed record Conversation(string ServiceUrl, string? TenantId, string ConversationId) : DeliveryTarget(ServiceUrl, TenantId);
    /// <summary>A 1:1 chat with a user, created (or found) by the connector from the user id and tenant.</summary>
    public sealed record Person(string ServiceUrl, string TenantId, string UserId) : DeliveryTarget(ServiceUrl, TenantId);
    /// <summary>A new thread (root post) in a channel.</summary>
    public sealed record ChannelThread(string ServiceUrl, string TenantId, string ChannelId) : DeliveryTarget(ServiceUrl, TenantId);
}

/// <summary>Adds outgoing messages to the caller's unit of work; they are sent only if that unit commits.</summary>
public static class Outbox
{
    public static OutboxMessage EnqueueSend(this OpsBotDbContext db, DeliveryTarget target, Activity activity, string dedupeKey,
        DateTime now, string? correlationType = null, string? correlationId = null) =>
        db.EnqueueSend(target, Serialize(activity), dedupeKey, now, correlationType, correlationId);

    /// <summary>
    /// The same with the activity already serialized (<see cref="Serialize"/>): a fan-out of one card to many conversations
    /// serializes it once and every row shares the one string.
    /// </summary>
    public static OutboxMessage EnqueueSend(this OpsBotDbContext db, DeliveryTarget target, string activityJson, string dedupeKey,
        DateTime now, string? correlationType = null, string? correlationId = null, string? liveCard = null)
    {
        var message = New(target, activityJson, dedupeKey, now, correlationType, correlationId);
        message.LiveCard = liveCard;
        switch (target)
        {
            case DeliveryTarget.Conversation c: message.Kind = OutboxKind.Send; message.ConversationId = c.ConversationId; break;
            case DeliveryTarget.Person p: message.Kind = OutboxKind.CreatePersonal; message.UserId = p.UserId; break;
            case DeliveryTarget.ChannelThread t: message.Kind = OutboxKind.CreateChannelThread; message.ChannelId = t.ChannelId; break;
        }
        db.Set<OutboxMessage>().Add(message);
        return message;
    }

    /// <summary>Replaces a message already posted (card updated in place for everyone).</summary>
    public static OutboxMessage EnqueueUpdate(this OpsBotDbContext db, DeliveryTarget.Conversation target, string activityId, Activity activity,
        string dedupeKey, DateTime now, string? correlationType = null, string? correlationId = null) =>
        db.EnqueueUpdate(target, activityId, Serialize(activity), dedupeKey, now, correlationType, correlationId);

    public static OutboxMessage EnqueueUpdate(this OpsBotDbContext db, DeliveryTarget.Conversation target, string activityId, string activityJson,
        string dedupeKey, DateTime now, string? correlationType = null, string? correlationId = null)
    {
        var message = New(target, activityJson, dedupeKey, now, correlationType, correlationId);
        message.Kind = OutboxKind.Update;
        message.ConversationId = target.ConversationId;
        message.ActivityId = activityId;
        message.ResultConversationId = target.ConversationId;
        message.ResultActivityId = activityId;
        db.Set<OutboxMessage>().Add(message);
        return message;
    }

    /// <summary>The wire JSON stored in <see cref="OutboxMessage.ActivityJson"/>.</summary>
    public static string Serialize(Activity activity) => JsonSerializer.Serialize(activity, BotJson.Options);

    /// <summary>
    /// The wire JSON of a message carrying one Adaptive Card, the card written straight from its template into the activity
    /// (the same JSON as <see cref="Serialize"/> of that activity, without building the card as a <c>JsonObject</c> first).
    /// </summary>
    public static string SerializeCard(CardTemplates cards, string template, object model, string? summary = null)
    {
        var scratch = ScratchJson.Rent();
        try
        {
            var w = scratch.Writer;
            w.WriteStartObject();
            w.WriteString("type", ActivityTypes.Message);
            if (summary is not null) w.WriteString("summary", summary);
            w.WriteStartArray("attachments");
            w.WriteStartObject();
            w.WriteString("contentType", Attachment.AdaptiveCardContentType);
            w.WritePropertyName("content");
            cards.RenderTo(w, template, model);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.Flush();
            return Encoding.UTF8.GetString(scratch.Buffer.WrittenSpan);
        }
        finally { ScratchJson.Return(scratch); }
    }

    private static OutboxMessage New(DeliveryTarget target, string activityJson, string dedupeKey, DateTime now, string? correlationType, string? correlationId) => new()
    {
        DedupeKey = dedupeKey,
        ServiceUrl = target.ServiceUrl,
        TenantId = target.TenantId,
        ActivityJson = activityJson,
        CreatedAt = now,
        NextAttemptAt = now,
        CorrelationType = correlationType,
        CorrelationId = correlationId,
    };
}
