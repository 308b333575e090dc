using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework.Schema;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.People;
using OpsBot.Messaging;

namespace OpsBot.Escalations;

/// <summary>Who is asking, and where to reach them.</summary>
public sealed record Requester(string UserId, string? AadObjectId, string Name, string ServiceUrl, string TenantId);

public sealed record CreateResult(Escalation Escalation, bool Created, string? AssigneeName = null);

public sealed record ActionResult(Escalation? Escalation, EscalationViewer Viewer, JsonObject? Card, string? Error);

/// <summary>Creates escalations and applies executive/rep actions: authorise, write with the version check, enqueue the fan-out.</summary>
public sealed partial class EscalationService(
    OpsBotDbContext db, EscalationAssigner assigner, ExecutiveDirectory directory, BusinessCalendar calendar, EscalationCards cards,
    TimeProvider time, IOptions<EscalationOptions> options, IOptions<PeopleOptions> people, CustomerAccess customers, ILogger<EscalationService> log)
{
    public const string CorrelationType = "escalation";
    public const string NoteCorrelationType = "escalation-note";
    private EscalationOptions O => options.Value;
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <remarks><paramref name="customer"/> is the customer the form names, resolved for the rep (<see cref="CustomerResolver"/>), with its members.</remarks>
    public async Task<CreateResult> CreateAsync(EscalationForm form, Customer customer, string idempotencyKey, Requester rep, string? repConversationId, string? repCardActivityId,
        bool sendRepCopy, CancellationToken ct)
    {
        if (await db.Escalations.AsNoTracking().FirstOrDefaultAsync(c => c.IdempotencyKey == idempotencyKey, ct) is { } existing)
            return new CreateResult(existing, false);

        var now = Now;
        var assignment = await assigner.AssignAsync(customer, form.Executive, now, null, ct);
        var escalation = new Escalation
        {
            IdempotencyKey = idempotencyKey,
            CustomerId = customer.Id,
            Account = customer.Name,
            Contact = form.Contact.Trim(),
            Summary = form.Summary.Trim(),
            Impact = form.Impact.Trim(),
            DesiredOutcome = form.DesiredOutcome.Trim(),
            Severity = form.ParsedSeverity,
            OrderRef = Clip(form.OrderRef, 100),
            OpportunityRef = Clip(form.OpportunityRef, 100),
            AlertId = Clip(form.AlertId, 100),
            Origin = form.Origin,
            SourceMessageLink = Clip(form.SourceLink, 1000),
            SourceMessageAuthor = Clip(form.SourceAuthor, 200),
            RepUserId = rep.UserId,
            RepAadObjectId = rep.AadObjectId,
            RepName = rep.Name,
            ServiceUrl = rep.ServiceUrl,
            TenantId = rep.TenantId,
            RepConversationId = repConversationId,
            RepCardActivityId = repCardActivityId,
            AssigneeId = assignment.Executive?.Id,
            AssignmentReason = assignment.Reason,
            Status = assignment.Executive is null ? EscalationStatus.Unassigned : EscalationStatus.Assigned,
            CreatedAt = now,
            AssignedAt = now,
            AcknowledgeDueAt = calendar.AddBusinessHours(now, O.Sla.AcknowledgeBusinessHours),
            ContactDueAt = calendar.AddBusinessDays(now, O.Sla.FirstContactBusinessDays),
            ResolveDueAt = calendar.AddBusinessDays(now, O.Sla.ResolveBusinessDays),
            LastAction = $"Escalated by {rep.Name}",
            LastActionAt = now,
        };
        try
        {
            await db.InRetriedTransactionAsync(async () =>
            {
                db.Escalations.Add(escalation);
                await db.SaveChangesAsync(ct);
                AddEvent(escalation, rep, EscalationEventKind.Created, $"escalated ({Describe(escalation.Origin)})");
                AddEvent(escalation, rep, EscalationEventKind.Assigned, assignment.Executive is null
                    ? $"could not be assigned: {assignment.Reason}" : $"→ assigned to {assignment.Executive.DisplayName}: {assignment.Reason}");
                ScheduleTimers(escalation);
                await db.SaveChangesAsync(ct);

                if (assignment.Executive is { } exec)
                    await SendCardAsync(escalation, exec.UserId, $"esc:{escalation.Id}:exec:{exec.Id}:{escalation.Version}", ct);
                else if (!string.IsNullOrEmpty(O.ChannelId))
                    await PostToChannelAsync(escalation, $"esc:{escalation.Id}:unassigned", ct);
                if (sendRepCopy) await SendCardAsync(escalation, escalation.RepUserId, $"esc:{escalation.Id}:rep", ct);
                // The rep's form card was replaced by the escalation card (the invoke answer): kept current from now on.
                if (escalation.RepConversationId is not null && escalation.RepCardActivityId is not null)
                    db.TrackLiveCard(new DeliveryTarget.Conversation(escalation.ServiceUrl, escalation.TenantId, escalation.RepConversationId),
                        escalation.RepCardActivityId, LiveKey(escalation), now, escalation.RepUserId);
                await db.SaveChangesAsync(ct);
            }, ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            // A concurrent duplicate of the same request won the unique idempotency key: answer with its escalation.
            var winner = await db.Escalations.AsNoTracking().FirstOrDefaultAsync(c => c.IdempotencyKey == idempotencyKey, ct);
            if (winner is null) throw;
            return new CreateResult(winner, false);
        }
        LogCreated(escalation.Id, escalation.AssigneeId, escalation.AssignmentReason);
        return new CreateResult(escalation, true, assignment.Executive?.DisplayName);
    }

    /// <summary>What the person may do; nothing at all (as if it did not exist) when the complaint's customer is hidden from them.</summary>
    public async Task<EscalationViewer> ViewerAsync(Escalation c, string userId, string? aadObjectId, string name, CancellationToken ct) =>
        await customers.MaySeeAsync(c.CustomerId, new Viewer(userId, aadObjectId, name), ct)
            ? ViewerOf(c, await cards.ExecutivesAsync(ct), people.Value, userId, aadObjectId, name)
            : EscalationViewer.Nobody;

    /// <summary>The one answer for a complaint that does not exist or that the person may not see.</summary>
    public static string NotFound(long id) => $"ESC-{id} does not exist (any more).";

    public static EscalationViewer ViewerOf(Escalation c, IReadOnlyList<Executive> execs, PeopleOptions people, string userId, string? aadObjectId, string name)
    {
        var assignee = execs.FirstOrDefault(e => e.Id == c.AssigneeId);
        var backup = execs.FirstOrDefault(e => e.Id == c.BackupExecutiveId);
        var previous = execs.FirstOrDefault(e => e.Id == c.PreviousAssigneeId);
        return new EscalationViewer(userId, aadObjectId, name,
            assignee?.Is(userId, aadObjectId) == true,
            assignee?.IsDelegate(userId, aadObjectId) == true,
            backup is not null && (backup.Is(userId, aadObjectId) || backup.IsDelegate(userId, aadObjectId)),
            new PersonRef(c.RepUserId, c.RepAadObjectId).Matches(userId, aadObjectId),
            people.IsLeadership(userId, aadObjectId),
            previous is not null && (previous.Is(userId, aadObjectId) || previous.IsDelegate(userId, aadObjectId)));
    }

    /// <summary>A card action. Stale versions and lost races change nothing and answer with the current card and a note.</summary>
    public async Task<ActionResult> ActAsync(string verb, JsonObject data, Requester actor, CancellationToken ct)
    {
        if (!long.TryParse(IdOf(data), NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
            return new ActionResult(null, EscalationViewer.Nobody, null, "The card does not name a complaint.");
        // One pooled connection for the whole action instead of one per query (each hand-back resets the session on the server);
        // it goes back to the pool with the DbContext at the end of the request.
        await db.Database.OpenConnectionAsync(ct);
        var c = await ById.For(db)(db, id);
        if (c is null) return new ActionResult(null, EscalationViewer.Nobody, null, NotFound(id));
        var viewer = await ViewerAsync(c, actor.UserId, actor.AadObjectId, actor.Name, ct);
        if (!viewer.CanSee) return new ActionResult(null, EscalationViewer.Nobody, null, NotFound(id));

        if (verb == "escalation.view" || Str(data, "trigger") == "automatic")
            return new ActionResult(c, viewer, await cards.RenderAsync(c, viewer, null, ct), null);

        if (!int.TryParse(Str(data, "version"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var version) || version != c.Version)
            return await CurrentAsync(c, viewer, $"This card was out of date, so nothing was changed. Latest: {c.LastAction} ({calendar.Format(c.LastActionAt)}).", ct);
        if (!c.IsOpen)
            return await CurrentAsync(c, viewer, "This complaint is already resolved; nothing was changed.", ct);

        var now = Now;
        var problem = verb switch
        {
            "escalation.ack" or "escalation.contact" or "escalation.resolve" or "escalation.reassign" or "escalation.ask" when !viewer.CanAct =>
                "Only the assigned executive or their delegates can do that.",
            "escalation.info" when !viewer.IsRep => "Only the rep who escalated the complaint can add information.",
            "escalation.ack" when c.Status != EscalationStatus.Assigned => "Already acknowledged.",
            "escalation.contact" when Str(data, "contactNote").Length == 0 => "Write a short note about the contact.",
            "escalation.contact" when Str(data, "contactChannel") is not ("call" or "visit" or "email") => "Choose call, visit or email.",
            "escalation.resolve" when Str(data, "resolution").Length == 0 => "Describe the resolution.",
            "escalation.resolve" when Str(data, "satisfied") is not ("yes" or "no") => "Say whether the customer is satisfied.",
            "escalation.reassign" when Str(data, "reassignTo").Length == 0 => "Choose the executive to reassign to.",
            "escalation.reassign" when Str(data, "reassignReason").Length == 0 => "Give a reason for the reassignment.",
            "escalation.ask" when Str(data, "question").Length == 0 => "Write the question for the rep.",
            "escalation.info" when Str(data, "information").Length == 0 => "Write the information to add.",
            _ => null,
        };
        if (problem is not null) return await CurrentAsync(c, viewer, problem, ct);

        Executive? newAssignee = null;
        if (verb == "escalation.reassign")
        {
            newAssignee = await directory.FindAsync(Str(data, "reassignTo"), ct);
            if (newAssignee is null || !newAssignee.Active || !EscalationAssigner.MaySee(await EscalationAssigner.CustomerOfAsync(db, c, ct), newAssignee))
                return await CurrentAsync(c, viewer, $"'{Str(data, "reassignTo")}' is not an executive who can take this customer.", ct);
            if (newAssignee.Id == c.AssigneeId) return await CurrentAsync(c, viewer, $"{newAssignee.DisplayName} already owns it.", ct);
        }

        // Everything the action writes is prepared first, then committed by one SaveChanges: the escalation's version check, its
        // timeline event, the notices and the marks on every copy of the card succeed or fail together, and on SQLite the write
        // lock is held only for that save.
        var actorName = actor.Name;
        var saved = c.Version + 1;
        string text;
        EscalationEvent added;
        switch (verb)
        {
            case "escalation.ack":
                c.Status = EscalationStatus.Acknowledged;
                c.AcknowledgedAt = now;
                c.AcknowledgedInSla = now <= c.AcknowledgeDueAt;
                text = "acknowledged";
                added = AddEvent(c, actor, EscalationEventKind.Acknowledged, text);
                break;
            case "escalation.contact":
                c.Status = EscalationStatus.InContact;
                c.FirstContactAt ??= now;
                text = $"logged a {Str(data, "contactChannel")}: {Clip(Str(data, "contactNote"), 1500)}";
                added = AddEvent(c, actor, EscalationEventKind.ContactLogged, text, Str(data, "contactChannel"));
                break;
            case "escalation.resolve":
                c.Status = EscalationStatus.Resolved;
                c.ResolvedAt = now;
                c.Resolution = Clip(Str(data, "resolution"), 2000);
                c.CustomerSatisfied = Str(data, "satisfied") == "yes";
                text = $"resolved ({(c.CustomerSatisfied == true ? "customer satisfied" : "customer not satisfied")}): {c.Resolution}";
                added = AddEvent(c, actor, EscalationEventKind.Resolved, text);
                break;
            case "escalation.reassign":
                c.PreviousAssigneeId = c.AssigneeId;
                c.AssigneeId = newAssignee!.Id;
                c.AssignmentReason = Cut($"reassigned by {actorName}: {Str(data, "reassignReason")}", 300);
                c.Status = EscalationStatus.Assigned;
                c.AssignedAt = now;
                c.AcknowledgedAt = null;
                c.AcknowledgeDueAt = calendar.AddBusinessHours(now, O.Sla.AcknowledgeBusinessHours);
                text = $"reassigned to {newAssignee.DisplayName}: {Str(data, "reassignReason")}";
                added = AddEvent(c, actor, EscalationEventKind.Reassigned, text);
                await RescheduleAcknowledgeAsync(c, ct);
                break;
            case "escalation.ask":
                text = $"asked the rep: {Clip(Str(data, "question"), 900)}";
                added = AddEvent(c, actor, EscalationEventKind.QuestionAsked, text);
                break;
            default:
                text = $"added information: {Clip(Str(data, "information"), 1500)}";
                added = AddEvent(c, actor, EscalationEventKind.InformationAdded, text);
                break;
        }
        c.LastAction = Cut($"{actorName} {text}", 300);
        c.LastActionAt = now;
        await cards.AnticipateAsync(c, saved, added, ct);

        RefreshCards(c);
        var message = $"{c.Number} ({c.Account}): {actorName} {text}";
        if (!viewer.IsRep || viewer.CanAct)
            Notify(c, c.RepUserId, message, $"esc:{c.Id}:v{saved}:rep");
        if (verb == "escalation.info" && await AssigneeUserIdAsync(c, ct) is { } execUser)
            Notify(c, execUser, message, $"esc:{c.Id}:v{saved}:exec");
        if (newAssignee is not null)
            await SendCardAsync(c, newAssignee.UserId, $"esc:{c.Id}:exec:{newAssignee.Id}:{saved}", ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex)
        {
            LogLostRace(c.Id, verb, ex.GetType().Name);
            db.ChangeTracker.Clear();
            cards.ForgetAnticipated();
            var current = await db.Escalations.FirstAsync(x => x.Id == id, ct);
            var again = await ViewerAsync(current, actor.UserId, actor.AadObjectId, actor.Name, ct);
            return await CurrentAsync(current, again, $"Someone else changed this complaint at the same moment, so nothing was changed. Latest: {current.LastAction}.", ct);
        }
        var after = await ViewerAsync(c, actor.UserId, actor.AadObjectId, actor.Name, ct);
        return new ActionResult(c, after, await cards.RenderAsync(c, after, $"Done: you {text}.", ct), null);
    }

    // Compiled once (per model): every card action runs these.
    private static readonly PerModel<Func<OpsBotDbContext, long, Task<Escalation?>>> ById = new(() => EF.CompileAsyncQuery(
        (OpsBotDbContext db, long id) => db.Escalations.FirstOrDefault(x => x.Id == id)));

    private async Task<ActionResult> CurrentAsync(Escalation c, EscalationViewer viewer, string note, CancellationToken ct) =>
        new(c, viewer, await cards.RenderAsync(c, viewer, note, ct), null);

    /// <summary>The live card of the escalation: every copy (executives, backups, the rep, the channel) rendered per viewer when sent.</summary>
    public static string LiveKey(Escalation c) => $"{EscalationCardSource.LivePrefix}:{c.Id.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Every copy of the escalation card shows the state the next save commits.</summary>
    public void RefreshCards(Escalation c) => db.RefreshLiveCard(LiveKey(c));

    /// <summary>
    /// A new 1:1 copy of the card for <paramref name="userId"/> (the executive, a backup, or the rep): a live card, rendered for
    /// them again when it is sent (the rendering stored here is its first version).
    /// </summary>
    public async Task SendCardAsync(Escalation c, string userId, string dedupeKey, CancellationToken ct)
    {
        var viewer = await ViewerAsync(c, userId, null, "", ct);
        var card = await cards.RenderAsync(c, viewer, null, ct);
        db.EnqueueSend(new DeliveryTarget.Person(c.ServiceUrl, c.TenantId, userId), Outbox.Serialize(CardActivity(card, c)), dedupeKey, Now,
            CorrelationType, c.Id.ToString(CultureInfo.InvariantCulture), LiveKey(c));
    }

    /// <summary>A new thread in the escalations channel, showing the leadership view of the card.</summary>
    public async Task PostToChannelAsync(Escalation c, string dedupeKey, CancellationToken ct)
    {
        var card = await cards.RenderAsync(c, EscalationViewer.Nobody with { IsLeadership = true }, null, ct);
        db.EnqueueSend(new DeliveryTarget.ChannelThread(c.ServiceUrl, c.TenantId, O.ChannelId!), Outbox.Serialize(CardActivity(card, c)), dedupeKey, Now,
            CorrelationType, c.Id.ToString(CultureInfo.InvariantCulture), LiveKey(c));
    }

    public void Notify(Escalation c, string userId, string text, string dedupeKey) =>
        db.EnqueueSend(new DeliveryTarget.Person(c.ServiceUrl, c.TenantId, userId), Activity.CreateMessage(text), dedupeKey, Now,
            NoteCorrelationType, c.Id.ToString(CultureInfo.InvariantCulture));

    public EscalationEvent AddEvent(Escalation c, Requester actor, EscalationEventKind kind, string text, string? channel = null) =>
        AddEvent(c, actor.UserId, actor.Name, kind, text, channel);

    public EscalationEvent AddEvent(Escalation c, string actorUserId, string actorName, EscalationEventKind kind, string text, string? channel = null)
    {
        var e = new EscalationEvent
        {
            EscalationId = c.Id, At = Now, Kind = kind, ActorUserId = actorUserId, ActorName = Cut(actorName, 200),
            Text = Cut(text, 2000), Channel = channel,
        };
        db.EscalationEvents.Add(e);
        return e;
    }

    public async Task<string?> AssigneeUserIdAsync(Escalation c, CancellationToken ct) =>
        c.AssigneeId is null ? null : await db.Executives.Where(e => e.Id == c.AssigneeId).Select(e => e.UserId).FirstOrDefaultAsync(ct);

    private void ScheduleTimers(Escalation c)
    {
        foreach (var (kind, due) in Deadlines(c))
            db.EscalationTimers.Add(new EscalationTimer { EscalationId = c.Id, Kind = kind, DueAt = due });
    }

    private async Task RescheduleAcknowledgeAsync(Escalation c, CancellationToken ct)
    {
        var timers = await db.EscalationTimers.Where(t => t.EscalationId == c.Id &&
            (t.Kind == SlaTimerKind.AcknowledgeReminder || t.Kind == SlaTimerKind.AcknowledgeDeadline)).ToListAsync(ct);
        var deadlines = Deadlines(c).ToDictionary(x => x.Kind, x => x.Due);
        foreach (var t in timers)
        {
            t.DueAt = deadlines[t.Kind];
            t.FiredAt = null;
        }
    }

    private IEnumerable<(SlaTimerKind Kind, DateTime Due)> Deadlines(Escalation c)
    {
        var lead = O.Sla.ReminderBusinessHoursBefore;
        var day = calendar.BusinessDay.TotalHours;
        yield return (SlaTimerKind.AcknowledgeReminder, calendar.AddBusinessHours(c.AssignedAt, Math.Max(0, O.Sla.AcknowledgeBusinessHours - lead)));
        yield return (SlaTimerKind.AcknowledgeDeadline, c.AcknowledgeDueAt);
        yield return (SlaTimerKind.ContactReminder, calendar.AddBusinessHours(c.CreatedAt, Math.Max(0, O.Sla.FirstContactBusinessDays * day - lead)));
        yield return (SlaTimerKind.ContactDeadline, c.ContactDueAt);
        yield return (SlaTimerKind.ResolveReminder, calendar.AddBusinessHours(c.CreatedAt, Math.Max(0, O.Sla.ResolveBusinessDays * day - lead)));
        yield return (SlaTimerKind.ResolveDeadline, c.ResolveDueAt);
    }

    public static Activity CardActivity(JsonObject card, Escalation c) => new()
    {
        Type = ActivityTypes.Message,
        Summary = $"{c.Number} {c.Account}: {c.Status}",
        Attachments = [Attachment.AdaptiveCard(card)],
    };

    private static string Describe(EscalationOrigin o) => o switch
    {
        EscalationOrigin.MessageAction => "from a Teams message",
        EscalationOrigin.CardButton => "from a card",
        _ => "with the escalate command",
    };

    /// <summary>The escalation a card action names; cards posted before the rename carry it as <c>complaintId</c>.</summary>
    public static string IdOf(JsonObject data) => data.ContainsKey("escalationId") ? Str(data, "escalationId") : Str(data, "complaintId");

    public static string Str(JsonObject data, string key) => data[key] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s.Trim(),
        JsonValue v => v.ToJsonString(),
        _ => "",
    };

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..max];

    private static string? Clip(string? s, int max) => string.IsNullOrWhiteSpace(s) ? null : s.Length <= max ? s.Trim() : s[..max];

    [LoggerMessage(Level = LogLevel.Information, Message = "Escalation {EscalationId} created, assigned to {ExecutiveId}: {Reason}")]
    private partial void LogCreated(long escalationId, string? executiveId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Escalation {EscalationId}: {Verb} lost a concurrent update ({Exception})")]
    private partial void LogLostRace(long escalationId, string verb, string exception);
}
