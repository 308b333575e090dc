using System.Globalization;
using OpsBot.Customers;

namespace OpsBot.Commitments;

public sealed record FormField(string Value, string Error, bool HasError);

public sealed record Choice(string Title, string Value);

public sealed record WarningItem(string Message, string Hint);

/// <summary>Model of <c>cards/commitment-form.json</c>: every input keeps the user's value and carries its own error text.</summary>
public sealed record CommitmentFormCard(
    string Title, string Notice, bool HasNotice, string FormId, string AcceptWarnings, bool HasErrors, string ErrorSummary,
    bool HasWarnings, IReadOnlyList<WarningItem> Warnings, IReadOnlyDictionary<string, FormField> Fields,
    IReadOnlyList<Choice> Currencies, IReadOnlyList<Choice> Segments, IReadOnlyList<Choice> Owners)
{
    public static CommitmentFormCard Build(CaptureInput input, string formId, IReadOnlyDictionary<string, string>? errors,
        IReadOnlyList<CaptureWarning>? warnings, string? notice, CommitmentOptions options, Viewer viewer, string ownerName)
    {
        errors ??= new Dictionary<string, string>();
        warnings ??= [];
        var fields = CaptureInput.Keys.ToDictionary(k => k, k =>
        {
            var error = errors.GetValueOrDefault(k) ?? "";
            var warning = warnings.FirstOrDefault(w => w.Field == k);
            if (error.Length == 0 && warning is not null) error = "⚠ " + warning.Message;
            return new FormField(input.Get(k), error, error.Length > 0);
        });
        var owners = new List<Choice> { new(viewer.Name, viewer.Id) };
        if (input.AccountOwner.Length > 0 && input.AccountOwner != viewer.Id) owners.Add(new(ownerName, input.AccountOwner));
        return new CommitmentFormCard(
            "New commitment", notice ?? "", !string.IsNullOrEmpty(notice), formId,
            string.Join(',', warnings.Select(w => w.Code)),
            errors.Count > 0, errors.Count == 1 ? "1 field needs your attention." : $"{errors.Count} fields need your attention.",
            warnings.Count > 0 && errors.Count == 0, warnings.Select(w => new WarningItem(w.Message, w.Hint)).ToList(),
            fields,
            options.Currencies.Select(c => new Choice(c, c)).ToList(),
            Enum.GetNames<CustomerSegment>().Select(s => new Choice(s, s)).ToList(),
            owners);
    }
}

public sealed record Fact(string Title, string Value);

public sealed record FormLine(string Kind, string Label, string Role, string Due, string Status, bool Overdue);

/// <summary>Model of <c>cards/commitment-summary.json</c>.</summary>
public sealed record CommitmentSummaryCard(
    string Title, string Subtitle, string Notice, bool HasNotice, string OpportunityId, string AccountNumber, int Version,
    IReadOnlyList<Fact> Facts, IReadOnlyList<FormLine> Forms, IReadOnlyList<Fact> Enrichment, bool HasEnrichment)
{
    public static CommitmentSummaryCard Build(CommitmentView v, IEnumerable<DownstreamForm> forms, DateTime now, string? notice = null)
    {
        var enrichment = new List<Fact>();
        if (v.ConfirmedShipDate is { } sd) enrichment.Add(new("Confirmed ship date", Fields.Date(sd)));
        if (v.Quantity is not null) enrichment.Add(new("Quantity", v.Quantity));
        if (v.Contact is not null) enrichment.Add(new("Customer contact", v.Contact));
        foreach (var n in v.Notes.TakeLast(3)) enrichment.Add(new("Note", n));
        return new CommitmentSummaryCard(
            $"Commitment {v.OpportunityId} — {v.CustomerName}",
            $"Version {v.Version} · updated by {v.UpdatedByName} at {Fields.Time(v.UpdatedAt)}",
            notice ?? "", !string.IsNullOrEmpty(notice), v.OpportunityId, v.AccountNumber, v.Version,
            HeaderFacts(v),
            forms.OrderBy(f => f.Kind).Select(f => Line(f, now)).ToList(),
            enrichment, enrichment.Count > 0);
    }

    public static List<Fact> HeaderFacts(CommitmentView v) =>
    [
        new("Opportunity", v.OpportunityId),
        new("Account", $"{v.AccountNumber} ({v.Segment})"),
        new("Customer", v.CustomerName),
        new("Master agreement", v.MasterAgreementRef),
        new("Customer PO", v.CustomerPoNumber),
        new("Committed value", v.ValueDisplay),
        new("Commit date", Fields.Date(v.CommitDate)),
        new("Requested delivery", Fields.Date(v.RequestedDeliveryDate)),
        new("Ship-to", v.ShipToSite),
        new("Bill-to", v.BillToSite),
        new("Payment terms", v.PaymentTerms),
        new("Account owner", v.AccountOwnerName),
    ];

    public static FormLine Line(DownstreamForm f, DateTime now) => new(
        f.Kind.ToString(), FormLabel(f.Kind), RoleLabel(f.Role), Fields.Time(f.DueAt),
        f.Status == FormStatus.Confirmed ? $"Confirmed by {f.ConfirmedByName} at {Fields.Time(f.ConfirmedAt!.Value)}"
            : f.DueAt < now ? "Overdue" : "Open",
        f.Status == FormStatus.Open && f.DueAt < now);

    public static string FormLabel(FormKind k) => k switch
    {
        FormKind.SalesOrderDraft => "Sales order draft",
        FormKind.CommissionCredit => "Commission credit",
        FormKind.SupplyPlanRequest => "Supply plan request",
        FormKind.ServiceWorkOrder => "Service work order",
        _ => k.ToString(),
    };

    public static string RoleLabel(OwnerRole r) => r switch
    {
        OwnerRole.OrderDesk => "Order desk",
        OwnerRole.SalesOps => "Sales ops",
        OwnerRole.SupplyChain => "Supply chain",
        OwnerRole.Service => "Service",
        _ => r.ToString(),
    };
}

/// <summary>Model of <c>cards/commitment-form-task.json</c>: one downstream form for its owner, header values read through the commitment.</summary>
public sealed record CommitmentFormTaskCard(
    string Title, string Subtitle, string Notice, bool HasNotice, string OpportunityId, string Kind, int Version, string Status,
    bool CanConfirm, IReadOnlyList<Fact> Facts)
{
    public static CommitmentFormTaskCard Build(DownstreamForm f, CommitmentView v, DateTime now, string? notice = null)
    {
        var facts = CommitmentSummaryCard.HeaderFacts(v);
        facts.Insert(0, new("Owner", CommitmentSummaryCard.RoleLabel(f.Role)));
        facts.Insert(1, new("Due", Fields.Time(f.DueAt)));
        if (f.Kind == FormKind.CommissionCredit) facts.Add(new("Credit to", v.AccountOwnerName));
        if (v.ConfirmedShipDate is { } sd) facts.Add(new("Confirmed ship date", Fields.Date(sd)));
        var line = CommitmentSummaryCard.Line(f, now);
        return new CommitmentFormTaskCard(
            $"{CommitmentSummaryCard.FormLabel(f.Kind)} — {v.OpportunityId}", $"{v.CustomerName} · {v.ValueDisplay}",
            notice ?? "", !string.IsNullOrEmpty(notice), v.OpportunityId, f.Kind.ToString(), f.Version, line.Status,
            f.Status == FormStatus.Open, facts);
    }
}

public sealed record ListItem(string OpportunityId, string Title, string Detail);

/// <summary>Model of <c>cards/commitment-list.json</c>: one page of at most <see cref="PageSize"/> items.</summary>
public sealed record CommitmentListCard(
    string Title, string Subtitle, bool IsEmpty, string EmptyText, IReadOnlyList<ListItem> Items,
    bool HasPrevious, bool HasNext, string List, string Key, int PreviousPage, int NextPage)
{
    public const int PageSize = 10;

    public static CommitmentListCard Build(string title, string list, string key, int page, int total, IReadOnlyList<ListItem> items, string emptyText)
    {
        var pages = Math.Max(1, (total + PageSize - 1) / PageSize);
        return new CommitmentListCard(title,
            total == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"Page {page} of {pages} · {total} in all"),
            total == 0, emptyText, items, page > 1, page < pages, list, key, Math.Max(1, page - 1), page + 1);
    }
}

public sealed record HistoryItem(string When, string Who, string What, string Previous, bool HasPrevious, string Note, bool HasNote);

/// <summary>Model of <c>cards/commitment-history.json</c>: the capture and every enrichment, oldest first.</summary>
public sealed record CommitmentHistoryCard(string Title, string Subtitle, string OpportunityId, IReadOnlyList<HistoryItem> Items);

/// <summary>Model of <c>cards/commitment-edit.json</c>: the editable header fields at <see cref="Version"/>.</summary>
public sealed record CommitmentEditCard(
    string Title, string Notice, bool HasNotice, string OpportunityId, int Version, string RequestedDeliveryDate, string CommittedValue,
    string ShipToSite, string BillToSite, string PaymentTerms, string CustomerPoNumber, string MasterAgreementRef, string Note)
{
    public static CommitmentEditCard Build(CommitmentView v, string? notice = null) => new(
        $"Edit {v.OpportunityId} — {v.CustomerName}", notice ?? "", !string.IsNullOrEmpty(notice), v.OpportunityId, v.Version,
        Fields.Date(v.RequestedDeliveryDate), Fields.Money(v.CommittedValue), v.ShipToSite, v.BillToSite, v.PaymentTerms,
        v.CustomerPoNumber, v.MasterAgreementRef, "");
}

/// <summary>Model of <c>cards/commitment-conflict.json</c>: someone else saved first.</summary>
public sealed record CommitmentConflictCard(string Title, string Message, string OpportunityId, int Version);
