using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Audit;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Commitments;

/// <summary>Capture, lookups, enrichment, edits and form confirmation: every command and card verb of the Commitments feature.</summary>
public sealed partial class CommitmentHandlers(OpsBotDbContext db, IOptions<CommitmentOptions> options, TimeProvider time, ILogger<CommitmentHandlers> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private CommitmentOptions Options => options.Value;
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    // ---- capture -------------------------------------------------------------------------------------------------

    /// <summary><c>commit</c> / <c>new commitment</c> [shortcut]: sends the capture form, pre-filled from the shortcut.</summary>
    public async Task StartAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var (input, unknown) = Shortcut.Parse(args, Options.Currencies);
        input = input with
        {
            OpportunityId = input.OpportunityId.Length > 0 ? input.OpportunityId : NewOpportunityId(),
            CommitDate = input.CommitDate.Length > 0 ? input.CommitDate : Fields.Date(DateOnly.FromDateTime(Now)),
            AccountOwner = viewer.Id,
        };
        if (input.AccountNumber.Length > 0 && await db.FindAccountAsync(input.AccountNumber, viewer, Now, "commit shortcut", ct) is { } account)
            input = Prefill(input, account);
        var notice = unknown.Count == 0 ? null
            : $"I didn't understand {string.Join(", ", unknown.Select(u => $"'{u}'"))} and left it out. Shortcut: {Shortcut.Usage}";
        await turn.SendCardAsync("commitment-form",
            CommitmentFormCard.Build(input, Guid.NewGuid().ToString("n"), null, null, notice, Options, viewer, viewer.Name), "New commitment", ct);
    }

    private static CaptureInput Prefill(CaptureInput input, Account account)
    {
        string Only(SiteKind k) => account.Sites.Count(s => s.Kind == k) == 1 ? account.Sites.Single(s => s.Kind == k).Name : "";
        return input with
        {
            AccountNumber = account.Number,
            CustomerName = input.CustomerName.Length > 0 ? input.CustomerName : account.Name,
            Segment = input.Segment.Length > 0 ? input.Segment : account.Segment.ToString(),
            MasterAgreementRef = input.MasterAgreementRef.Length > 0 ? input.MasterAgreementRef : account.MasterAgreementRef ?? "",
            PaymentTerms = input.PaymentTerms.Length > 0 ? input.PaymentTerms : account.PaymentTerms ?? "",
            ShipToSite = input.ShipToSite.Length > 0 ? input.ShipToSite : Only(SiteKind.ShipTo),
            BillToSite = input.BillToSite.Length > 0 ? input.BillToSite : Only(SiteKind.BillTo),
        };
    }

    private string NewOpportunityId() =>
        "OPP-" + Now.ToString("yyMMdd", CultureInfo.InvariantCulture) + "-" + Convert.ToHexString(Guid.NewGuid().ToByteArray().AsSpan(0, 3));

    /// <summary><c>commitment.submit</c>: validate; errors and unconfirmed warnings come back on the same card; otherwise store everything in one unit of work.</summary>
    public async Task<InvokeResponse> SubmitAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        // One open connection for the reads and the write of this unit of work, instead of one open and close per statement.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            return await CaptureAsync(turn, data, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<InvokeResponse> CaptureAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var now = Now;
        var formId = Str(data, "formId") is { Length: > 0 and <= 64 } f ? f : Guid.NewGuid().ToString("n");
        var input = CaptureInput.From(data);
        var clashes = await CaptureRules.ClashesAsync(db, input, formId, ct);
        if (clashes.FirstOrDefault(c => c.CaptureFormId == formId) is { } existing) return await SummaryResponseAsync(turn, existing.OpportunityId, viewer, null, ct);

        var (result, checkedInput) = await CaptureRules.ValidateAsync(db, input, viewer, Options, now, ct, clashes);
        var ownerName = checkedInput.AccountOwner == viewer.Id || checkedInput.AccountOwner == viewer.AadId ? viewer.Name : checkedInput.AccountOwner;
        if (!result.IsValid)
            return turn.CardResponse("commitment-form", CommitmentFormCard.Build(input, formId, result.Errors, null, null, Options, viewer, ownerName));
        var accepted = (Str(data, "acceptWarnings") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (result.Warnings.Any(w => !accepted.Contains(w.Code)))
            return turn.CardResponse("commitment-form", CommitmentFormCard.Build(checkedInput, formId, null, result.Warnings,
                "Please check the warnings below: correct the fields and submit again, or confirm if they are right.", Options, viewer, ownerName));

        var roles = await db.RoleAssignments.AsNoTracking().ToListAsync(ct);
        var commitment = Create(turn, checkedInput, result.Account!, formId, viewer, ownerName, roles, now);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex)
        {
            LogCaptureConflict(ex, checkedInput.OpportunityId);
            db.ChangeTracker.Clear();
            if (await db.Commitments.AnyAsync(c => c.CaptureFormId == formId, ct))
                return await SummaryResponseAsync(turn, checkedInput.OpportunityId, viewer, null, ct);
            var (again, _) = await CaptureRules.ValidateAsync(db, input, viewer, Options, now, ct);
            var errors = again.IsValid ? new Dictionary<string, string> { ["opportunityId"] = "This commitment was saved by someone else at the same moment. Check and submit again." } : again.Errors;
            return turn.CardResponse("commitment-form", CommitmentFormCard.Build(input, formId, errors, null, null, Options, viewer, ownerName));
        }
        LogCaptured(commitment.OpportunityId, commitment.Account.Number);
        return turn.CardResponse("commitment-summary", CommitmentSummaryCard.Build(CommitmentView.Of(commitment), commitment.Forms, now, "Saved. The downstream forms went to their owners."));
    }

    private Commitment Create(BotTurn turn, CaptureInput i, Account account, string formId, Viewer viewer, string ownerName, List<RoleAssignment> roles, DateTime now)
    {
        Fields.TryParseDate(i.CommitDate, out var commitDate);
        Fields.TryParseDate(i.RequestedDeliveryDate, out var delivery);
        Fields.TryParseMoney(i.CommittedValue, out var value);
        var c = new Commitment
        {
            OpportunityId = i.OpportunityId, Account = account, AccountId = account.Id, CustomerName = i.CustomerName,
            Segment = Enum.Parse<AccountSegment>(i.Segment, ignoreCase: true), MasterAgreementRef = i.MasterAgreementRef,
            CustomerPoNumber = i.CustomerPoNumber, CommittedValue = value, Currency = i.Currency.ToUpperInvariant(), CommitDate = commitDate,
            RequestedDeliveryDate = delivery, ShipToSite = i.ShipToSite, BillToSite = i.BillToSite, PaymentTerms = i.PaymentTerms,
            AccountOwnerId = i.AccountOwner, AccountOwnerName = ownerName,
            CreatedById = viewer.Id, CreatedByName = viewer.Name, CreatedAt = now, UpdatedById = viewer.Id, UpdatedByName = viewer.Name, UpdatedAt = now,
            CaptureFormId = formId, ServiceUrl = turn.Activity.ServiceUrl ?? "", TenantId = turn.TenantId ?? "",
            SummaryConversationId = turn.ConversationId, SummaryActivityId = turn.Activity.ReplyToId, Version = 1,
        };
        var start = commitDate.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        foreach (var kind in Enum.GetValues<FormKind>())
            c.Forms.Add(new DownstreamForm { Kind = kind, Role = RoleFor(kind), DueAt = start.AddDays(Options.DueDays.GetValueOrDefault(kind, 3)), Commitment = c });
        db.Commitments.Add(c);
        var view = CommitmentView.Of(c);
        db.Audit(now, viewer.Id, viewer.Name, "commitment-created", "Commitment", c.OpportunityId, after: view);
        AddFeedEntry(c, view, now);
        foreach (var form in c.Forms) NotifyOwners(form, view, roles, now);
        // The capture form was replaced by the summary (the invoke answer): from now on it is kept current like the task cards.
        if (c.SummaryActivityId is { Length: > 0 } summary)
        {
            var copy = db.TrackLiveCard(new DeliveryTarget.Conversation(c.ServiceUrl, c.TenantId, c.SummaryConversationId!), summary,
                CommitmentLiveCards.SummaryKey(c.OpportunityId), now, viewer.Id);
            copy.CorrelationType = "commitment";
            copy.CorrelationId = c.OpportunityId;
        }
        return c;
    }

    public static OwnerRole RoleFor(FormKind kind) => kind switch
    {
        FormKind.SalesOrderDraft => OwnerRole.OrderDesk,
        FormKind.CommissionCredit => OwnerRole.SalesOps,
        FormKind.SupplyPlanRequest => OwnerRole.SupplyChain,
        _ => OwnerRole.Service,
    };

    private void AddFeedEntry(Commitment c, CommitmentView view, DateTime now) =>
        db.ErpFeed.Add(new ErpFeedEntry
        {
            Commitment = c, OpportunityId = c.OpportunityId, AccountId = c.AccountId, Version = view.Version, CreatedAt = now,
            PayloadJson = JsonSerializer.Serialize(view, Json),
        });

    /// <summary>A task card per owner of the form's role: a live card, rendered with the commitment as it is when it is sent.</summary>
    private void NotifyOwners(DownstreamForm form, CommitmentView view, List<RoleAssignment> roles, DateTime now)
    {
        var fallback = Outbox.Serialize(Activity.CreateMessage($"{CommitmentSummaryCard.FormLabel(form.Kind)} for {view.OpportunityId} is yours"));
        var correlation = FormCorrelation(view.OpportunityId, form.Kind);
        var live = CommitmentLiveCards.FormKey(view.OpportunityId, form.Kind);
        foreach (var target in RoleTargets(roles, form.Role, form.Commitment))
            db.EnqueueSend(target, fallback, $"cmt:{view.OpportunityId}:{form.Kind}:assign:{TargetKey(target)}", now, "commitment-form", correlation, live);
    }

    // ---- lookups -------------------------------------------------------------------------------------------------

    /// <summary><c>show &lt;opportunity&gt;</c></summary>
    public async Task ShowAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var opp = args.Trim();
        if (opp.Length == 0) { await turn.SendTextAsync("Which commitment? Usage: show <opportunity id>", ct); return; }
        var c = await db.FindCommitmentAsync(opp, Viewer.Of(turn), Now, "show", ct);
        if (c is null) { await turn.SendTextAsync(AccountAccess.NotFound("commitment", opp), ct); return; }
        await turn.SendCardAsync("commitment-summary", CommitmentSummaryCard.Build(CommitmentView.Of(c), c.Forms, Now), $"Commitment {opp}", ct);
    }

    /// <summary><c>commitment.show</c> (card button / refresh)</summary>
    public Task<InvokeResponse> ShowVerbAsync(BotTurn turn, JsonObject data, CancellationToken ct) =>
        SummaryResponseAsync(turn, Str(data, "opportunityId") ?? "", Viewer.Of(turn), null, ct);

    private async Task<InvokeResponse> SummaryResponseAsync(BotTurn turn, string opp, Viewer viewer, string? notice, CancellationToken ct)
    {
        var c = await db.FindCommitmentAsync(opp, viewer, Now, "card", ct);
        return c is null ? AdaptiveCardInvoke.Message(AccountAccess.NotFound("commitment", opp))
            : turn.CardResponse("commitment-summary", CommitmentSummaryCard.Build(CommitmentView.Of(c), c.Forms, Now, notice));
    }

    public async Task MyCommitmentsAsync(BotTurn turn, string args, CancellationToken ct) =>
        await turn.SendCardAsync("commitment-list", await ListAsync(Viewer.Of(turn), "mine", "", 1, ct), "My commitments", ct);

    public async Task ForAccountAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var number = args.Trim().ToUpperInvariant();
        if (number.Length == 0) { await turn.SendTextAsync("Which account? Usage: commitments for <account>", ct); return; }
        if (await db.FindAccountAsync(number, Viewer.Of(turn), Now, "commitments for", ct) is null)
        {
            await turn.SendTextAsync(AccountAccess.NotFound("account", number), ct);
            return;
        }
        await turn.SendCardAsync("commitment-list", await ListAsync(Viewer.Of(turn), "account", number, 1, ct), $"Commitments for {number}", ct);
    }

    public async Task MyTasksAsync(BotTurn turn, string args, CancellationToken ct) =>
        await turn.SendCardAsync("commitment-list", await ListAsync(Viewer.Of(turn), "tasks", "", 1, ct), "My tasks", ct);

    /// <summary>Past any real list, and small enough that the row offset stays an <see cref="int"/>.</summary>
    private const int MaxPage = 1_000_000;

    /// <summary><c>commitment.page</c>: data <c>{list, key, page}</c>.</summary>
    public async Task<InvokeResponse> PageAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var list = Str(data, "list") ?? "mine";
        var key = Str(data, "key") ?? "";
        var page = int.TryParse(Str(data, "page"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? Math.Clamp(p, 1, MaxPage) : 1;
        if (list == "account" && await db.FindAccountAsync(key, viewer, Now, "commitment.page", ct) is null)
            return AdaptiveCardInvoke.Message(AccountAccess.NotFound("account", key));
        return turn.CardResponse("commitment-list", await ListAsync(viewer, list, key, page, ct));
    }

    private async Task<CommitmentListCard> ListAsync(Viewer viewer, string list, string key, int page, CancellationToken ct)
    {
        var now = Now;
        var aad = viewer.AadId ?? viewer.Id;
        if (list == "tasks")
        {
            var roles = await RolesOfAsync(viewer, ct);
            var forms = db.DownstreamForms.Where(f => f.Status == FormStatus.Open && roles.Contains(f.Role))
                .Where(f => db.Commitments.VisibleTo(viewer).Any(c => c.Id == f.CommitmentId));
            var totalForms = await forms.CountAsync(ct);
            var pageForms = await forms.OrderBy(f => f.DueAt).ThenBy(f => f.Id).Skip((page - 1) * CommitmentListCard.PageSize).Take(CommitmentListCard.PageSize)
                .Include(f => f.Commitment).ThenInclude(c => c.Account)
                .Include(f => f.Commitment).ThenInclude(c => c.Enrichments).AsSplitQuery().ToListAsync(ct);
            var taskItems = pageForms.Select(f =>
            {
                var v = CommitmentView.Of(f.Commitment);
                var line = CommitmentSummaryCard.Line(f, now);
                return new ListItem(v.OpportunityId, $"{CommitmentSummaryCard.FormLabel(f.Kind)} — {v.OpportunityId} ({v.CustomerName})",
                    $"{v.ValueDisplay} · delivery {Fields.Date(v.RequestedDeliveryDate)} · due {line.Due} · {line.Status}");
            }).ToList();
            return CommitmentListCard.Build("My tasks", list, key, page, totalForms, taskItems, "Nothing is waiting for you.");
        }

        var q = db.Commitments.VisibleTo(viewer);
        q = list == "account"
            ? q.Where(c => c.Account.Number == key)
            : q.Where(c => c.AccountOwnerId == viewer.Id || c.AccountOwnerId == aad || c.CreatedById == viewer.Id);
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(c => c.Id).Skip((page - 1) * CommitmentListCard.PageSize).Take(CommitmentListCard.PageSize)
            .Include(c => c.Account).Include(c => c.Enrichments).Include(c => c.Forms).AsSplitQuery().ToListAsync(ct);
        var items = rows.Select(c =>
        {
            var v = CommitmentView.Of(c);
            var open = c.Forms.Count(f => f.Status == FormStatus.Open);
            return new ListItem(v.OpportunityId, $"{v.OpportunityId} — {v.CustomerName}",
                $"{v.ValueDisplay} · PO {v.CustomerPoNumber} · delivery {Fields.Date(v.RequestedDeliveryDate)} · {open} form(s) open");
        }).ToList();
        var title = list == "account" ? $"Commitments for {key}" : "My commitments";
        return CommitmentListCard.Build(title, list, key, page, total, items, "No commitments yet. Type 'commit' to capture one.");
    }

    // ---- history and enrichment ----------------------------------------------------------------------------------

    public async Task HistoryAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var opp = args.Trim();
        var c = opp.Length == 0 ? null : await db.FindCommitmentAsync(opp, Viewer.Of(turn), Now, "history", ct);
        if (c is null) { await turn.SendTextAsync(opp.Length == 0 ? "Usage: history <opportunity id>" : AccountAccess.NotFound("commitment", opp), ct); return; }
        await turn.SendCardAsync("commitment-history", History(c), $"History of {opp}", ct);
    }

    public async Task<InvokeResponse> HistoryVerbAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var opp = Str(data, "opportunityId") ?? "";
        var c = await db.FindCommitmentAsync(opp, Viewer.Of(turn), Now, "commitment.history", ct);
        return c is null ? AdaptiveCardInvoke.Message(AccountAccess.NotFound("commitment", opp)) : turn.CardResponse("commitment-history", History(c));
    }

    private static CommitmentHistoryCard History(Commitment c)
    {
        var items = new List<HistoryItem>
        {
            new(Fields.Time(c.CreatedAt), c.CreatedByName, $"Captured: {Fields.MoneyDisplay(c.CommittedValue, c.Currency)}, PO {c.CustomerPoNumber}, delivery {Fields.Date(c.RequestedDeliveryDate)}", "", false, "", false),
        };
        items.AddRange(c.Enrichments.OrderBy(e => e.Id).Select(e => new HistoryItem(
            Fields.Time(e.At), e.ByName, $"{Fields.Label(e.Field)}: {e.Value}",
            e.PreviousValue is null ? "" : $"was {e.PreviousValue}", e.PreviousValue is not null, e.Note ?? "", !string.IsNullOrEmpty(e.Note))));
        return new CommitmentHistoryCard($"History of {c.OpportunityId}", $"{c.CustomerName} · {items.Count} entries · version {c.Version}", c.OpportunityId, items);
    }

    /// <summary><c>enrich &lt;opportunity&gt; &lt;field&gt; &lt;value&gt; [note]</c>: appends a fact; never overwrites.</summary>
    public async Task EnrichAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var usage = $"Usage: enrich <opportunity id> <{string.Join("|", Fields.ByAlias.Keys)}> <value> [note]";
        var parts = args.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length < 3 || !Fields.ByAlias.TryGetValue(parts[1], out var field))
        {
            await turn.SendTextAsync(parts.Length >= 2 && !Fields.ByAlias.ContainsKey(parts[1]) ? $"I don't know the field '{parts[1]}'. {usage}" : usage, ct);
            return;
        }
        var rest = parts[2];
        string value = rest, note = "";
        if (field.Kind is not Fields.ValueKind.Text)
        {
            var split = rest.Split(' ', 2, StringSplitOptions.TrimEntries);
            value = split[0];
            note = split.Length > 1 ? split[1] : "";
        }
        var viewer = Viewer.Of(turn);
        for (var attempt = 0; ; attempt++)
        {
            var c = await db.FindCommitmentAsync(parts[0], viewer, Now, "enrich", ct);
            if (c is null) { await turn.SendTextAsync(AccountAccess.NotFound("commitment", parts[0]), ct); return; }
            var error = await CheckAsync(field, value, c, ct) ?? StoreLimits.TextProblem("The note", note, MaxNote);
            if (error is not null) { await turn.SendTextAsync(error, ct); return; }
            try
            {
                var view = Append(c, [(field.Field, Normalize(field, value))], note, viewer);
                await db.SaveChangesAsync(ct);
                await turn.SendCardAsync("commitment-summary", CommitmentSummaryCard.Build(view, c.Forms, Now,
                    $"{field.Label} recorded. Type 'history {c.OpportunityId}' for the full trail."), $"Commitment {c.OpportunityId}", ct);
                return;
            }
            catch (DbUpdateException ex) when (ex is DbUpdateConcurrencyException || DbErrors.IsUniqueViolation(ex))
            {
                // Someone else's enrichment took this version (the commitment's token or the ERP snapshot's unique index).
                db.ChangeTracker.Clear();
                if (attempt < 2) continue;
                await turn.SendTextAsync($"{parts[0]} was changed by someone else at the same moment, so your {field.Label.ToLowerInvariant()} was not recorded. Please try again.", ct);
                return;
            }
        }
    }

    private const int MaxNote = 1000;

    private async Task<string?> CheckAsync(Fields.Enrichable field, string value, Commitment c, CancellationToken ct)
    {
        switch (field.Kind)
        {
            case Fields.ValueKind.Date when !Fields.TryParseDate(value, out var d):
                return $"'{value}' is not a date. Use YYYY-MM-DD.";
            case Fields.ValueKind.Date when Fields.TryParseDate(value, out var day) && StoreLimits.DateProblem("The date", day) is { } outOfRange:
                return outOfRange;
            case Fields.ValueKind.Date when field.Field == Fields.RequestedDeliveryDate && Fields.TryParseDate(value, out var d2) && d2 < c.CommitDate:
                return $"Delivery can't be before the commit date ({Fields.Date(c.CommitDate)}).";
            case Fields.ValueKind.Money when !Fields.TryParseMoney(value, out var m) || m <= 0:
                return $"'{value}' is not a positive amount.";
            case Fields.ValueKind.Money when Fields.TryParseMoney(value, out var large) && StoreLimits.AmountProblem("The amount", large) is { } tooLarge:
                return tooLarge;
            case Fields.ValueKind.Currency when !Options.Currencies.Contains(value, StringComparer.OrdinalIgnoreCase):
                return $"'{value}' is not a currency OpsBot accepts ({string.Join(", ", Options.Currencies)}).";
            case Fields.ValueKind.Text when value.Length > 1000:
                return "That is too long (at most 1000 characters).";
            case Fields.ValueKind.Text when StoreLimits.TextProblem("The text", value, 1000) is { } text:
                return text;
        }
        if (field.Field == Fields.CustomerPoNumber && await db.Commitments.AnyAsync(x => x.CustomerPoNumber == value && x.AccountId == c.AccountId && x.Id != c.Id, ct))
            return $"PO {value} is already used on this account.";
        return null;
    }

    private static string Normalize(Fields.Enrichable field, string value) => field.Kind switch
    {
        Fields.ValueKind.Date when Fields.TryParseDate(value, out var d) => Fields.Date(d),
        Fields.ValueKind.Money when Fields.TryParseMoney(value, out var m) => Fields.Money(m),
        Fields.ValueKind.Currency => value.ToUpperInvariant(),
        _ => value,
    };

    /// <summary>
    /// Appends enrichment rows (with the value each replaces in the current view), bumps the version, writes the ERP
    /// snapshot, the audit record and marks every card of the commitment changed — all in the caller's unit of work.
    /// </summary>
    private CommitmentView Append(Commitment c, IReadOnlyList<(string Field, string Value)> changes, string? note, Viewer viewer)
    {
        var now = Now;
        var before = CommitmentView.Of(c);
        var version = c.Version + 1;
        var view = before;
        foreach (var (field, value) in changes)
        {
            var e = new Enrichment
            {
                CommitmentId = c.Id, OpportunityId = c.OpportunityId, Field = field, Value = value, PreviousValue = view.Get(field),
                ById = viewer.Id, ByName = viewer.Name, At = now, Note = string.IsNullOrWhiteSpace(note) ? null : note, Version = version,
            };
            c.Enrichments.Add(e);
            view = view.Apply(field, value);
        }
        c.UpdatedById = viewer.Id;
        c.UpdatedByName = viewer.Name;
        c.UpdatedAt = now;
        db.Entry(c).Property(x => x.UpdatedAt).IsModified = true; // a new version even when the same person edits within the same clock tick
        view = view with { Version = version, UpdatedByName = viewer.Name, UpdatedAt = now };
        db.Audit(now, viewer.Id, viewer.Name, "commitment-enriched", "Commitment", c.OpportunityId, before, view,
            string.Join("; ", changes.Select(ch => $"{Fields.Label(ch.Field)} = {ch.Value}")));
        AddFeedEntry(c, view, now);
        db.RefreshCards(c);
        return view;
    }

    // ---- edit with optimistic concurrency ------------------------------------------------------------------------

    public async Task EditAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var opp = args.Trim();
        var c = opp.Length == 0 ? null : await db.FindCommitmentAsync(opp, Viewer.Of(turn), Now, "edit", ct);
        if (c is null) { await turn.SendTextAsync(opp.Length == 0 ? "Usage: edit <opportunity id>" : AccountAccess.NotFound("commitment", opp), ct); return; }
        await turn.SendCardAsync("commitment-edit", CommitmentEditCard.Build(CommitmentView.Of(c)), $"Edit {opp}", ct);
    }

    /// <summary><c>commitment.edit</c>: the edit card at the current version (also the "reload" of a conflict).</summary>
    public async Task<InvokeResponse> EditVerbAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var opp = Str(data, "opportunityId") ?? "";
        var c = await db.FindCommitmentAsync(opp, Viewer.Of(turn), Now, "commitment.edit", ct);
        return c is null ? AdaptiveCardInvoke.Message(AccountAccess.NotFound("commitment", opp))
            : turn.CardResponse("commitment-edit", CommitmentEditCard.Build(CommitmentView.Of(c)));
    }

    private static readonly (string Key, string Alias)[] Editable =
    [
        ("requestedDeliveryDate", "delivery"), ("committedValue", "value"), ("shipToSite", "ship-to"), ("billToSite", "bill-to"),
        ("paymentTerms", "terms"), ("customerPoNumber", "po"), ("masterAgreementRef", "agreement"),
    ];

    /// <summary><c>commitment.save</c>: data carries the version the rep edited; a stale version gets "changed by X at T, reload".</summary>
    public async Task<InvokeResponse> SaveAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var opp = Str(data, "opportunityId") ?? "";
        var c = await db.FindCommitmentAsync(opp, viewer, Now, "commitment.save", ct);
        if (c is null) return AdaptiveCardInvoke.Message(AccountAccess.NotFound("commitment", opp));
        if (!int.TryParse(Str(data, "version"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var version))
            return AdaptiveCardInvoke.Error(400, "BadRequest", "The card is out of date. Type 'edit " + opp + "' for a fresh one.");
        if (version != c.Version) return Conflict(turn, c);

        var current = CommitmentView.Of(c);
        var changes = new List<(string, string)>();
        foreach (var (key, alias) in Editable)
        {
            var raw = Str(data, key)?.Trim() ?? "";
            var field = Fields.ByAlias[alias];
            if (raw.Length == 0) continue;
            if (await CheckAsync(field, raw, c, ct) is { } error)
                return turn.CardResponse("commitment-edit", CommitmentEditCard.Build(current, $"{field.Label}: {error}") with { Version = version });
            var normalized = Normalize(field, raw);
            if (!string.Equals(normalized, current.Get(field.Field), StringComparison.Ordinal)) changes.Add((field.Field, normalized));
        }
        var note = Str(data, "note")?.Trim();
        if (StoreLimits.TextProblem("Note", note, MaxNote) is { } noteError)
            return turn.CardResponse("commitment-edit", CommitmentEditCard.Build(current, noteError) with { Version = version });
        if (!string.IsNullOrEmpty(note)) changes.Add((Fields.Note, note));
        if (changes.Count == 0) return turn.CardResponse("commitment-summary", CommitmentSummaryCard.Build(current, c.Forms, Now, "Nothing changed."));

        var view = Append(c, changes, null, viewer);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex is DbUpdateConcurrencyException || DbErrors.IsUniqueViolation(ex))
        {
            db.ChangeTracker.Clear();
            var fresh = await db.FindCommitmentAsync(opp, viewer, Now, "commitment.save", ct);
            return fresh is null ? AdaptiveCardInvoke.Message(AccountAccess.NotFound("commitment", opp)) : Conflict(turn, fresh);
        }
        return turn.CardResponse("commitment-summary", CommitmentSummaryCard.Build(view, c.Forms, Now, "Saved as version " + view.Version + "."));
    }

    private static InvokeResponse Conflict(BotTurn turn, Commitment c) =>
        turn.CardResponse("commitment-conflict", new CommitmentConflictCard(
            $"{c.OpportunityId} was changed",
            $"Changed by {c.UpdatedByName} at {Fields.Time(c.UpdatedAt)} (now version {c.Version}). Your edit was not saved — reload to see the current values and edit again.",
            c.OpportunityId, c.Version));

    // ---- downstream form confirmation ----------------------------------------------------------------------------

    /// <summary><c>commitment.form.confirm</c>: data <c>{opportunityId, kind, version}</c>; only the role's people may confirm.</summary>
    public async Task<InvokeResponse> ConfirmFormAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var now = Now;
        var opp = Str(data, "opportunityId") ?? "";
        var c = await db.FindCommitmentAsync(opp, viewer, now, "commitment.form.confirm", ct);
        if (c is null || !Enum.TryParse<FormKind>(Str(data, "kind"), out var kind) || c.Forms.FirstOrDefault(f => f.Kind == kind) is not { } form)
            return AdaptiveCardInvoke.Message(AccountAccess.NotFound("commitment", opp));
        var view = CommitmentView.Of(c);
        if (form.Status == FormStatus.Confirmed)
            return turn.CardResponse("commitment-form-task", CommitmentFormTaskCard.Build(form, view, now,
                $"Already confirmed by {form.ConfirmedByName} at {Fields.Time(form.ConfirmedAt!.Value)}."));
        var assignments = await db.RoleAssignments.Where(r => r.Role == form.Role).ToListAsync(ct);
        if (assignments.Any(a => a.UserId is not null) && !assignments.Any(a => viewer.Is(a.UserId)))
            return turn.CardResponse("commitment-form-task", CommitmentFormTaskCard.Build(form, view, now,
                $"Only {CommitmentSummaryCard.RoleLabel(form.Role)} can confirm this form."));

        form.Status = FormStatus.Confirmed;
        form.ConfirmedById = viewer.Id;
        form.ConfirmedByName = viewer.Name;
        form.ConfirmedAt = now;
        db.Audit(now, viewer.Id, viewer.Name, "form-confirmed", "DownstreamForm", FormCorrelation(opp, kind));
        db.RefreshLiveCard(CommitmentLiveCards.SummaryKey(opp));
        db.RefreshLiveCard(CommitmentLiveCards.FormKey(opp, kind));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            var fresh = await db.FindCommitmentAsync(opp, viewer, now, "commitment.form.confirm", ct);
            var f = fresh!.Forms.First(x => x.Kind == kind);
            return turn.CardResponse("commitment-form-task", CommitmentFormTaskCard.Build(f, CommitmentView.Of(fresh), now,
                f.Status == FormStatus.Confirmed ? $"Already confirmed by {f.ConfirmedByName}." : "Someone changed this form at the same moment; try again."));
        }
        return turn.CardResponse("commitment-form-task", CommitmentFormTaskCard.Build(form, view, now, "Confirmed. Thank you."));
    }

    // ---- shared helpers -----------------------------------------------------------------------------------------

    public static string FormCorrelation(string opp, FormKind kind) => $"{opp}:{kind}";

    private async Task<List<OwnerRole>> RolesOfAsync(Viewer viewer, CancellationToken ct)
    {
        var aad = viewer.AadId ?? viewer.Id;
        return await db.RoleAssignments.Where(r => r.UserId == viewer.Id || r.UserId == aad).Select(r => r.Role).Distinct().ToListAsync(ct);
    }

    /// <summary>Where a role's notices go: each person's 1:1 chat and/or a new thread in the role's channel.</summary>
    private static IEnumerable<DeliveryTarget> RoleTargets(List<RoleAssignment> roles, OwnerRole role, Commitment c)
    {
        foreach (var a in roles.Where(r => r.Role == role))
        {
            // A restricted account's forms go only to role members who may see the account, never to a channel.
            if (a.UserId is { Length: > 0 } user && (!c.Account.Restricted || c.Account.Members.Any(m => m.UserId == user)))
                yield return new DeliveryTarget.Person(c.ServiceUrl, c.TenantId, user);
            else if (a.ChannelId is { Length: > 0 } channel && !c.Account.Restricted)
                yield return new DeliveryTarget.ChannelThread(c.ServiceUrl, c.TenantId, channel);
        }
    }

    public static string TargetKey(DeliveryTarget t) => t switch
    {
        DeliveryTarget.Person p => p.UserId,
        DeliveryTarget.ChannelThread ch => ch.ChannelId,
        DeliveryTarget.Conversation cv => cv.ConversationId,
        _ => "?",
    };

    internal static string? Str(JsonObject data, string key) => data[key] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Commitment {OpportunityId} captured for account {Account}")]
    private partial void LogCaptured(string opportunityId, string account);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Saving commitment {OpportunityId} failed; re-validating")]
    private partial void LogCaptureConflict(Exception ex, string opportunityId);
}
