using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;
using OpsBot.Conversations;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Alerts;

public sealed record AlertInput(string? Account, string? Reference, string? Kind, string? Impact, int? Severity, string? Description);

public sealed record Actor(string Id, string Name, string? ConversationId = null, string? AadId = null);

/// <summary>A card the alert was shown on outside the outbox (the chat form the alert was raised from), kept current like the routed copies.</summary>
public sealed record AlertOrigin(DeliveryTarget.Conversation Target, string ActivityId, string UserId);

/// <summary>
/// Raises alerts, routes them and applies actions. Every copy of the card is a live card (<see cref="LiveKey"/>) rendered by
/// <see cref="AlertCardSource"/> when it is sent; a change marks them all with <see cref="LiveCards.RefreshLiveCard"/>.
/// </summary>
public sealed class AlertService(OpsBotDbContext db, IOptions<AlertOptions> options, IOptions<BotOptions> bot, CardTemplates cards, TimeProvider clock,
    OutboxDispatcher dispatcher, CustomerAccess customers)
{
    public const string Correlation = "alert";
    private readonly AlertOptions _options = options.Value;

    /// <summary>Field → message for every invalid field; empty when the input is valid.</summary>
    public static Dictionary<string, string> Validate(AlertInput input)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(input.Account)) errors["account"] = "Enter the customer account.";
        else if (input.Account.Trim().Length > 100) errors["account"] = "The account name is longer than 100 characters.";
        if (input.Reference is { Length: > 100 }) errors["reference"] = "The reference is longer than 100 characters.";
        if (string.IsNullOrWhiteSpace(input.Kind) || !AlertOptions.Kinds.Contains(input.Kind.Trim().ToLowerInvariant()))
            errors["kind"] = "Choose one of: " + string.Join(", ", AlertOptions.Kinds) + ".";
        if (string.IsNullOrWhiteSpace(input.Impact)) errors["impact"] = "Describe the impact on the customer.";
        else if (input.Impact.Length > 500) errors["impact"] = "The impact is longer than 500 characters.";
        if (!Severities.TryFromNumber(input.Severity, out _)) errors["severity"] = Severities.NumberRule;
        if (input.Description is { Length: > 4000 }) errors["description"] = "The description is longer than 4,000 characters.";
        foreach (var (field, text) in new[] { ("account", input.Account), ("reference", input.Reference), ("kind", input.Kind), ("impact", input.Impact), ("description", input.Description) })
            if (StoreLimits.HasNul(text)) errors[field] = StoreLimits.TextProblem("The " + field, text, null)!;
        return errors;
    }

    public string DefaultServiceUrl => _options.ServiceUrl ?? bot.Value.DefaultServiceUrl;

    /// <summary>Creates the alert, its timeline entry and one outbox row per routed conversation, in one unit of work.</summary>
    /// <remarks><paramref name="customer"/> is the resolved customer (<see cref="CustomerResolver"/>); null for an alert about no one customer.</remarks>
    public async Task<Alert> RaiseAsync(AlertInput input, Customer? customer, AlertSource source, Actor actor, string serviceUrl, string? tenantId,
        string? apiClient = null, string? idempotencyKey = null, string? requestHash = null, string? kpiName = null,
        AlertOrigin? origin = null, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var account = customer?.Name ?? input.Account!.Trim();
        var groupKey = ((customer?.Number ?? account) + "|" + (input.Reference ?? "").Trim()).ToLowerInvariant();
        var alert = new Alert
        {
            CustomerId = customer?.Id,
            Account = account,
            Segment = customer?.Segment.ToString(),
            Reference = string.IsNullOrWhiteSpace(input.Reference) ? null : input.Reference.Trim(),
            Kind = input.Kind!.Trim().ToLowerInvariant(),
            Impact = input.Impact!.Trim(),
            Severity = Severities.FromNumber(input.Severity!.Value),
            Description = input.Description?.Trim() ?? "",
            Source = source,
            RaisedById = actor.Id,
            RaisedByName = actor.Name,
            CreatedAt = now,
            Restricted = customer?.Restricted ?? false,
            GroupKey = groupKey,
            ServiceUrl = serviceUrl,
            TenantId = tenantId ?? _options.TenantId,
            ApiClient = apiClient,
            IdempotencyKey = idempotencyKey,
            RequestHash = requestHash,
            KpiName = kpiName,
        };
        if (!string.IsNullOrEmpty(alert.Reference))
        {
            var root = await db.Alerts.Where(a => a.GroupKey == groupKey && a.Status != AlertStatus.Resolved)
                .OrderBy(a => a.Id).Select(a => new { a.Id, a.ThreadAlertId }).FirstOrDefaultAsync(ct);
            alert.ThreadAlertId = root is null ? null : root.ThreadAlertId ?? root.Id;
        }
        alert.Timeline.Add(new AlertEvent
        {
            At = now, ActorId = actor.Id, ActorName = actor.Name, Action = "raised", ConversationId = actor.ConversationId,
            Text = $"Raised by {actor.Name} ({source.ToString().ToLowerInvariant()})" + (alert.ThreadAlertId is { } t ? $", related to alert #{t}" : ""),
        });
        db.Alerts.Add(alert);
        // Two saves (the alert's id is needed for its deliveries), one transaction.
        await db.InRetriedTransactionAsync(async () =>
        {
            await db.SaveChangesAsync(ct);
            await EnqueueDeliveriesAsync(alert, now, ct);
            if (origin is not null)
            {
                var copy = db.TrackLiveCard(origin.Target, origin.ActivityId, LiveKey(alert), now, origin.UserId);
                copy.CorrelationType = Correlation;
                copy.CorrelationId = alert.Id.ToString(CultureInfo.InvariantCulture);
            }
            await db.SaveChangesAsync(ct);
        }, ct);
        dispatcher.Wake();
        return alert;
    }

    public record Recipient(string Key, DeliveryTarget Target, string Label);

    /// <summary>Every conversation the alert goes to under the current rules (restricted accounts: allowed people and channels only).</summary>
    public async Task<List<Recipient>> RecipientsAsync(Alert alert, CancellationToken ct)
    {
        var routes = await db.AlertRoutes.AsNoTracking().Include(r => r.Channels).ToListAsync(ct);
        var matched = routes.Where(r => r.Matches(alert)).ToList();
        var customer = alert.CustomerId is { } customerId ? await db.Customers.AsNoTracking().Include(c => c.Members).FirstOrDefaultAsync(c => c.Id == customerId, ct) : null;
        var recipients = new Dictionary<string, Recipient>(StringComparer.Ordinal);
        foreach (var channel in matched.SelectMany(r => r.Channels))
        {
            if (customer is not null && !CustomerAccess.ChannelMaySee(customer, channel.ChannelId)) continue;
            var serviceUrl = channel.ServiceUrl ?? alert.ServiceUrl;
            var tenant = channel.TenantId ?? alert.TenantId ?? "";
            recipients.TryAdd("ch:" + channel.ChannelId, new Recipient("ch:" + channel.ChannelId,
                new DeliveryTarget.ChannelThread(serviceUrl, tenant, channel.ChannelId), "channel " + channel.ChannelId));
        }
        var people = matched.SelectMany(r => r.People).Select(p => (Id: p, Label: "person " + p)).ToList();
        if (alert.Severity.IsUrgent())
        {
            var directory = await db.Executives.AsNoTracking().Where(e => e.Active).OrderBy(e => e.Id).Select(e => new { e.UserId, e.DisplayName }).ToListAsync(ct);
            people.AddRange(directory.Select(e => (e.UserId, $"executive {e.DisplayName}")));
        }
        foreach (var (id, label) in people)
        {
            if (customer is not null && !CustomerAccess.CanSee(customer, Viewer.Person(id))) continue;
            recipients.TryAdd("p:" + id, new Recipient("p:" + id, new DeliveryTarget.Person(alert.ServiceUrl, alert.TenantId ?? "", id), label));
        }
        return recipients.Values.ToList();
    }

    /// <summary>The live card of the alert: one rendering for all copies, or per copy for a restricted alert.</summary>
    public static string LiveKey(Alert alert) =>
        $"{(alert.Restricted ? RestrictedAlertCardSource.LivePrefix : AlertCardSource.LivePrefix)}:{alert.Id.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Queues a live copy of the card for every routed conversation that does not have it yet; channel posts of a grouped
    /// alert go into the group's thread. The card itself is rendered when each copy is sent (with the delivery line as it is then).
    /// </summary>
    public async Task EnqueueDeliveriesAsync(Alert alert, DateTime now, CancellationToken ct)
    {
        var prefix = $"alert:{alert.Id}:";
        var existing = (await db.OutboxMessages.Where(m => m.CorrelationType == Correlation && m.CorrelationId == alert.Id.ToString(CultureInfo.InvariantCulture))
            .Select(m => m.DedupeKey).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var threads = new Dictionary<string, OutboxMessage>(StringComparer.Ordinal);
        if (alert.ThreadAlertId is { } rootId)
        {
            var root = rootId.ToString(CultureInfo.InvariantCulture);
            foreach (var m in await db.OutboxMessages.AsNoTracking()
                         .Where(m => m.CorrelationType == Correlation && m.CorrelationId == root && m.Kind == OutboxKind.CreateChannelThread
                                     && m.Status == OutboxStatus.Sent).ToListAsync(ct))
                threads[m.ChannelId!] = m;
        }
        var fallback = Outbox.Serialize(Activity.CreateMessage(Summary(alert)));
        var live = LiveKey(alert);
        foreach (var r in await RecipientsAsync(alert, ct))
        {
            var key = prefix + r.Key;
            if (existing.Contains(key)) continue;
            var target = r.Target;
            if (target is DeliveryTarget.ChannelThread channel && threads.TryGetValue(channel.ChannelId, out var thread))
                target = new DeliveryTarget.Conversation(thread.ServiceUrl, thread.TenantId, thread.ResultConversationId!);
            db.EnqueueSend(target, fallback, key, now, Correlation, alert.Id.ToString(CultureInfo.InvariantCulture), live);
        }
    }

    public enum ActionResult { Applied, NoChange, Stale, Invalid }

    /// <summary>
    /// Applies one card action. A click carrying an old <paramref name="version"/> changes nothing (stale card); a repeated
    /// acknowledgement or ownership is a no-op. Any change is recorded in the timeline and every posted card is updated in place.
    /// </summary>
    public async Task<(ActionResult Result, Alert? Alert, string Message)> ActAsync(long alertId, int? version, string action, Actor actor, string? text, CancellationToken ct)
    {
        var alert = await db.Alerts.Include(a => a.Plan).FirstOrDefaultAsync(a => a.Id == alertId, ct);
        if (alert is null || !await MayViewAsync(alert, new Viewer(actor.Id, actor.AadId, actor.Name), ct)) return (ActionResult.Invalid, null, NotFound(alertId));
        if (version is { } v && v != alert.Version)
            return (ActionResult.Stale, alert, "This card was out of date, so your click was not applied. Here is the current alert; try again if still needed.");
        if (alert.Status == AlertStatus.Resolved && action != "update")
            return (ActionResult.NoChange, alert, "This alert is already resolved.");
        var now = clock.GetUtcNow().UtcDateTime;
        string entry;
        switch (action)
        {
            case "ack":
                if (await db.AlertEvents.AnyAsync(e => e.AlertId == alert.Id && e.Action == "acknowledged" && e.ActorId == actor.Id, ct))
                    return (ActionResult.NoChange, alert, "You already acknowledged this alert.");
                if (alert.Status == AlertStatus.Open) alert.Status = AlertStatus.Acknowledged;
                alert.AcknowledgedAt ??= now;
                entry = $"Acknowledged by {actor.Name}";
                action = "acknowledged";
                break;
            case "own":
                if (alert.OwnerId == actor.Id) return (ActionResult.NoChange, alert, "You already own this alert.");
                alert.OwnerId = actor.Id;
                alert.OwnerName = actor.Name;
                if (alert.Status == AlertStatus.Open) alert.Status = AlertStatus.Acknowledged;
                alert.AcknowledgedAt ??= now;
                entry = $"{actor.Name} took ownership";
                action = "owned";
                break;
            case "update":
                if (string.IsNullOrWhiteSpace(text)) return (ActionResult.Invalid, alert, "Write the update first.");
                entry = $"{actor.Name}: {Trim(text, 500)}";
                action = "updated";
                break;
            case "resolve":
                var openSteps = alert.Plan.Count(s => s.DoneAt is null);
                if (openSteps > 0 && string.IsNullOrWhiteSpace(text))
                    return (ActionResult.Invalid, alert, $"The action plan has {openSteps} open step(s). Close them, or give a reason to resolve anyway.");
                alert.Status = AlertStatus.Resolved;
                alert.ResolvedAt = now;
                alert.Resolution = string.IsNullOrWhiteSpace(text) ? null : Trim(text, 1000);
                entry = $"Resolved by {actor.Name}" + (alert.Resolution is null ? "" : $": {alert.Resolution}");
                action = "resolved";
                break;
            default:
                return (ActionResult.Invalid, alert, $"Unknown action '{action}'.");
        }
        await RecordAsync(alert, actor, action, entry, now, ct);
        return (ActionResult.Applied, alert, entry);
    }

    /// <summary>
    /// Appends to the timeline and saves (version bump = concurrency check); every copy of the card, posted or not, shows the
    /// new state (marked in the same transaction), and conversations routed since the alert was raised get their copy.
    /// </summary>
    public async Task RecordAsync(Alert alert, Actor actor, string action, string text, DateTime now, CancellationToken ct)
    {
        db.AlertEvents.Add(new AlertEvent { AlertId = alert.Id, At = now, ActorId = actor.Id, ActorName = actor.Name, Action = action, Text = text, ConversationId = actor.ConversationId });
        if (db.Entry(alert).State == EntityState.Unchanged) db.Entry(alert).State = EntityState.Modified;
        await db.InRetriedTransactionAsync(async () =>
        {
            await EnqueueDeliveriesAsync(alert, now, ct);
            db.RefreshLiveCard(LiveKey(alert));
            await db.SaveChangesAsync(ct);
        }, ct);
        dispatcher.Wake();
    }

    /// <summary>The one answer for an alert that does not exist or is on a customer the viewer may not see.</summary>
    public static string NotFound(long alertId) => $"There is no alert #{alertId}.";

    /// <summary>An alert is visible to whoever may see its customer (<see cref="CustomerAccess"/>).</summary>
    public Task<bool> MayViewAsync(Alert alert, Viewer viewer, CancellationToken ct) => customers.MaySeeAsync(alert.CustomerId, viewer, ct);

    /// <summary><see cref="MayViewAsync(Alert, Viewer, CancellationToken)"/> outside a request (live card rendering).</summary>
    public static Task<bool> MayViewAsync(OpsBotDbContext db, Alert alert, Viewer viewer, CancellationToken ct) =>
        CustomerAccess.MaySeeAsync(db, alert.CustomerId, viewer, ct);

    private static string Summary(Alert alert) => $"Alert #{alert.Id} · Sev {alert.Severity.Number()} · {alert.Account}: {Trim(alert.Impact, 80)}";

    /// <summary>The message carrying the current card, as every copy shows it.</summary>
    public static async Task<Activity> CardActivityAsync(OpsBotDbContext db, CardTemplates cards, Alert alert, DateTime now, CancellationToken ct) => new()
    {
        Type = ActivityTypes.Message,
        Summary = Summary(alert),
        Attachments = [Attachment.AdaptiveCard(await CardAsync(db, cards, alert, null, now, ct))],
    };

    public Task<JsonObject> CardAsync(Alert alert, string? notice, CancellationToken ct) => CardAsync(db, cards, alert, notice, clock.GetUtcNow().UtcDateTime, ct);

    private static async Task<JsonObject> CardAsync(OpsBotDbContext db, CardTemplates cards, Alert alert, string? notice, DateTime now, CancellationToken ct)
    {
        var timeline = await db.AlertEvents.AsNoTracking().Where(e => e.AlertId == alert.Id).OrderByDescending(e => e.Id).Take(6).ToListAsync(ct);
        var deliveries = await AlertDeliveries.CountAsync(db, alert.Id, ct);
        var plan = await db.AlertPlanSteps.AsNoTracking().Where(s => s.AlertId == alert.Id).ToListAsync(ct);
        return cards.Render("alert", AlertCardModel.From(alert, timeline, plan, deliveries, notice, now));
    }

    internal static string Trim(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}

public sealed record AlertCardModel(
    string AlertId, int Version, string Title, string SeverityText, string SeverityColor, string Account, string Reference, string KindText,
    string Impact, string Description, bool HasDescription, string StatusText, string OwnerText, string RaisedText, string DeliveryText,
    string PlanText, IReadOnlyList<TimelineLine> Timeline, string Notice, bool HasNotice, bool IsOpen)
{
    public static AlertCardModel From(Alert a, IEnumerable<AlertEvent> timeline, IReadOnlyList<AlertPlanStep> plan,
        AlertDeliveries.Counts deliveries, string? notice, DateTime now)
    {
        var deliveryText = AlertDeliveries.Line(deliveries);
        var open = plan.Count(s => s.DoneAt is null);
        var overdue = plan.Count(s => s.DoneAt is null && s.DueAt < now);
        var planText = plan.Count == 0 ? "No action plan" : $"{plan.Count - open} of {plan.Count} steps done" + (overdue > 0 ? $" · {overdue} overdue" : "");
        return new AlertCardModel(
            a.Id.ToString(CultureInfo.InvariantCulture), a.Version,
            $"Alert #{a.Id}: {KindLabel(a.Kind)} at {a.Account}",
            $"Severity {a.Severity.Number()}", a.Severity.Color(),
            a.Account, a.Reference ?? "—", KindLabel(a.Kind), a.Impact, a.Description, a.Description.Length > 0,
            a.Status switch { AlertStatus.Open => "Open", AlertStatus.Acknowledged => "Acknowledged", _ => $"Resolved {a.ResolvedAt:yyyy-MM-dd HH:mm} UTC" },
            a.OwnerName ?? "Nobody yet",
            $"{a.RaisedByName} · {a.CreatedAt:yyyy-MM-dd HH:mm} UTC",
            deliveryText, planText,
            timeline.Select(e => new TimelineLine($"{e.At:MM-dd HH:mm}", e.Text)).ToList(),
            notice ?? "", !string.IsNullOrEmpty(notice), a.Status != AlertStatus.Resolved);
    }

    public static string KindLabel(string kind) => kind switch
    {
        "late-shipment" => "Late shipment",
        "order-error" => "Order error",
        "supply-shortage" => "Supply shortage",
        "line-down" => "Line down",
        _ => "Other interruption",
    };
}

public sealed record TimelineLine(string At, string Text);
