namespace OpsBot.Customers;

/// <summary>
/// The customer accounts and their admins, still read from the <c>Commitments</c> section (<c>Commitments:Accounts</c>,
/// <c>Commitments:Admins</c>) so existing configuration keeps working; accounts are seeded into the store at start-up.
/// </summary>
public sealed class CustomerOptions
{
    public const string Section = "Commitments";

    /// <summary>Teams user ids or Entra object ids allowed to run <c>account add / restrict / site</c>.</summary>
    public List<string> Admins { get; set; } = [];
    public List<AccountSeed> Accounts { get; set; } = [];
}

public sealed class AccountSeed
{
    public string Number { get; set; } = "";
    public string Name { get; set; } = "";
    public AccountSegment Segment { get; set; } = AccountSegment.Standard;
    public bool Restricted { get; set; }
    public List<string> AllowedUsers { get; set; } = [];
    public List<string> ShipToSites { get; set; } = [];
    public List<string> BillToSites { get; set; } = [];
    public string? MasterAgreementRef { get; set; }
    public string? PaymentTerms { get; set; }
    public decimal? UsualValueMin { get; set; }
    public decimal? UsualValueMax { get; set; }
}
