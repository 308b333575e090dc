using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.Cards;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Escalations;

/// <summary>What one person may do with an escalation.</summary>
public sealed record EscalationViewer(string UserId, string? AadObjectId, string Name, bool IsAssignee, bool IsDelegate, bool IsBackup, bool IsRep, bool IsLeadership,
    bool IsPreviousOwner = false)
{
    public bool CanAct => IsAssignee || IsDelegate || IsBackup;
    public bool CanSee => CanAct || IsRep || IsLeadership || IsPreviousOwner;
    public static EscalationViewer Nobody => new("", null, "", false, false, false, false, false);
}

/// <summary>Builds the view models of the escalation cards from the store.</summary>
public sealed class EscalationCards(OpsBotDbContext db, CardTemplates templates, BusinessCalendar calendar, CustomerHistory history, DirectoryCache directory,
    TimeProvider time)
{
    public const int MaxTimeline = 8;
    private List<EscalationEvent>? _events;
    private (long Id, int Version) _eventsFor;
    private (long Id, int Version)? _anticipated;
    private List<string>? _history;
    private long _historyFor;

    /// <summary>The whole directory with delegates (active or not), by name; shared with the authorisation checks. Read only.</summary>
    public Task<IReadOnlyList<Executive>> ExecutivesAsync(CancellationToken ct) => directory.GetAsync(db, ct);

    private static readonly PerModel<Func<OpsBotDbContext, long, IAsyncEnumerable<EscalationEvent>>> Recent = new(() => EF.CompileAsyncQuery(
        (OpsBotDbContext db, long escalationId) => db.EscalationEvents.AsNoTracking().Where(e => e.EscalationId == escalationId).OrderByDescending(e => e.Id).Take(MaxTimeline)));

    /// <summary>
    /// Cards rendered from now on show <paramref name="c"/> as the pending save will leave it: at <paramref name="version"/> and
    /// with <paramref name="added"/> on its timeline. <see cref="ForgetAnticipated"/> undoes this when the save fails.
    /// </summary>
    public async Task AnticipateAsync(Escalation c, int version, EscalationEvent added, CancellationToken ct)
    {
        var recent = await RecentEventsAsync(c.Id, ct);
        _events = [added, .. recent.Take(MaxTimeline - 1)];
        _eventsFor = (c.Id, version);
        _anticipated = (c.Id, version);
    }

    public void ForgetAnticipated()
    {
        _anticipated = null;
        _events = null;
    }

    public async Task<JsonObject> RenderAsync(Escalation c, EscalationViewer viewer, string? note, CancellationToken ct)
    {
        // One request renders several copies (the clicker's answer and every posted copy): load shared data once.
        var executives = (await ExecutivesAsync(ct)).Where(e => e.Active).ToList();
        var version = _anticipated is { } a && a.Id == c.Id ? a.Version : c.Version;
        if (_events is null || _eventsFor != (c.Id, version))
        {
            _events = c.Id == 0 ? [] : await RecentEventsAsync(c.Id, ct);
            _eventsFor = (c.Id, version);
        }
        var events = _events;
        if (_history is null || _historyFor != c.Id)
        {
            _history = await history.ForAsync(c, ct);
            _historyFor = c.Id;
        }
        var past = _history;
        return templates.Render("escalation-card", Model(c, viewer, note, executives, events, past, version));
    }

    private async Task<List<EscalationEvent>> RecentEventsAsync(long escalationId, CancellationToken ct)
    {
        var events = new List<EscalationEvent>(MaxTimeline);
        await foreach (var e in Recent.For(db)(db, escalationId).WithCancellation(ct)) events.Add(e);
        return events;
    }

    /// <summary>A card for someone who may not see the escalation: no details.</summary>
    public JsonObject Restricted(Escalation c) => templates.Render("escalation-card", new EscalationCardModel(
        c.Id, c.Version, [], $"{c.Number}", "You do not have access to this complaint.", "Attention", true,
        "Only the assigned executive, their delegates, the rep and leadership can see it.", [], "", "", "", [], [], [], c.RepName, [],
        new CardActions(false, false, false)));

    private EscalationCardModel Model(Escalation c, EscalationViewer viewer, string? note, List<Executive> executives, List<EscalationEvent> events, List<string> past, int version)
    {
        var assignee = executives.FirstOrDefault(e => e.Id == c.AssigneeId);
        var backup = executives.FirstOrDefault(e => e.Id == c.BackupExecutiveId);
        var refresh = new List<string>();
        void AddUser(string? id) { if (!string.IsNullOrEmpty(id) && !refresh.Contains(id) && refresh.Count < 60) refresh.Add(id); }
        AddUser(assignee?.UserId);
        foreach (var d in assignee?.Delegates ?? []) AddUser(d.UserId);
        AddUser(backup?.UserId);
        AddUser(c.RepUserId);

        var (statusLine, color) = c.Status switch
        {
            EscalationStatus.Unassigned => ("Unassigned: no executive available", "Attention"),
            EscalationStatus.Assigned => ($"Waiting for {assignee?.DisplayName ?? c.AssigneeId} to acknowledge", "Warning"),
            EscalationStatus.Acknowledged => ($"Acknowledged by {assignee?.DisplayName ?? c.AssigneeId}", "Accent"),
            EscalationStatus.InContact => ($"{assignee?.DisplayName ?? c.AssigneeId} is in contact with the customer", "Accent"),
            _ => ($"Resolved{(c.CustomerSatisfied == true ? " · customer satisfied" : c.CustomerSatisfied == false ? " · customer not satisfied" : "")}", "Good"),
        };
        var facts = new List<NameValue>
        {
            new("Executive", assignee is null ? "—" : $"{assignee.DisplayName} ({c.AssignmentReason})"),
            new("Rep", c.RepName),
            new("Contact", Or(c.Contact)),
            new("Order / opportunity", $"{Or(c.OrderRef)} / {Or(c.OpportunityRef)}"),
        };
        if (backup is not null) facts.Add(new("Backup", backup.DisplayName));
        if (!string.IsNullOrEmpty(c.AlertId)) facts.Add(new("Alert", c.AlertId));
        if (c.Origin == EscalationOrigin.MessageAction) facts.Add(new("Source", $"Teams message by {Or(c.SourceMessageAuthor)} {c.SourceMessageLink}".Trim()));
        if (c.Resolution is not null) facts.Add(new("Resolution", c.Resolution));

        var timeline = events.Count == 0 ? [new TextLine("Nothing yet.")]
            : events.OrderBy(e => e.At).ThenBy(e => e.Id == 0 ? long.MaxValue : e.Id).Select(e => new TextLine($"{calendar.Format(e.At)} · {e.ActorName} {e.Text}")).ToList();
        var pastLines = past.Count == 0 ? [new TextLine("No open commitments, recent alerts or earlier complaints for this account.")] : past.Select(p => new TextLine(p)).ToList();
        var open = c.IsOpen;
        return new EscalationCardModel(c.Id, version, refresh,
            $"{c.Number} · {c.Account} · {c.Severity}", statusLine, color, !string.IsNullOrEmpty(note), note ?? "", facts,
            c.Summary, Or(c.Impact), Or(c.DesiredOutcome), Sla(c), pastLines, timeline, c.RepName,
            executives.Where(e => e.Id != c.AssigneeId).Select(e => new TitleValue(e.DisplayName, e.Id)).ToList(),
            new CardActions(open && viewer.CanAct && c.Status == EscalationStatus.Assigned, open && viewer.CanAct, open && viewer.IsRep && !viewer.CanAct));
    }

    private List<NameValue> Sla(Escalation c)
    {
        var now = time.GetUtcNow().UtcDateTime;
        string Line(DateTime? done, DateTime due) => done is { } d
            ? $"✓ {calendar.Format(d)} ({(d <= due ? "in SLA" : "late")})"
            : c.IsOpen ? $"{(now > due ? "OVERDUE since" : "due")} {calendar.Format(due)}" : "—";
        return
        [
            new("Acknowledge", Line(c.AcknowledgedAt, c.AcknowledgeDueAt)),
            new("First contact", Line(c.FirstContactAt, c.ContactDueAt)),
            new("Resolve", Line(c.ResolvedAt, c.ResolveDueAt)),
        ];
    }

    public JsonObject Form(EscalationForm form, FormErrors? errors, IReadOnlyList<Executive> executives, bool inDialog, string? notice)
    {
        var e = errors ?? new FormErrors();
        var choices = new List<TitleValue> { new("Automatic (sponsor or rotation)", EscalationForm.AutomaticExecutive) };
        choices.AddRange(executives.Select(x => new TitleValue(
            x.Sponsorships.Any(s => !s.Customer.Restricted)
                ? $"{x.DisplayName} (sponsor of {string.Join(", ", x.Sponsorships.Where(s => !s.Customer.Restricted).Select(s => s.Customer.Name))})"
                : x.DisplayName, x.Id)));
        var source = form.Origin == EscalationOrigin.MessageAction && (form.SourceAuthor.Length > 0 || form.SourceLink.Length > 0)
            ? $"From a message by {Or(form.SourceAuthor)}: {form.SourceLink}".Trim()
            : !string.IsNullOrEmpty(form.AlertId) ? $"From alert {form.AlertId}" : "";
        var model = new EscalationFormModel(
            "An executive will personally own this complaint. All fields except the references are required.",
            notice is not null || e.Any, notice ?? (e.Any ? "Please fix the fields marked below; nothing was saved yet." : ""),
            form.Account, form.Contact, form.Summary, form.Impact, form.DesiredOutcome, form.Severity, form.OrderRef, form.OpportunityRef,
            form.Executive.Length > 0 ? form.Executive : EscalationForm.AutomaticExecutive, choices,
            new FormErrorsModel(e.Account is not null, e.Account ?? "", e.Contact is not null, e.Contact ?? "", e.Summary is not null, e.Summary ?? "",
                e.Impact is not null, e.Impact ?? "", e.DesiredOutcome is not null, e.DesiredOutcome ?? "", e.Severity is not null, e.Severity ?? "",
                e.Executive is not null, e.Executive ?? ""),
            source.Length > 0, source, inDialog, !inDialog, form.FormId, form.AlertId, form.SourceLink, form.SourceAuthor, form.Origin.ToString());
        return templates.Render("escalation-form", model);
    }

    private static string Or(string? s) => string.IsNullOrWhiteSpace(s) ? "—" : s;

    public static string Month(DateTime utc) => utc.ToString("yyyy-MM", CultureInfo.InvariantCulture);
}

public sealed record NameValue(string Title, string Value);
public sealed record TitleValue(string Title, string Value);
public sealed record TextLine(string Text);
public sealed record CardActions(bool Acknowledge, bool Work, bool AddInformation);

public sealed record EscalationCardModel(
    long EscalationId, int Version, List<string> RefreshUserIds, string Title, string StatusLine, string StatusColor, bool HasNote, string Note,
    List<NameValue> Facts, string Summary, string Impact, string DesiredOutcome, List<NameValue> Sla, List<TextLine> History, List<TextLine> Timeline,
    string RepName, List<TitleValue> Executives, CardActions Actions);

public sealed record FormErrorsModel(
    bool HasAccount, string Account, bool HasContact, string Contact, bool HasSummary, string Summary, bool HasImpact, string Impact,
    bool HasDesiredOutcome, string DesiredOutcome, bool HasSeverity, string Severity, bool HasExecutive, string Executive);

public sealed record EscalationFormModel(
    string Intro, bool HasNotice, string Notice, string Account, string Contact, string Summary, string Impact, string DesiredOutcome,
    string Severity, string OrderRef, string OpportunityRef, string Executive, List<TitleValue> Executives, FormErrorsModel Errors,
    bool HasSource, string SourceText, bool InDialog, bool InChat, string FormId, string AlertId, string SourceLink, string SourceAuthor, string Origin);

/// <summary>
/// A customer's history shown on the executive card: open commitments (a downstream form still open), recent alerts and
/// earlier escalations of the same customer.
/// </summary>
public sealed class CustomerHistory(OpsBotDbContext db)
{
    // One statement (UNION ALL of the three parts, each ordered and limited), compiled once: every card render needs it, and
    // separate queries cost a database round trip each.
    private static readonly PerModel<Func<OpsBotDbContext, long, int, DateTime, IAsyncEnumerable<HistoryRow>>> Query = new(() => EF.CompileAsyncQuery(
        (OpsBotDbContext db, long id, int customer, DateTime until) =>
            db.Commitments.AsNoTracking()
                .Where(x => x.CustomerId == customer && x.Forms.Any(f => f.Status == OpsBot.Commitments.FormStatus.Open))
                .OrderBy(x => x.RequestedDeliveryDate).Take(5)
                .Select(x => new HistoryRow
                {
                    Part = 0, Id = 0, A = x.OpportunityId, B = x.CustomerPoNumber, Text = x.Currency, Value = x.CommittedValue, Date = x.RequestedDeliveryDate,
                    At = NoTime, Severity = 0,
                })
            .Concat(db.Alerts.AsNoTracking()
                .Where(x => x.CustomerId == customer && x.CreatedAt <= until)
                .OrderByDescending(x => x.CreatedAt).Take(5)
                .Select(x => new HistoryRow
                {
                    Part = 1, Id = x.Id, A = x.Kind, B = x.Status.ToString(), Text = x.Impact, Value = 0m, Date = NoDate,
                    At = x.CreatedAt, Severity = (int)x.Severity,
                }))
            .Concat(db.Escalations.AsNoTracking()
                .Where(x => x.Id != id && x.CustomerId == customer && x.CreatedAt <= until)
                .OrderByDescending(x => x.CreatedAt).Take(5)
                .Select(x => new HistoryRow
                {
                    Part = 2, Id = x.Id, A = "", B = x.Status.ToString(), Text = x.Summary, Value = 0m, Date = NoDate,
                    At = x.CreatedAt, Severity = x.CustomerSatisfied == null ? 0 : x.CustomerSatisfied == true ? 1 : 2,
                }))));

    // Placeholders for the columns a part does not use: typed values, because PostgreSQL types a NULL in a limited part as text.
    private static readonly DateOnly NoDate = DateOnly.MinValue;
    private static readonly DateTime NoTime = DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc);

    // Member-initialised (not a constructor call), so EF can translate the UNION ALL: every part sets every column.
    // Severity holds the alert's severity, or for an escalation whether the customer was satisfied (0 unknown, 1 yes, 2 no).
    private sealed class HistoryRow
    {
        public int Part { get; init; }
        public long Id { get; init; }
        public string A { get; init; } = "";
        public string B { get; init; } = "";
        public string Text { get; init; } = "";
        public decimal Value { get; init; }
        public DateOnly Date { get; init; }
        public DateTime At { get; init; }
        public int Severity { get; init; }
    }

    public async Task<List<string>> ForAsync(Escalation c, CancellationToken ct)
    {
        var rows = new List<HistoryRow>(15);
        if (c.CustomerId is not { } customer) return [];
        await foreach (var x in Query.For(db)(db, c.Id, customer, c.CreatedAt).WithCancellation(ct)) rows.Add(x);
        // UNION ALL promises no order: commitments by delivery date, then alerts and escalations newest first (a part's unused
        // date column holds the same placeholder in every row, so it does not reorder; the sort is stable).
        var lines = new List<string>(rows.Count);
        foreach (var x in rows.OrderBy(x => x.Part).ThenBy(x => x.Date).ThenByDescending(x => x.At))
            lines.Add(x.Part switch
            {
                0 => string.Create(CultureInfo.InvariantCulture, $"Open commitment {x.A} · PO {x.B} · {x.Value:N0} {x.Text} · delivery {x.Date:yyyy-MM-dd}"),
                1 => $"Alert #{x.Id} · Sev {x.Severity} · {x.A} · {x.B} · {x.At:yyyy-MM-dd} · {Clip(x.Text, 80)}",
                _ => $"ESC-{x.Id} · {x.B} · {x.At:yyyy-MM-dd} · {Clip(x.Text, 80)}" +
                     x.Severity switch { 1 => " (satisfied)", 2 => " (not satisfied)", _ => "" },
            });
        return lines;
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}
