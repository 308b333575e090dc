using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Audit;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Commitments;

/// <summary>Where a capture came from: the rep's conversation, and the card the summary replaces (kept current from then on).</summary>
public sealed record CaptureOrigin(string ServiceUrl, string TenantId, string ConversationId, string? CardActivityId);

public abstract record CaptureOutcome
{
    /// <summary>This capture form was already saved (a re-sent submit).</summary>
    public sealed record AlreadySaved(string OpportunityId) : CaptureOutcome;

    /// <summary>Errors beside the fields, or warnings to confirm or correct; nothing stored.</summary>
    public sealed record Refused(CaptureInput Input, IReadOnlyDictionary<string, string>? Errors, IReadOnlyList<CaptureWarning>? Warnings, string OwnerName) : CaptureOutcome;

    public sealed record Saved(Commitment Commitment) : CaptureOutcome;
}

public abstract record EnrichOutcome
{
    public sealed record NotFound : EnrichOutcome;

    public sealed record Refused(string Message) : EnrichOutcome;

    public sealed record Recorded(Commitment Commitment, CommitmentView View) : EnrichOutcome;
}

public abstract record EditOutcome
{
    public sealed record NotFound : EditOutcome;

    /// <summary>The card carries no version.</summary>
    public sealed record OutOfDate : EditOutcome;

    /// <summary>Someone else saved a newer version first.</summary>
    public sealed record Stale(Commitment Commitment) : EditOutcome;

    public sealed record Invalid(CommitmentView Current, string Error, int Version) : EditOutcome;

    public sealed record Unchanged(Commitment Commitment, CommitmentView Current) : EditOutcome;

    public sealed record Saved(Commitment Commitment, CommitmentView View) : EditOutcome;
}

/// <summary>The answer to a form confirmation: the form as it now is, with a notice.</summary>
public sealed record FormConfirmation(DownstreamForm Form, CommitmentView View, string Notice);

/// <summary>
/// The domain operations of Commitments: capture (header, downstream forms, audit, ERP snapshot and notices in one unit of
/// work), enrichment and edits (appended, never overwritten, with optimistic concurrency) and form confirmation.
/// </summary>
public sealed partial class CommitmentService(OpsBotDbContext db, CustomerAccess customers, CommitmentQueries queries, IOptions<CommitmentOptions> options,
    TimeProvider time, ILogger<CommitmentService> log)
{
    private CommitmentOptions Options => options.Value;
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    // ---- capture -------------------------------------------------------------------------------------------------

    /// <summary>A new capture form's input: the shortcut's values, a new opportunity id, today, the viewer as owner and the account's facts.</summary>
    public async Task<(CaptureInput Input, IReadOnlyList<string> Unknown)> NewCaptureAsync(string shortcut, Viewer viewer, CancellationToken ct)
    {
        var (input, unknown) = Shortcut.Parse(shortcut, Options.Currencies);
        input = input with
        {
            OpportunityId = input.OpportunityId.Length > 0 ? input.OpportunityId : NewOpportunityId(),
            CommitDate = input.CommitDate.Length > 0 ? input.CommitDate : Fields.Date(DateOnly.FromDateTime(Now)),
            AccountOwner = viewer.Id,
        };
        if (input.AccountNumber.Length > 0 && await customers.FindByNumberAsync(input.AccountNumber, viewer, Now, "commit shortcut", ct) is { } account)
            input = Prefill(input, account);
        return (input, unknown);
    }

    private static CaptureInput Prefill(CaptureInput input, Customer account)
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

    /// <summary>Validates; errors and unconfirmed warnings are refused; otherwise stores everything in one unit of work.</summary>
    public async Task<CaptureOutcome> CaptureAsync(CaptureInput input, string formId, IReadOnlyCollection<string> acceptedWarnings, Viewer viewer,
        CaptureOrigin origin, CancellationToken ct)
    {
        // One open connection for the reads and the write of this unit of work, instead of one open and close per statement.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            return await CaptureOnceAsync(input, formId, acceptedWarnings, viewer, origin, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<CaptureOutcome> CaptureOnceAsync(CaptureInput input, string formId, IReadOnlyCollection<string> acceptedWarnings, Viewer viewer,
        CaptureOrigin origin, CancellationToken ct)
    {
        var now = Now;
        var clashes = await CaptureRules.ClashesAsync(db, input, formId, ct);
        if (clashes.FirstOrDefault(c => c.CaptureFormId == formId) is { } existing) return new CaptureOutcome.AlreadySaved(existing.OpportunityId);

        var (result, checkedInput) = await CaptureRules.ValidateAsync(db, customers, input, viewer, Options, now, ct, clashes);
        var ownerName = viewer.Is(checkedInput.AccountOwner) ? viewer.Name : checkedInput.AccountOwner;
        if (!result.IsValid) return new CaptureOutcome.Refused(input, result.Errors, null, ownerName);
        if (result.Warnings.Any(w => !acceptedWarnings.Contains(w.Code)))
        {
            // Remembered per form, so the metrics can tell a warning the rep then corrected from one they confirmed.
            db.Audit(now, viewer.Id, viewer.Name, "capture-warned", "CaptureForm", formId.Length > 128 ? formId[..128] : formId,
                note: string.Join(',', result.Warnings.Select(w => w.Code)));
            await db.SaveChangesAsync(ct);
            return new CaptureOutcome.Refused(checkedInput, null, result.Warnings, ownerName);
        }

        var roles = await db.RoleAssignments.AsNoTracking().ToListAsync(ct);
        var commitment = Create(checkedInput, result.Customer!, formId, viewer, ownerName, origin, roles, now);
        commitment.ConfirmedWarnings = string.Join(',', result.Warnings.Select(w => w.Code).Distinct());
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex)
        {
            LogCaptureConflict(ex, checkedInput.OpportunityId);
            db.ChangeTracker.Clear();
            if (await db.Commitments.AnyAsync(c => c.CaptureFormId == formId, ct)) return new CaptureOutcome.AlreadySaved(checkedInput.OpportunityId);
            var (again, _) = await CaptureRules.ValidateAsync(db, customers, input, viewer, Options, now, ct);
            var errors = again.IsValid ? new Dictionary<string, string> { ["opportunityId"] = "This commitment was saved by someone else at the same moment. Check and submit again." } : again.Errors;
            return new CaptureOutcome.Refused(input, errors, null, ownerName);
        }
        LogCaptured(commitment.OpportunityId, commitment.Customer.Number);
        return new CaptureOutcome.Saved(commitment);
    }

    private Commitment Create(CaptureInput i, Customer account, string formId, Viewer viewer, string ownerName, CaptureOrigin origin, List<RoleAssignment> roles, DateTime now)
    {
        Fields.TryParseDate(i.CommitDate, out var commitDate);
        Fields.TryParseDate(i.RequestedDeliveryDate, out var delivery);
        Fields.TryParseMoney(i.CommittedValue, out var value);
        var c = new Commitment
        {
            OpportunityId = i.OpportunityId, Customer = account, CustomerId = account.Id, CustomerName = i.CustomerName,
            Segment = Enum.Parse<CustomerSegment>(i.Segment, ignoreCase: true), MasterAgreementRef = i.MasterAgreementRef,
            CustomerPoNumber = i.CustomerPoNumber, CommittedValue = value, Currency = i.Currency.ToUpperInvariant(), CommitDate = commitDate,
            RequestedDeliveryDate = delivery, ShipToSite = i.ShipToSite, BillToSite = i.BillToSite, PaymentTerms = i.PaymentTerms,
            AccountOwnerId = i.AccountOwner, AccountOwnerName = ownerName,
            CreatedById = viewer.Id, CreatedByName = viewer.Name, CreatedAt = now, UpdatedById = viewer.Id, UpdatedByName = viewer.Name, UpdatedAt = now,
            CaptureFormId = formId, ServiceUrl = origin.ServiceUrl, TenantId = origin.TenantId,
            SummaryConversationId = origin.ConversationId, SummaryActivityId = origin.CardActivityId, Version = 1,
        };
        var start = commitDate.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        foreach (var kind in Enum.GetValues<FormKind>())
            c.Forms.Add(new DownstreamForm { Kind = kind, Role = RoleFor(kind), DueAt = start.AddDays(Options.DueDays.GetValueOrDefault(kind, 3)), Commitment = c });
        db.Commitments.Add(c);
        var view = CommitmentView.Of(c);
        db.Audit(now, viewer.Id, viewer.Name, "commitment-created", "Commitment", c.OpportunityId, after: view);
        ErpFeed.Append(db, c, view, now);
        foreach (var form in c.Forms) CommitmentNotifications.NotifyOwners(db, form, view, roles, now);
        if (c.SummaryActivityId is { Length: > 0 } summary) CommitmentNotifications.TrackSummary(db, c, summary, viewer.Id, now);
        return c;
    }

    public static OwnerRole RoleFor(FormKind kind) => kind switch
    {
        FormKind.SalesOrderDraft => OwnerRole.OrderDesk,
        FormKind.CommissionCredit => OwnerRole.SalesOps,
        FormKind.SupplyPlanRequest => OwnerRole.SupplyChain,
        _ => OwnerRole.Service,
    };

    // ---- enrichment ----------------------------------------------------------------------------------------------

    public const int MaxNote = 1000;

    /// <summary>Appends a fact; retried when someone else's enrichment took the version at the same moment.</summary>
    public async Task<EnrichOutcome> EnrichAsync(string opportunityId, Fields.Enrichable field, string value, string note, Viewer viewer, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var c = await queries.FindAsync(opportunityId, viewer, Now, "enrich", ct);
            if (c is null) return new EnrichOutcome.NotFound();
            var error = await CheckAsync(field, value, c, ct) ?? StoreLimits.TextProblem("The note", note, MaxNote);
            if (error is not null) return new EnrichOutcome.Refused(error);
            try
            {
                var view = Append(c, [(field.Field, Normalize(field, value))], note, viewer);
                await db.SaveChangesAsync(ct);
                return new EnrichOutcome.Recorded(c, view);
            }
            catch (DbUpdateException ex) when (ex is DbUpdateConcurrencyException || StoreErrors.IsUniqueViolation(ex))
            {
                // Someone else's enrichment took this version (the commitment's token or the ERP snapshot's unique index).
                db.ChangeTracker.Clear();
                if (attempt < 2) continue;
                return new EnrichOutcome.Refused($"{opportunityId} was changed by someone else at the same moment, so your {field.Label.ToLowerInvariant()} was not recorded. Please try again.");
            }
        }
    }

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
        if (field.Field == Fields.CustomerPoNumber && await db.Commitments.AnyAsync(x => x.CustomerPoNumber == value && x.CustomerId == c.CustomerId && x.Id != c.Id, ct))
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
        ErpFeed.Append(db, c, view, now);
        db.RefreshCards(c);
        return view;
    }

    // ---- edit with optimistic concurrency ------------------------------------------------------------------------

    /// <summary>The header fields the edit card offers (input id, enrichment alias).</summary>
    public static readonly (string Key, string Alias)[] Editable =
    [
        ("requestedDeliveryDate", "delivery"), ("committedValue", "value"), ("shipToSite", "ship-to"), ("billToSite", "bill-to"),
        ("paymentTerms", "terms"), ("customerPoNumber", "po"), ("masterAgreementRef", "agreement"),
    ];

    /// <summary>Saves an edit made on version <paramref name="version"/>; a stale version changes nothing.</summary>
    /// <param name="values">Input id (<see cref="Editable"/>) → the value typed; empty means unchanged.</param>
    public async Task<EditOutcome> SaveEditAsync(string opportunityId, int? version, Func<string, string?> values, string? note, Viewer viewer, CancellationToken ct)
    {
        var c = await queries.FindAsync(opportunityId, viewer, Now, "commitment.save", ct);
        if (c is null) return new EditOutcome.NotFound();
        if (version is not { } edited) return new EditOutcome.OutOfDate();
        if (edited != c.Version) return new EditOutcome.Stale(c);

        var current = CommitmentView.Of(c);
        var changes = new List<(string, string)>();
        foreach (var (key, alias) in Editable)
        {
            var raw = values(key)?.Trim() ?? "";
            var field = Fields.ByAlias[alias];
            if (raw.Length == 0) continue;
            if (await CheckAsync(field, raw, c, ct) is { } error) return new EditOutcome.Invalid(current, $"{field.Label}: {error}", edited);
            var normalized = Normalize(field, raw);
            if (!string.Equals(normalized, current.Get(field.Field), StringComparison.Ordinal)) changes.Add((field.Field, normalized));
        }
        note = note?.Trim();
        if (StoreLimits.TextProblem("Note", note, MaxNote) is { } noteError) return new EditOutcome.Invalid(current, noteError, edited);
        if (!string.IsNullOrEmpty(note)) changes.Add((Fields.Note, note));
        if (changes.Count == 0) return new EditOutcome.Unchanged(c, current);

        var view = Append(c, changes, null, viewer);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex is DbUpdateConcurrencyException || StoreErrors.IsUniqueViolation(ex))
        {
            db.ChangeTracker.Clear();
            var fresh = await queries.FindAsync(opportunityId, viewer, Now, "commitment.save", ct);
            return fresh is null ? new EditOutcome.NotFound() : new EditOutcome.Stale(fresh);
        }
        return new EditOutcome.Saved(c, view);
    }

    // ---- downstream form confirmation ----------------------------------------------------------------------------

    /// <summary>Confirms a downstream form; only the role's people may (when the role names people). Null: no such commitment or form for the viewer.</summary>
    public async Task<FormConfirmation?> ConfirmFormAsync(string opportunityId, string? kindName, Viewer viewer, CancellationToken ct)
    {
        var now = Now;
        var c = await queries.FindAsync(opportunityId, viewer, now, "commitment.form.confirm", ct);
        if (c is null || !Enum.TryParse<FormKind>(kindName, out var kind) || c.Forms.FirstOrDefault(f => f.Kind == kind) is not { } form) return null;
        var view = CommitmentView.Of(c);
        if (form.Status == FormStatus.Confirmed)
            return new(form, view, $"Already confirmed by {form.ConfirmedByName} at {Fields.Time(form.ConfirmedAt!.Value)}.");
        var assignments = await db.RoleAssignments.Where(r => r.Role == form.Role).ToListAsync(ct);
        if (assignments.Any(a => a.UserId is not null) && !assignments.Any(a => viewer.Is(a.UserId)))
            return new(form, view, $"Only {CommitmentSummaryCard.RoleLabel(form.Role)} can confirm this form.");

        form.Status = FormStatus.Confirmed;
        form.ConfirmedById = viewer.Id;
        form.ConfirmedByName = viewer.Name;
        form.ConfirmedAt = now;
        db.Audit(now, viewer.Id, viewer.Name, "form-confirmed", "DownstreamForm", CommitmentNotifications.FormCorrelation(opportunityId, kind));
        db.RefreshLiveCard(CommitmentLiveCards.SummaryKey(opportunityId));
        db.RefreshLiveCard(CommitmentLiveCards.FormKey(opportunityId, kind));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            var fresh = await queries.FindAsync(opportunityId, viewer, now, "commitment.form.confirm", ct);
            var f = fresh!.Forms.First(x => x.Kind == kind);
            return new(f, CommitmentView.Of(fresh), f.Status == FormStatus.Confirmed ? $"Already confirmed by {f.ConfirmedByName}." : "Someone changed this form at the same moment; try again.");
        }
        return new(form, view, "Confirmed. Thank you.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Commitment {OpportunityId} captured for account {Account}")]
    private partial void LogCaptured(string opportunityId, string account);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Saving commitment {OpportunityId} failed; re-validating")]
    private partial void LogCaptureConflict(Exception ex, string opportunityId);
}
