using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework.Schema;
using OpsBot.Conversations;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Messaging;
using OpsBot.People;

namespace OpsBot.Alerts;

/// <summary>Chat commands and card verbs of the Alerts feature.</summary>
public sealed class AlertHandlers(AlertService alerts, OpsBotDbContext db, AdminCheck admins, TimeProvider clock, CustomerResolver resolver, CustomerAccess customers)
{
    public Task FormAsync(BotTurn turn, string args, CancellationToken ct) =>
        turn.SendCardAsync("alert-form", FormModel.Empty(args.Trim()), "Raise an alert", ct);

    public async Task<InvokeResponse> CreateAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var input = new AlertInput(Str(data, "account"), Str(data, "reference"), Str(data, "kind"), Str(data, "impact"),
            int.TryParse(Str(data, "severity"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var sev) ? sev : null, Str(data, "description"));
        var errors = AlertService.Validate(input);
        var resolved = errors.ContainsKey("account") ? CustomerResolution.None : await resolver.ResolveAsync(input.Account, Viewer.Of(turn), ct);
        if (!errors.ContainsKey("account") && resolved.Customer is null)
            errors["account"] = CustomerResolver.NotFoundText(input.Account!.Trim(), resolved.Suggestions) + " "
                + await admins.FixHintAsync("add customers", turn.UserId, turn.UserAadObjectId, ct);
        if (errors.Count > 0) return turn.CardResponse("alert-form", FormModel.From(input, Str(data, "formId") ?? Guid.NewGuid().ToString("n"), errors));

        var formId = Str(data, "formId");
        if (formId is { Length: > 100 })
            return AdaptiveCardInvoke.Error(400, "BadRequest", "This form's id is not valid (at most 100 characters). Type 'alert' for a new form.");
        var client = "chat:" + turn.UserId;
        if (formId is not null && await db.Alerts.FirstOrDefaultAsync(a => a.ApiClient == client && a.IdempotencyKey == formId, ct) is { } already)
            return AdaptiveCardInvoke.Card(await alerts.CardAsync(already, "This alert was already raised from this form.", ct));

        // The form message itself now shows the alert: tracked with the alert, so later actions update it in place too.
        var origin = turn.Activity.ReplyToId is { } cardId
            ? new AlertOrigin(new DeliveryTarget.Conversation(turn.Activity.ServiceUrl ?? alerts.DefaultServiceUrl, turn.TenantId, turn.ConversationId), cardId, turn.UserId)
            : null;
        Alert alert;
        try
        {
            alert = await alerts.RaiseAsync(input, resolved.Customer, AlertSource.Chat, Actor(turn), turn.Activity.ServiceUrl ?? alerts.DefaultServiceUrl, turn.TenantId,
                client, formId, origin: origin, ct: ct);
        }
        catch (DbUpdateException ex) when (formId is not null && StoreErrors.IsUniqueViolation(ex))
        {
            // The same form submitted twice at once: the other submit raised it.
            db.ChangeTracker.Clear();
            var raised = await db.Alerts.AsNoTracking().FirstAsync(a => a.ApiClient == client && a.IdempotencyKey == formId, ct);
            return AdaptiveCardInvoke.Card(await alerts.CardAsync(raised, "This alert was already raised from this form.", ct));
        }
        var unrouted = (await AlertDeliveries.CountAsync(db, alert.Id, ct)).Total == 0
            ? "No alert route matches this alert, so it reached no one. " + await admins.FixHintAsync("route alerts", turn.UserId, turn.UserAadObjectId, ct)
            : null;
        if (unrouted is not null) await admins.OfferSetupAsync(turn, "Alert #" + alert.Id + " reached no one: no alert route matches it.", ct);
        return AdaptiveCardInvoke.Card(await alerts.CardAsync(alert, unrouted, ct));
    }

    public Task<InvokeResponse> AckAsync(BotTurn turn, JsonObject data, CancellationToken ct) => ActAsync(turn, data, "ack", null, ct);
    public Task<InvokeResponse> OwnAsync(BotTurn turn, JsonObject data, CancellationToken ct) => ActAsync(turn, data, "own", null, ct);
    public Task<InvokeResponse> UpdateAsync(BotTurn turn, JsonObject data, CancellationToken ct) => ActAsync(turn, data, "update", Str(data, "updateText"), ct);
    public Task<InvokeResponse> ResolveAsync(BotTurn turn, JsonObject data, CancellationToken ct) => ActAsync(turn, data, "resolve", Str(data, "resolution"), ct);

    private async Task<InvokeResponse> ActAsync(BotTurn turn, JsonObject data, string action, string? text, CancellationToken ct)
    {
        if (Long(data, "alertId") is not { } id) return AdaptiveCardInvoke.Error(400, "BadRequest", "The card does not say which alert it is.");
        try
        {
            var (result, alert, message) = await alerts.ActAsync(id, (int?)Long(data, "version"), action, Actor(turn), text, ct);
            return result switch
            {
                AlertService.ActionResult.Applied => AdaptiveCardInvoke.Card(await alerts.CardAsync(alert!, null, ct)),
                _ when alert is null => AdaptiveCardInvoke.Error(404, "NotFound", message),
                _ => AdaptiveCardInvoke.Card(await alerts.CardAsync(alert, message, ct)),
            };
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            var current = await db.Alerts.AsNoTracking().FirstAsync(a => a.Id == id, ct);
            return AdaptiveCardInvoke.Card(await alerts.CardAsync(current, "Someone changed this alert at the same moment, so your click was not applied. Here is the current alert.", ct));
        }
    }

    public async Task StatusAsync(BotTurn turn, string args, CancellationToken ct)
    {
        if (!long.TryParse(args.Trim().TrimStart('#'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
        {
            await turn.SendTextAsync("Usage: alert status <alert id>, e.g. alert status 42", ct);
            return;
        }
        var alert = await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
        if (alert is null || !await alerts.MayViewAsync(alert, Viewer.Of(turn), ct))
        {
            await turn.SendTextAsync($"I can't find alert #{id}.", ct);
            return;
        }
        var model = await DeliveryStatusModelAsync(alert, ct);
        await turn.SendCardAsync("alert-list", model, $"Delivery status of alert #{id}", ct);
    }

    public async Task<AlertListModel> DeliveryStatusModelAsync(Alert alert, CancellationToken ct)
    {
        var rows = await AlertDeliveries.Copies(db, alert.Id).OrderBy(m => m.Id).ToListAsync(ct);
        var acks = await db.AlertEvents.AsNoTracking().Where(e => e.AlertId == alert.Id && (e.Action == "acknowledged" || e.Action == "owned"))
            .ToListAsync(ct);
        var lines = rows.Select(m =>
        {
            var where = AlertDeliveries.Recipient(m);
            var state = AlertDeliveries.Describe(m);
            var conv = m.ResultConversationId;
            var acked = acks.Where(e => e.ConversationId is not null && conv is not null && (e.ConversationId == conv || conv.StartsWith(e.ConversationId + ";", StringComparison.Ordinal))
                                        || (m.Kind == OutboxKind.CreatePersonal && e.ActorId == m.UserId)).Select(e => e.ActorName).Distinct().ToList();
            if (acked.Count > 0) state += " · acknowledged by " + string.Join(", ", acked);
            return new AlertListLine(where, state);
        }).ToList();
        var counts = await AlertDeliveries.CountAsync(db, alert.Id, ct);
        return new AlertListModel($"Delivery status · Alert #{alert.Id}",
            $"{AlertDeliveries.Line(counts)} · {alert.Account} · {alert.Status} · as of {clock.GetUtcNow():HH:mm:ss} UTC",
            [new AlertListGroup("Recipients", lines.Count == 0 ? [new AlertListLine("—", "No routed conversations")] : lines)]);
    }

    public async Task OverviewAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var open = new List<Alert>();
        foreach (var a in await db.Alerts.AsNoTracking().Where(a => a.Status != AlertStatus.Resolved).ToListAsync(ct))
            if (await alerts.MayViewAsync(a, Viewer.Of(turn), ct)) open.Add(a);
        await turn.SendCardAsync("alert-list", OverviewModel(open, "Open alerts", clock.GetUtcNow().UtcDateTime), "Open alerts", ct);
    }

    public static AlertListModel OverviewModel(IReadOnlyList<Alert> open, string title, DateTime now) => new(
        title,
        open.Count == 0 ? $"No open alerts · {now:yyyy-MM-dd HH:mm} UTC" : $"{open.Count} open alert(s) on {open.Select(a => a.Account).Distinct(StringComparer.OrdinalIgnoreCase).Count()} account(s) · {now:yyyy-MM-dd HH:mm} UTC",
        open.GroupBy(a => a.Account, StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Min(a => a.Severity)).ThenBy(g => g.Key, StringComparer.OrdinalIgnoreCase)
            .Select(g => new AlertListGroup(g.Key, g.OrderBy(a => a.Severity).ThenBy(a => a.Id)
                .Select(a => new AlertListLine($"#{a.Id} · Sev {a.Severity.Number()}", $"{AlertCardModel.KindLabel(a.Kind)}: {AlertService.Trim(a.Impact, 120)} ({(a.OwnerName is null ? "no owner" : "owner " + a.OwnerName)})")).ToList()))
            .ToList());

    public async Task PlanAsync(BotTurn turn, string args, CancellationToken ct)
    {
        if (!long.TryParse(args.Trim().TrimStart('#'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
            || await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct) is not { } alert || !await alerts.MayViewAsync(alert, Viewer.Of(turn), ct))
        {
            await turn.SendTextAsync("Usage: alert plan <alert id> — and the alert must exist and be visible to you.", ct);
            return;
        }
        await turn.SendCardAsync("alert-plan", await PlanModelAsync(alert, turn.UserId, null, ct), $"Action plan of alert #{id}", ct);
    }

    public async Task<InvokeResponse> AddStepAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        if (Long(data, "alertId") is not { } id || await db.Alerts.FirstOrDefaultAsync(a => a.Id == id, ct) is not { } alert || !await alerts.MayViewAsync(alert, Viewer.Of(turn), ct))
            return AdaptiveCardInvoke.Error(404, "NotFound", "That alert does not exist or is not visible to you.");
        var title = Str(data, "stepTitle")?.Trim();
        var owner = Str(data, "stepOwner")?.Trim();
        if (string.IsNullOrEmpty(title) || string.IsNullOrEmpty(owner)
            || !DateOnly.TryParseExact(Str(data, "stepDue"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var due))
            return turn.CardResponse("alert-plan", await PlanModelAsync(alert, turn.UserId, "Give the step, its owner and a due date (yyyy-MM-dd).", ct));
        if (alert.Status == AlertStatus.Resolved)
            return turn.CardResponse("alert-plan", await PlanModelAsync(alert, turn.UserId, "The alert is resolved; its plan is closed.", ct));
        var now = clock.GetUtcNow().UtcDateTime;
        var ownerName = owner == turn.UserId ? turn.UserName : owner;
        db.AlertPlanSteps.Add(new AlertPlanStep { AlertId = id, Title = AlertService.Trim(title, 500), OwnerId = owner, OwnerName = ownerName, DueAt = due.ToDateTime(new TimeOnly(17, 0), DateTimeKind.Utc) });
        await alerts.RecordAsync(alert, Actor(turn), "plan", $"{turn.UserName} added step \"{AlertService.Trim(title, 80)}\" for {ownerName}, due {due:yyyy-MM-dd}", now, ct);
        return turn.CardResponse("alert-plan", await PlanModelAsync(alert, turn.UserId, null, ct));
    }

    public async Task<InvokeResponse> StepDoneAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        if (Long(data, "alertId") is not { } id || Long(data, "stepId") is not { } stepId
            || await db.Alerts.FirstOrDefaultAsync(a => a.Id == id, ct) is not { } alert || !await alerts.MayViewAsync(alert, Viewer.Of(turn), ct))
            return AdaptiveCardInvoke.Error(404, "NotFound", "That step does not exist or is not visible to you.");
        var step = await db.AlertPlanSteps.FirstOrDefaultAsync(s => s.Id == stepId && s.AlertId == id, ct);
        if (step is null) return AdaptiveCardInvoke.Error(404, "NotFound", "That step does not exist.");
        if (step.DoneAt is null)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            step.DoneAt = now;
            step.DoneBy = turn.UserName;
            await alerts.RecordAsync(alert, Actor(turn), "plan", $"{turn.UserName} closed step \"{AlertService.Trim(step.Title, 80)}\"", now, ct);
        }
        return turn.CardResponse("alert-plan", await PlanModelAsync(alert, turn.UserId, null, ct));
    }

    private async Task<PlanModel> PlanModelAsync(Alert alert, string userId, string? notice, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var steps = await db.AlertPlanSteps.AsNoTracking().Where(s => s.AlertId == alert.Id).OrderBy(s => s.DueAt).ThenBy(s => s.Id).ToListAsync(ct);
        var open = steps.Count(s => s.DoneAt is null);
        var id = alert.Id.ToString(CultureInfo.InvariantCulture);
        return new PlanModel($"Action plan · Alert #{alert.Id} ({alert.Account})", notice ?? "", notice is not null,
            steps.Count == 0 ? "No steps yet." : $"{steps.Count - open} of {steps.Count} steps done" + (steps.Any(s => s.DoneAt is null && s.DueAt < now) ? " · overdue steps" : ""),
            id, userId,
            steps.Select(s => new PlanStepLine(id, s.Id.ToString(CultureInfo.InvariantCulture), s.Title,
                s.DoneAt is { } done ? $"{s.OwnerName} · done {done:yyyy-MM-dd HH:mm} by {s.DoneBy}" : $"{s.OwnerName} · due {s.DueAt:yyyy-MM-dd}" + (s.DueAt < now ? " · overdue" : ""),
                s.DoneAt is null)).ToList());
    }

    public async Task RouteAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var verb = words.FirstOrDefault()?.ToLowerInvariant() ?? "list";
        if (verb == "list")
        {
            // A route for a customer the reader may not see is not there for them (its channels and people would tell who follows it).
            var hidden = await customers.HiddenFromAsync(Viewer.Of(turn), ct);
            var routes = (await db.AlertRoutes.AsNoTracking().Include(r => r.Channels).OrderBy(r => r.Id).ToListAsync(ct))
                .Where(r => r.CustomerId is not { } c || !hidden.Contains(c)).ToList();
            var routeCustomerIds = routes.Where(r => r.CustomerId is not null).Select(r => r.CustomerId!.Value).Distinct().ToList();
            var names = await db.Customers.AsNoTracking().Where(c => routeCustomerIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
            await turn.SendCardAsync("alert-list", new AlertListModel("Alert routes", $"{routes.Count} rule(s). Admins: alert route add|remove.",
                routes.Select(r => new AlertListGroup($"#{r.Id} {r.Name}", [
                    new AlertListLine("Matches", $"account {(r.CustomerId is { } c ? names.GetValueOrDefault(c, "?") : "any")} · segment {r.Segment ?? "any"} · kind {r.Kind ?? "any"} · severity 1–{r.MaxSeverity.Number()}"),
                    new AlertListLine("Channels", r.Channels.Count == 0 ? "—" : string.Join(", ", r.Channels.Select(c => c.ChannelId))),
                    new AlertListLine("People", r.People.Count == 0 ? "—" : string.Join(", ", r.People)),
                ])).ToList()), "Alert routes", ct);
            return;
        }
        if (!await admins.IsAdminAsync(turn.UserId, turn.UserAadObjectId, ct))
        {
            await turn.SendTextAsync(await admins.OnlyAdminsAsync("change alert routes", ct), ct);
            return;
        }
        if (verb == "remove" && words.Length == 2 && long.TryParse(words[1].TrimStart('#'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var rid))
        {
            var removed = await db.AlertRoutes.Where(r => r.Id == rid).ExecuteDeleteAsync(ct);
            await turn.SendTextAsync(removed == 0 ? $"There is no route #{rid}." : $"Route #{rid} removed.", ct);
            return;
        }
        if (verb == "add" && words.Length >= 2)
        {
            var route = new AlertRoute { Name = words[1] };
            string? account = null;
            foreach (var w in words.Skip(2))
            {
                var eq = w.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) continue;
                var (key, value) = (w[..eq].ToLowerInvariant(), w[(eq + 1)..]);
                switch (key)
                {
                    case "account": account = value.Replace('_', ' '); break;
                    case "segment": route.Segment = value.Replace('_', ' '); break;
                    case "kind": route.Kind = value.ToLowerInvariant(); break;
                    case "maxseverity" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && Severities.TryFromNumber(s, out var max): route.MaxSeverity = max; break;
                    case "channel":
                        var slash = value.IndexOf('/', StringComparison.Ordinal);
                        route.Channels.Add(slash > 0 ? new AlertRouteChannel { TeamId = value[..slash], ChannelId = value[(slash + 1)..] } : new AlertRouteChannel { ChannelId = value });
                        break;
                    case "person": route.People.Add(value); break;
                }
            }
            var tooLarge = StoreLimits.TextProblem("The name", route.Name, 100) ?? StoreLimits.TextProblem("account", account, 200)
                ?? StoreLimits.TextProblem("segment", route.Segment, 100)
                ?? route.Channels.Select(c => StoreLimits.TextProblem("The channel id", c.ChannelId, 256) ?? StoreLimits.TextProblem("The team id", c.TeamId, 256)).FirstOrDefault(p => p is not null)
                ?? route.People.Select(p => StoreLimits.TextProblem("The person id", p, 256)).FirstOrDefault(p => p is not null);
            if (tooLarge is not null)
            {
                await turn.SendTextAsync(tooLarge + " Nothing was added.", ct);
                return;
            }
            if (account is not null)
            {
                var resolved = await resolver.ResolveAsync(account, Viewer.Of(turn), ct);
                if (resolved.Customer is null)
                {
                    await turn.SendTextAsync(CustomerResolver.NotFoundText(account, resolved.Suggestions) + " Nothing was added.", ct);
                    return;
                }
                route.CustomerId = resolved.Customer.Id;
            }
            if (route.Kind is not null && !AlertOptions.Kinds.Contains(route.Kind))
            {
                await turn.SendTextAsync("kind must be one of: " + string.Join(", ", AlertOptions.Kinds), ct);
                return;
            }
            if (await db.AlertRoutes.AnyAsync(r => r.Name == route.Name, ct))
            {
                await turn.SendTextAsync($"A route named {route.Name} already exists; remove it first.", ct);
                return;
            }
            db.AlertRoutes.Add(route);
            await db.SaveChangesAsync(ct);
            await turn.SendTextAsync($"Route #{route.Id} {route.Name} added: {route.Channels.Count} channel(s), {route.People.Count} person(s).", ct);
            return;
        }
        await turn.SendTextAsync("Usage: alert route list | alert route add <name> [account=X] [segment=Y] [kind=K] [maxseverity=N] [channel=teamId/channelId] [person=29:…] | alert route remove <id>", ct);
    }

    private static Actor Actor(BotTurn turn) => new(turn.UserId, turn.UserName, turn.ConversationId, turn.UserAadObjectId);

    internal static string? Str(JsonObject data, string key) => data[key] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => string.IsNullOrWhiteSpace(s) ? null : s,
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    private static long? Long(JsonObject data, string key) =>
        long.TryParse(Str(data, key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}

public sealed record AlertListModel(string Title, string Subtitle, IReadOnlyList<AlertListGroup> Groups);
public sealed record AlertListGroup(string Heading, IReadOnlyList<AlertListLine> Lines);
public sealed record AlertListLine(string Label, string Value);
public sealed record PlanModel(string Title, string Notice, bool HasNotice, string Summary, string AlertId, string DefaultOwner, IReadOnlyList<PlanStepLine> Steps);
public sealed record PlanStepLine(string AlertId, string StepId, string Text, string Detail, bool IsOpen);

public sealed record FormModel(
    string Notice, bool HasNotice, string FormId, string Account, string Reference, string Kind, string Impact, string Severity, string Description,
    string AccountError, bool HasAccountError, string ReferenceError, bool HasReferenceError, string KindError, bool HasKindError,
    string ImpactError, bool HasImpactError, string SeverityError, bool HasSeverityError, string DescriptionError, bool HasDescriptionError)
{
    public static FormModel Empty(string account) => From(new AlertInput(account, "", "", "", null, ""), Guid.NewGuid().ToString("n"), new Dictionary<string, string>());

    public static FormModel From(AlertInput input, string formId, IReadOnlyDictionary<string, string> errors)
    {
        string E(string f) => errors.GetValueOrDefault(f) ?? "";
        return new FormModel(errors.Count > 0 ? "Please fix the highlighted fields." : "", errors.Count > 0, formId,
            input.Account ?? "", input.Reference ?? "", input.Kind ?? "", input.Impact ?? "", input.Severity?.ToString(CultureInfo.InvariantCulture) ?? "", input.Description ?? "",
            E("account"), errors.ContainsKey("account"), E("reference"), errors.ContainsKey("reference"), E("kind"), errors.ContainsKey("kind"),
            E("impact"), errors.ContainsKey("impact"), E("severity"), errors.ContainsKey("severity"), E("description"), errors.ContainsKey("description"));
    }
}
