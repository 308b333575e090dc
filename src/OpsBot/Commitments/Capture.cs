using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Commitments;

/// <summary>The capture form's inputs as the user typed them (card input ids are the camelCase property names).</summary>
public sealed record CaptureInput
{
    public string OpportunityId { get; init; } = "";
    public string AccountNumber { get; init; } = "";
    public string CustomerName { get; init; } = "";
    public string Segment { get; init; } = "";
    public string MasterAgreementRef { get; init; } = "";
    public string CustomerPoNumber { get; init; } = "";
    public string CommittedValue { get; init; } = "";
    public string Currency { get; init; } = "";
    public string CommitDate { get; init; } = "";
    public string RequestedDeliveryDate { get; init; } = "";
    public string ShipToSite { get; init; } = "";
    public string BillToSite { get; init; } = "";
    public string PaymentTerms { get; init; } = "";
    public string AccountOwner { get; init; } = "";

    public static readonly string[] Keys =
    [
        "opportunityId", "accountNumber", "customerName", "segment", "masterAgreementRef", "customerPoNumber", "committedValue",
        "currency", "commitDate", "requestedDeliveryDate", "shipToSite", "billToSite", "paymentTerms", "accountOwner",
    ];

    public static CaptureInput From(JsonObject data)
    {
        string S(string key) => data[key] is JsonValue v ? (v.TryGetValue<string>(out var s) ? s : v.ToJsonString()).Trim() : "";
        return new CaptureInput
        {
            OpportunityId = S("opportunityId"), AccountNumber = S("accountNumber"), CustomerName = S("customerName"),
            Segment = S("segment"), MasterAgreementRef = S("masterAgreementRef"), CustomerPoNumber = S("customerPoNumber"),
            CommittedValue = S("committedValue"), Currency = S("currency").ToUpperInvariant(), CommitDate = S("commitDate"),
            RequestedDeliveryDate = S("requestedDeliveryDate"), ShipToSite = S("shipToSite"), BillToSite = S("billToSite"),
            PaymentTerms = S("paymentTerms"), AccountOwner = S("accountOwner"),
        };
    }

    public string Get(string key) => key switch
    {
        "opportunityId" => OpportunityId, "accountNumber" => AccountNumber, "customerName" => CustomerName, "segment" => Segment,
        "masterAgreementRef" => MasterAgreementRef, "customerPoNumber" => CustomerPoNumber, "committedValue" => CommittedValue,
        "currency" => Currency, "commitDate" => CommitDate, "requestedDeliveryDate" => RequestedDeliveryDate, "shipToSite" => ShipToSite,
        "billToSite" => BillToSite, "paymentTerms" => PaymentTerms, "accountOwner" => AccountOwner,
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, "Unknown capture field."),
    };
}

/// <summary>The keys of a stored commitment that a new capture must not repeat.</summary>
public sealed record ExistingCommitment(string? CaptureFormId, string OpportunityId, string CustomerPoNumber, int CustomerId);

/// <summary>An order-error check: the rep may confirm it (the code goes back in the card's data) or correct the input.</summary>
public sealed record CaptureWarning(string Code, string Field, string Message, string Hint);

public sealed record CaptureResult(Dictionary<string, string> Errors, List<CaptureWarning> Warnings, Customer? Customer)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>Server-side rules for the capture form; the card's own checks are a convenience only.</summary>
public static partial class CaptureRules
{
    /// <summary>Commitments that share the form, the opportunity id or the customer PO of <paramref name="input"/>: one read serves every uniqueness check.</summary>
    public static async Task<List<ExistingCommitment>> ClashesAsync(OpsBotDbContext db, CaptureInput input, string formId, CancellationToken ct)
    {
        var clashes = new List<ExistingCommitment>();
        await foreach (var c in Clashes.For(db)(db, formId, input.OpportunityId, input.CustomerPoNumber).WithCancellation(ct)) clashes.Add(c);
        return clashes;
    }

    private static readonly PerModel<Func<OpsBotDbContext, string, string, string, IAsyncEnumerable<ExistingCommitment>>> Clashes = new(() => EF.CompileAsyncQuery(
        (OpsBotDbContext db, string formId, string opp, string po) => db.Commitments.AsNoTracking()
            .Where(c => c.CaptureFormId == formId || c.OpportunityId == opp || c.CustomerPoNumber == po)
            .Select(c => new ExistingCommitment(c.CaptureFormId, c.OpportunityId, c.CustomerPoNumber, c.CustomerId))));

    /// <param name="clashes">From <see cref="ClashesAsync"/> when the caller already read them; read here otherwise.</param>
    public static async Task<(CaptureResult Result, CaptureInput Input)> ValidateAsync(OpsBotDbContext db, CustomerAccess customers, CaptureInput input, Viewer viewer,
        CommitmentOptions options, DateTime now, CancellationToken ct, List<ExistingCommitment>? clashes = null)
    {
        clashes ??= await ClashesAsync(db, input, "", ct);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var warnings = new List<CaptureWarning>();
        var today = DateOnly.FromDateTime(now);

        Customer? account = null;
        if (input.AccountNumber.Length == 0) errors["accountNumber"] = "Enter the customer's account number.";
        else
        {
            // A number is the usual answer (the typeahead submits it); a name, an identifier or a contact's e-mail also resolve.
            account = await customers.FindByNumberAsync(input.AccountNumber, viewer, now, "capture", ct);
            if (account is null)
            {
                var resolved = await new CustomerResolver(db).ResolveAsync(input.AccountNumber, viewer, ct);
                account = resolved.Customer;
                if (account is null) errors["accountNumber"] = CustomerResolver.NotFoundText(input.AccountNumber, resolved.Suggestions);
            }
        }
        if (account is not null)
        {
            input = input with
            {
                AccountNumber = account.Number,
                CustomerName = input.CustomerName.Length > 0 ? input.CustomerName : account.Name,
                Segment = input.Segment.Length > 0 ? input.Segment : account.Segment.ToString(),
                MasterAgreementRef = input.MasterAgreementRef.Length > 0 ? input.MasterAgreementRef : account.MasterAgreementRef ?? "",
                PaymentTerms = input.PaymentTerms.Length > 0 ? input.PaymentTerms : account.PaymentTerms ?? "",
            };
        }

        if (input.OpportunityId.Length == 0) errors["opportunityId"] = "Enter the CRM opportunity id.";
        else if (input.OpportunityId.Length > 64 || !OpportunityPattern().IsMatch(input.OpportunityId))
            errors["opportunityId"] = "Use letters, digits and - _ . / only (at most 64 characters).";
        else if (clashes.Any(c => c.OpportunityId == input.OpportunityId))
            errors["opportunityId"] = $"Opportunity '{input.OpportunityId}' already has a commitment. Use 'show {input.OpportunityId}' or a new opportunity id.";

        Required(errors, input, "customerName", "Enter the customer's name.", 200);
        if (!Enum.TryParse<CustomerSegment>(input.Segment, ignoreCase: true, out _)) errors["segment"] = "Choose Strategic, Key or Standard.";
        Required(errors, input, "masterAgreementRef", "Enter the master agreement reference (negotiated terms).", 64);
        Required(errors, input, "shipToSite", "Enter the ship-to site.", 200);
        Required(errors, input, "billToSite", "Enter the bill-to site.", 200);
        Required(errors, input, "paymentTerms", "Enter the payment terms (e.g. Net 60).", 64);
        Required(errors, input, "accountOwner", "Choose the account owner.", 256);

        if (Required(errors, input, "customerPoNumber", "Enter the customer's PO number.", 64) && account is not null)
        {
            var po = input.CustomerPoNumber;
            var uses = clashes.Where(c => c.CustomerPoNumber == po).ToList();
            if (uses.FirstOrDefault(u => u.CustomerId == account.Id) is { } same)
                errors["customerPoNumber"] = $"PO {po} is already used on this account (opportunity {same.OpportunityId}). Enter the customer's new PO number.";
            else if (uses.Count > 0)
                warnings.Add(new("po-used", "customerPoNumber", $"PO {po} is already used on another account.",
                    "Check the account number and the PO on the customer's document."));
        }

        decimal value = 0;
        if (input.CommittedValue.Length == 0) errors["committedValue"] = "Enter the committed value.";
        else if (!Fields.TryParseMoney(input.CommittedValue, out value)) errors["committedValue"] = "Enter a number, e.g. 250000 or 250,000.50.";
        else if (value <= 0) errors["committedValue"] = "The committed value must be more than zero.";
        else if (StoreLimits.AmountProblem("The committed value", value) is { } tooLarge) errors["committedValue"] = tooLarge;

        if (input.Currency.Length == 0) errors["currency"] = "Choose the currency.";
        else if (!options.Currencies.Contains(input.Currency, StringComparer.OrdinalIgnoreCase))
            errors["currency"] = $"'{input.Currency}' is not a currency OpsBot accepts ({string.Join(", ", options.Currencies)}).";

        DateOnly commit = default, delivery = default;
        var commitOk = input.CommitDate.Length > 0 && Fields.TryParseDate(input.CommitDate, out commit);
        if (input.CommitDate.Length == 0) errors["commitDate"] = "Enter the commit date.";
        else if (!commitOk) errors["commitDate"] = "Enter a date as YYYY-MM-DD.";
        else if (StoreLimits.DateProblem("The commit date", commit) is { } commitRange) { errors["commitDate"] = commitRange; commitOk = false; }
        if (input.RequestedDeliveryDate.Length == 0) errors["requestedDeliveryDate"] = "Enter the requested delivery date.";
        else if (!Fields.TryParseDate(input.RequestedDeliveryDate, out delivery)) errors["requestedDeliveryDate"] = "Enter a date as YYYY-MM-DD.";
        else if (StoreLimits.DateProblem("The requested delivery date", delivery) is { } deliveryRange) errors["requestedDeliveryDate"] = deliveryRange;
        else if (commitOk && delivery < commit) errors["requestedDeliveryDate"] = $"Delivery can't be before the commit date ({Fields.Date(commit)}).";
        else if (delivery < today)
            warnings.Add(new("delivery-past", "requestedDeliveryDate", $"The requested delivery date {Fields.Date(delivery)} is in the past.",
                "Check the year, or confirm if the customer is already late."));

        if (account is not null)
        {
            Site(warnings, account, SiteKind.ShipTo, input.ShipToSite, "shipToSite", "ship-to");
            Site(warnings, account, SiteKind.BillTo, input.BillToSite, "billToSite", "bill-to");
            if (!errors.ContainsKey("committedValue") && !errors.ContainsKey("currency"))
                await UsualRangeAsync(db, warnings, account, value, input.Currency, options.UnusualValueFactor, ct);
        }
        return (new CaptureResult(errors, warnings, account), input);
    }

    private static bool Required(Dictionary<string, string> errors, CaptureInput input, string key, string message, int max)
    {
        var v = input.Get(key);
        if (v.Length == 0) { errors[key] = message; return false; }
        if (v.Length > max) { errors[key] = $"At most {max} characters."; return false; }
        return true;
    }

    private static void Site(List<CaptureWarning> warnings, Customer account, SiteKind kind, string site, string field, string label)
    {
        var known = account.Sites.Where(s => s.Kind == kind).Select(s => s.Name).ToList();
        if (site.Length == 0 || known.Count == 0 || known.Contains(site, StringComparer.OrdinalIgnoreCase)) return;
        warnings.Add(new($"{label}-unknown", field, $"'{site}' is not a known {label} site of {account.Number}.",
            $"Known {label} sites: {string.Join("; ", known)}."));
    }

    private static async Task UsualRangeAsync(OpsBotDbContext db, List<CaptureWarning> warnings, Customer account, decimal value, string currency,
        decimal factor, CancellationToken ct)
    {
        decimal? min = account.UsualValueMin, max = account.UsualValueMax;
        if (min is null || max is null)
        {
            var history = await db.Commitments.Where(c => c.CustomerId == account.Id && c.Currency == currency)
                .OrderByDescending(c => c.Id).Take(50).Select(c => c.CommittedValue).ToListAsync(ct);
            if (history.Count < 3) return;
            min ??= history.Min();
            max ??= history.Max();
        }
        if (value > max * factor || value < min / factor)
            warnings.Add(new("value-unusual", "committedValue",
                $"{Fields.MoneyDisplay(value, currency)} is far from {account.Number}'s usual range ({min.Value.ToString("N0", CultureInfo.InvariantCulture)}–{max.Value.ToString("N0", CultureInfo.InvariantCulture)} {currency}).",
                "Check for a missing or extra zero and the currency."));
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9\-_./]*$")]
    private static partial Regex OpportunityPattern();
}

/// <summary>
/// Reads the one-line shortcut <c>commit ACME-001 PO 4471 250000 USD deliver 2027-01-15</c>. Order is free; keywords are
/// <c>po</c>, <c>deliver</c>, <c>on</c> (commit date), <c>opp</c>, <c>terms</c>; a bare number is the value, a known
/// three-letter code the currency, the first other word the account. Anything else is reported back, never guessed.
/// </summary>
public static class Shortcut
{
    public const string Usage = "commit <account> PO <po number> <value> <currency> deliver <YYYY-MM-DD> [on <commit date>] [opp <opportunity id>]";

    public static (CaptureInput Input, List<string> Unknown) Parse(string args, IReadOnlyCollection<string> currencies)
    {
        var input = new CaptureInput();
        var unknown = new List<string>();
        var tokens = args.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < tokens.Length; i++)
        {
            var t = tokens[i];
            var next = i + 1 < tokens.Length ? tokens[i + 1] : null;
            switch (t.ToLowerInvariant())
            {
                case "po" or "po#" or "po:" when next is not null:
                    input = input with { CustomerPoNumber = next }; i++; continue;
                case "deliver" or "delivery" or "by" when next is not null:
                    if (Fields.TryParseDate(next, out _)) { input = input with { RequestedDeliveryDate = next }; i++; }
                    else unknown.Add($"{t} {next}");
                    continue;
                case "on" or "committed" when next is not null:
                    if (Fields.TryParseDate(next, out _)) { input = input with { CommitDate = next }; i++; }
                    else unknown.Add($"{t} {next}");
                    continue;
                case "opp" or "opportunity" when next is not null:
                    input = input with { OpportunityId = next }; i++; continue;
                case "terms" when next is not null:
                    var terms = string.Join(' ', tokens.Skip(i + 1).TakeWhile(w => !IsKeyword(w)));
                    input = input with { PaymentTerms = terms };
                    i += terms.Split(' ').Length;
                    continue;
            }
            if (t.StartsWith("PO", StringComparison.OrdinalIgnoreCase) && t.Length > 2 && char.IsDigit(t[^1]) && input.CustomerPoNumber.Length == 0 && input.AccountNumber.Length > 0)
                input = input with { CustomerPoNumber = t.TrimStart('P', 'p', 'O', 'o', '-', '#', ':') };
            else if (input.CommittedValue.Length == 0 && Fields.TryParseMoney(t, out _) && char.IsDigit(t[0]))
                input = input with { CommittedValue = t };
            else if (t.Length == 3 && currencies.Contains(t, StringComparer.OrdinalIgnoreCase) && input.Currency.Length == 0)
                input = input with { Currency = t.ToUpperInvariant() };
            else if (Fields.TryParseDate(t, out _) && input.RequestedDeliveryDate.Length == 0)
                input = input with { RequestedDeliveryDate = t };
            else if (input.AccountNumber.Length == 0 && t.Any(char.IsLetterOrDigit) && !IsKeyword(t))
                input = input with { AccountNumber = t.ToUpperInvariant() };
            else unknown.Add(t);
        }
        return (input, unknown);
    }

    private static bool IsKeyword(string w) => w.ToLowerInvariant() is "po" or "deliver" or "delivery" or "by" or "on" or "committed" or "opp" or "opportunity" or "terms";
}
