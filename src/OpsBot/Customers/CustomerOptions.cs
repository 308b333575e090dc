namespace OpsBot.Customers;

/// <summary>
/// The customer accounts, still read from the <c>Commitments:Accounts</c> section so existing configuration keeps working;
/// they are seeded into the store at start-up. Who may administer them is <c>People:Admins</c>.
/// </summary>
public sealed class CustomerOptions
{
    public const string Section = "Commitments";

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
