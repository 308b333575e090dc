using System.Globalization;
using OpsBot.Customers;

namespace OpsBot.Commitments;

/// <summary>The fields a commitment carries, as users name them (cards, <c>enrich</c>) and as enrichment rows store them.</summary>
public static class Fields
{
    public const string OpportunityId = "OpportunityId";
    public const string AccountNumber = "AccountNumber";
    public const string CustomerName = "CustomerName";
    public const string Segment = "CustomerSegment";
    public const string MasterAgreementRef = "MasterAgreementRef";
    public const string CustomerPoNumber = "CustomerPoNumber";
    public const string CommittedValue = "CommittedValue";
    public const string Currency = "Currency";
    public const string CommitDate = "CommitDate";
    public const string RequestedDeliveryDate = "RequestedDeliveryDate";
    public const string ShipToSite = "ShipToSite";
    public const string BillToSite = "BillToSite";
    public const string PaymentTerms = "PaymentTerms";
    public const string AccountOwner = "AccountOwner";
    public const string ShipDate = "ShipDate";
    public const string Quantity = "Quantity";
    public const string Contact = "Contact";
    public const string Note = "Note";

    public enum ValueKind { Text, Date, Money, Currency }

    public sealed record Enrichable(string Field, string Label, ValueKind Kind, bool IsHeader);

    /// <summary>What <c>enrich</c> accepts: header fields (they change the current view of every form) and facts.</summary>
    public static readonly IReadOnlyDictionary<string, Enrichable> ByAlias = new Dictionary<string, Enrichable>(StringComparer.OrdinalIgnoreCase)
    {
        ["ship-date"] = new(ShipDate, "Confirmed ship date", ValueKind.Date, false),
        ["delivery"] = new(RequestedDeliveryDate, "Requested delivery", ValueKind.Date, true),
        ["value"] = new(CommittedValue, "Committed value", ValueKind.Money, true),
        ["currency"] = new(Currency, "Currency", ValueKind.Currency, true),
        ["ship-to"] = new(ShipToSite, "Ship-to site", ValueKind.Text, true),
        ["bill-to"] = new(BillToSite, "Bill-to site", ValueKind.Text, true),
        ["terms"] = new(PaymentTerms, "Payment terms", ValueKind.Text, true),
        ["po"] = new(CustomerPoNumber, "Customer PO", ValueKind.Text, true),
        ["agreement"] = new(MasterAgreementRef, "Master agreement", ValueKind.Text, true),
        ["quantity"] = new(Quantity, "Quantity", ValueKind.Text, false),
        ["contact"] = new(Contact, "Customer contact", ValueKind.Text, false),
        ["note"] = new(Note, "Note", ValueKind.Text, false),
    };

    public static string Label(string field) =>
        ByAlias.Values.FirstOrDefault(e => e.Field == field)?.Label ?? field;

    public static string Alias(string field) => ByAlias.FirstOrDefault(p => p.Value.Field == field).Key ?? field;

    public static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    public static string Money(decimal v) => v.ToString("0.00##", CultureInfo.InvariantCulture);
    public static string MoneyDisplay(decimal v, string currency) => v.ToString("N2", CultureInfo.InvariantCulture) + " " + currency;
    public static string Time(DateTime t) => t.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static bool TryParseDate(string? text, out DateOnly date) =>
        DateOnly.TryParseExact(text?.Trim(), ["yyyy-MM-dd", "yyyy-M-d"], CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>Amounts as reps type them: 250000, 250,000, 250000.50, 250k, 1.2m.</summary>
    public static bool TryParseMoney(string? text, out decimal value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim().Replace(",", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        var factor = 1m;
        if (t.EndsWith('k') || t.EndsWith('K')) { factor = 1_000m; t = t[..^1]; }
        else if (t.EndsWith('m') || t.EndsWith('M')) { factor = 1_000_000m; t = t[..^1]; }
        if (!decimal.TryParse(t, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return false;
        // Past decimal's range the amount stays a (too large) number, which the callers' bounds refuse by name.
        value = Math.Abs(v) > decimal.MaxValue / factor ? (v < 0 ? decimal.MinValue : decimal.MaxValue) : decimal.Round(v * factor, 4);
        return true;
    }
}

/// <summary>The current view of a commitment: the captured header with its enrichments applied in order.</summary>
public sealed record CommitmentView(
    int Id, string OpportunityId, string AccountNumber, string CustomerName, CustomerSegment Segment, string MasterAgreementRef,
    string CustomerPoNumber, decimal CommittedValue, string Currency, DateOnly CommitDate, DateOnly RequestedDeliveryDate,
    string ShipToSite, string BillToSite, string PaymentTerms, string AccountOwnerId, string AccountOwnerName,
    DateOnly? ConfirmedShipDate, string? Quantity, string? Contact, IReadOnlyList<string> Notes,
    int Version, string CreatedByName, DateTime CreatedAt, string UpdatedByName, DateTime UpdatedAt)
{
    /// <summary>Requires <see cref="Commitment.Customer"/> and <see cref="Commitment.Enrichments"/> loaded.</summary>
    public static CommitmentView Of(Commitment c)
    {
        var v = new CommitmentView(c.Id, c.OpportunityId, c.Customer.Number, c.CustomerName, c.Segment, c.MasterAgreementRef,
            c.CustomerPoNumber, c.CommittedValue, c.Currency, c.CommitDate, c.RequestedDeliveryDate, c.ShipToSite, c.BillToSite,
            c.PaymentTerms, c.AccountOwnerId, c.AccountOwnerName, null, null, null, [], c.Version, c.CreatedByName, c.CreatedAt,
            c.UpdatedByName, c.UpdatedAt);
        foreach (var e in c.Enrichments.OrderBy(e => e.Id)) v = v.Apply(e.Field, e.Value);
        return v;
    }

    public CommitmentView Apply(string field, string value) => field switch
    {
        Fields.ShipDate when Fields.TryParseDate(value, out var d) => this with { ConfirmedShipDate = d },
        Fields.RequestedDeliveryDate when Fields.TryParseDate(value, out var d) => this with { RequestedDeliveryDate = d },
        Fields.CommittedValue when Fields.TryParseMoney(value, out var m) => this with { CommittedValue = m },
        Fields.Currency => this with { Currency = value },
        Fields.ShipToSite => this with { ShipToSite = value },
        Fields.BillToSite => this with { BillToSite = value },
        Fields.PaymentTerms => this with { PaymentTerms = value },
        Fields.CustomerPoNumber => this with { CustomerPoNumber = value },
        Fields.MasterAgreementRef => this with { MasterAgreementRef = value },
        Fields.Quantity => this with { Quantity = value },
        Fields.Contact => this with { Contact = value },
        Fields.Note => this with { Notes = [.. Notes, value] },
        _ => this,
    };

    /// <summary>The current value of <paramref name="field"/> as stored in enrichment rows (invariant text), or null.</summary>
    public string? Get(string field) => field switch
    {
        Fields.ShipDate => ConfirmedShipDate is { } d ? Fields.Date(d) : null,
        Fields.RequestedDeliveryDate => Fields.Date(RequestedDeliveryDate),
        Fields.CommittedValue => Fields.Money(CommittedValue),
        Fields.Currency => Currency,
        Fields.ShipToSite => ShipToSite,
        Fields.BillToSite => BillToSite,
        Fields.PaymentTerms => PaymentTerms,
        Fields.CustomerPoNumber => CustomerPoNumber,
        Fields.MasterAgreementRef => MasterAgreementRef,
        Fields.Quantity => Quantity,
        Fields.Contact => Contact,
        _ => null,
    };

    public string ValueDisplay => Fields.MoneyDisplay(CommittedValue, Currency);
}
