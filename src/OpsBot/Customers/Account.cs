namespace OpsBot.Customers;

public enum AccountSegment { Strategic, Key, Standard }

public enum SiteKind { ShipTo, BillTo }

/// <summary>A customer account; <see cref="Restricted"/> accounts are visible only to <see cref="Members"/> (the strategic lane).</summary>
public sealed class Account
{
    public int Id { get; set; }
    public required string Number { get; set; }
    public required string Name { get; set; }
    public AccountSegment Segment { get; set; } = AccountSegment.Standard;
    public bool Restricted { get; set; }
    public string? MasterAgreementRef { get; set; }
    public string? PaymentTerms { get; set; }
    /// <summary>Usual commitment value; when absent, the range is computed from the account's history.</summary>
    public decimal? UsualValueMin { get; set; }
    public decimal? UsualValueMax { get; set; }
    public DateTime CreatedAt { get; set; }
    public List<AccountMember> Members { get; set; } = [];
    public List<AccountSite> Sites { get; set; } = [];
}

/// <summary>A person allowed to see a restricted account: Teams user id (29:…) or Entra object id.</summary>
public sealed class AccountMember
{
    public int Id { get; set; }
    public int AccountId { get; set; }
    public required string UserId { get; set; }
}

public sealed class AccountSite
{
    public int Id { get; set; }
    public int AccountId { get; set; }
    public SiteKind Kind { get; set; }
    public required string Name { get; set; }
}
