namespace OpsBot.Customers;

/// <summary>
/// Section <c>Customers</c>. Customers live in the store; <see cref="Seed"/> is read once, on a store with no customer yet
/// (a first start, a test), and ignored afterwards. <c>Commitments:Accounts</c> is read as <c>Customers:Seed</c> for one release.
/// </summary>
public sealed class CustomerOptions
{
    public const string Section = "Customers";

    public List<CustomerSeed> Seed { get; set; } = [];
    /// <summary>API clients (by name, <c>Api:Keys</c>) that act for the whole company and see restricted customers: an ERP, a data warehouse.</summary>
    public List<string> TrustedApiClients { get; set; } = [];
}

public sealed class CustomerSeed
{
    public string Number { get; set; } = "";
    public string Name { get; set; } = "";
    public string? LegalName { get; set; }
    public CustomerSegment Segment { get; set; } = CustomerSegment.Standard;
    public string? Industry { get; set; }
    public string? OwnerId { get; set; }
    public string? OwnerName { get; set; }
    /// <summary>The parent customer's number (a global account's subsidiary).</summary>
    public string? Parent { get; set; }
    public bool Restricted { get; set; }
    public List<string> AllowedUsers { get; set; } = [];
    /// <summary>Conversation ids of channels that may receive this customer's alerts and cards.</summary>
    public List<string> AllowedChannels { get; set; } = [];
    public List<string> ShipToSites { get; set; } = [];
    public List<string> BillToSites { get; set; } = [];
    /// <summary>Typed identifiers, e.g. <c>ERP:100234</c>, <c>Domain:acme.com</c>, <c>CRM:0015g00000AbCdE</c>.</summary>
    public List<string> Identifiers { get; set; } = [];
    public string? MasterAgreementRef { get; set; }
    public string? PaymentTerms { get; set; }
    public decimal? UsualValueMin { get; set; }
    public decimal? UsualValueMax { get; set; }
}
