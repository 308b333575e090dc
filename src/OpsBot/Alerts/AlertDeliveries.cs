using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Alerts;

/// <summary>
/// How an alert's copies are doing, in the words shown to people (card delivery line, <c>alert status</c>, the API): a copy
/// counts as delivered once the connector accepted its POST, even while a later card update is queued.
/// </summary>
public static class AlertDeliveries
{
    public sealed record Counts(int Total, int Delivered, int PossiblyDuplicated, int Queued, int Throttled, int Failed, int PossiblySent);

    /// <summary>The routed copies of the alert (tracked copies posted outside the outbox are not deliveries).</summary>
    public static IQueryable<OutboxMessage> Copies(OpsBotDbContext db, long alertId)
    {
        var id = alertId.ToString(CultureInfo.InvariantCulture);
        return db.OutboxMessages.AsNoTracking()
            .Where(m => m.CorrelationType == AlertService.Correlation && m.CorrelationId == id && m.Kind != OutboxKind.Update);
    }

    public static async Task<Counts> CountAsync(OpsBotDbContext db, long alertId, CancellationToken ct)
    {
        var groups = await Copies(db, alertId)
            .GroupBy(m => new { m.Status, Posted = m.ResultActivityId != null, m.RepeatedAfterAmbiguousFailure, Throttled = m.Throttles > 0 })
            .Select(g => new { g.Key.Status, g.Key.Posted, g.Key.RepeatedAfterAmbiguousFailure, g.Key.Throttled, Count = g.Count() })
            .ToListAsync(ct);
        int total = 0, delivered = 0, duplicated = 0, queued = 0, throttled = 0, failed = 0, possiblySent = 0;
        foreach (var g in groups)
        {
            total += g.Count;
            if (g.Posted)
            {
                delivered += g.Count;
                if (g.RepeatedAfterAmbiguousFailure) duplicated += g.Count;
            }
            else if (g.Status is OutboxStatus.Queued or OutboxStatus.InFlight)
            {
                queued += g.Count;
                if (g.Throttled) throttled += g.Count;
            }
            else if (g.Status == OutboxStatus.Failed) failed += g.Count;
            else if (g.Status == OutboxStatus.PossiblySent) possiblySent += g.Count;
        }
        return new Counts(total, delivered, duplicated, queued, throttled, failed, possiblySent);
    }

    /// <summary>The card's delivery line, e.g. "Delivered to 40 of 60 (1 possibly duplicated) · 18 queued (5 throttled, retrying) · 2 failed".</summary>
    public static string Line(Counts c) => c.Total == 0
        ? "No routed conversations"
        : $"Delivered to {c.Delivered} of {c.Total}"
          + (c.PossiblyDuplicated > 0 ? $" ({c.PossiblyDuplicated} possibly duplicated)" : "")
          + (c.Queued > 0 ? $" · {c.Queued} queued" + (c.Throttled > 0 ? $" ({c.Throttled} throttled, retrying)" : "") : "")
          + (c.Failed > 0 ? $" · {c.Failed} failed" : "")
          + (c.PossiblySent > 0 ? $" · {c.PossiblySent} possibly sent, not retried" : "");

    /// <summary>Sent, Queued, Failed, PossiblySent or NotPosted: a posted copy whose card update is pending (or failed) is Sent.</summary>
    public static string State(OutboxMessage m) => m.ResultActivityId is not null ? "Sent" : m.Status switch
    {
        OutboxStatus.Queued or OutboxStatus.InFlight => "Queued",
        OutboxStatus.Superseded => "NotPosted",
        OutboxStatus.Sent => "Sent",
        _ => m.Status.ToString(),
    };

    /// <summary>One copy's state for people, e.g. "Sent 10:04:05 (possibly duplicated)", "Queued · throttled 3×, retrying", "Failed: 403 …".</summary>
    public static string Describe(OutboxMessage m)
    {
        if (m.ResultActivityId is not null)
            return $"Sent {m.SentAt:HH:mm:ss}" + (m.RepeatedAfterAmbiguousFailure ? " (possibly duplicated)" : "")
                   + (m.Status == OutboxStatus.Failed ? " · the latest card update failed: " + m.Error : "");
        return m.Status switch
        {
            OutboxStatus.Queued or OutboxStatus.InFlight when m.Throttles > 0 => $"Queued · throttled {m.Throttles}×, retrying",
            OutboxStatus.Queued or OutboxStatus.InFlight when m.Attempts > 0 => $"Queued · attempt {m.Attempts + 1}: {m.Error}",
            OutboxStatus.Queued or OutboxStatus.InFlight => "Queued",
            OutboxStatus.Failed => "Failed: " + (m.Error ?? "unknown reason"),
            OutboxStatus.PossiblySent => "Possibly sent, not retried: " + m.Error,
            OutboxStatus.Superseded => "Not posted: " + m.Error,
            _ => m.Status.ToString(),
        };
    }

    public static string Recipient(OutboxMessage m) => m.Kind switch
    {
        OutboxKind.CreatePersonal => "Person " + m.UserId,
        OutboxKind.CreateChannelThread => "Channel " + m.ChannelId,
        _ => "Conversation " + m.ConversationId,
    };
}

/// <summary>
/// Renders the alert card when the dispatcher sends a copy (live card <c>alert:&lt;id&gt;</c>): the current state and the
/// current delivery line. One rendering serves every copy: a restricted alert's copies are live cards of
/// <see cref="RestrictedAlertCardSource"/> instead, checked per copy.
/// </summary>
public sealed class AlertCardSource(CardTemplates cards, TimeProvider clock) : ILiveCardSource
{
    public const string LivePrefix = "alert";
    public string Prefix => LivePrefix;
    public bool SameForEveryCopy => true;

    public async Task<string?> RenderAsync(OpsBotDbContext db, LiveCardCopy copy, CancellationToken ct) =>
        await Load(db, copy, ct) is { } alert ? Outbox.Serialize(await AlertService.CardActivityAsync(db, cards, alert, clock.GetUtcNow().UtcDateTime, ct)) : null;

    internal static Task<Alert?> Load(OpsBotDbContext db, LiveCardCopy copy, CancellationToken ct) =>
        long.TryParse(copy.Id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
            ? db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct)
            : Task.FromResult<Alert?>(null);
}

/// <summary>
/// The card of a restricted alert, per copy (live card <c>alert-restricted:&lt;id&gt;</c>): a copy whose person or channel is no
/// longer allowed on the account shows only that the alert is restricted.
/// </summary>
public sealed class RestrictedAlertCardSource(CardTemplates cards, TimeProvider clock) : ILiveCardSource
{
    public const string LivePrefix = "alert-restricted";
    public string Prefix => LivePrefix;

    public async Task<string?> RenderAsync(OpsBotDbContext db, LiveCardCopy copy, CancellationToken ct)
    {
        if (await AlertCardSource.Load(db, copy, ct) is not { } alert) return null;
        if (!await AllowedAsync(db, alert, copy, ct))
            return Outbox.Serialize(Activity.CreateMessage("This alert is no longer available."));
        return Outbox.Serialize(await AlertService.CardActivityAsync(db, cards, alert, clock.GetUtcNow().UtcDateTime, ct));
    }

    private async Task<bool> AllowedAsync(OpsBotDbContext db, Alert alert, LiveCardCopy copy, CancellationToken ct)
    {
        if (copy.UserId is { Length: > 0 } user) return await AlertService.MayViewAsync(db, alert, Viewer.Person(user), ct);
        var channel = copy.ChannelId;
        if (channel is null && copy.ConversationId is { } conversation && conversation.IndexOf(";messageid=", StringComparison.Ordinal) is var i and > 0)
            channel = conversation[..i];
        if (channel is null) return false;
        var customer = alert.CustomerId is { } id ? await db.Customers.AsNoTracking().Include(c => c.Members).FirstOrDefaultAsync(c => c.Id == id, ct) : null;
        return customer is null || CustomerAccess.ChannelMaySee(customer, channel);
    }
}
