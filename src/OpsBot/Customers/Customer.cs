namespace OpsBot.Customers;

public enum CustomerSegment { Strategic, Key, Standard }

public enum SiteKind { ShipTo, BillTo, Service }

public enum MemberKind { Person, Channel }

public enum IdentifierKind { Erp, Crm, Domain, Phone, Tenant, Tax }

/// <summary>
/// One customer, known by its number, names and <see cref="Identifiers"/> in every channel. A <see cref="Restricted"/>
/// customer is visible only to its <see cref="Members"/> (<see cref="CustomerAccess"/>).
/// </summary>
public sealed class Customer
{
    public int Id { get; set; }
    public required string Number { get; set; }
    public required string Name { get; set; }
    public string? LegalName { get; set; }
    /// <summary>The normalised name (<see cref="CustomerIndex"/>): what fuzzy matching and prefix search compare.</summary>
    public string SearchName { get; set; } = "";
    public CustomerSegment Segment { get; set; } = CustomerSegment.Standard;
    public string? Industry { get; set; }
    /// <summary>The owner rep: Teams user id or Entra object id.</summary>
    public string? OwnerId { get; set; }
    public string? OwnerName { get; set; }
    /// <summary>A global account's subsidiary (by country or region) points at its parent.</summary>
    public int? ParentId { get; set; }
    public bool Restricted { get; set; }
    /// <summary>Created from a name nobody had registered (an upgrade, an alert from another system): an admin should confirm it.</summary>
    public bool NeedsReview { get; set; }
    /// <summary>Set when merged into another customer (<see cref="CustomerMerge"/>); a merged customer resolves to its survivor.</summary>
    public int? MergedIntoId { get; set; }
    public string? MasterAgreementRef { get; set; }
    public string? PaymentTerms { get; set; }
    /// <summary>Usual commitment value; when absent, the range is computed from the customer's history.</summary>
    public decimal? UsualValueMin { get; set; }
    public decimal? UsualValueMax { get; set; }
    public DateTime CreatedAt { get; set; }
    public List<CustomerMember> Members { get; set; } = [];
    public List<CustomerSite> Sites { get; set; } = [];
    public List<CustomerContact> Contacts { get; set; } = [];
    public List<CustomerIdentifier> Identifiers { get; set; } = [];
    public List<CustomerNameToken> NameTokens { get; set; } = [];
}

/// <summary>Who may see a restricted customer: a person (Teams user id or Entra object id) or a channel (its conversation id).</summary>
public sealed class CustomerMember
{
    public int Id { get; set; }
    public int CustomerId { get; set; }
    public MemberKind Kind { get; set; }
    public required string Key { get; set; }
}

public sealed class CustomerSite
{
    public int Id { get; set; }
    public int CustomerId { get; set; }
    public SiteKind Kind { get; set; }
    public required string Name { get; set; }
    /// <summary>ISO 3166 country code or name.</summary>
    public string? Country { get; set; }
    /// <summary>IANA time zone, e.g. Europe/Berlin.</summary>
    public string? TimeZone { get; set; }
}

public sealed class CustomerContact
{
    public int Id { get; set; }
    public int CustomerId { get; set; }
    public required string Name { get; set; }
    public string? Role { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
}

/// <summary>A key the customer is known by elsewhere; the normalised <see cref="Value"/> is unique per <see cref="Kind"/>.</summary>
public sealed class CustomerIdentifier
{
    public int Id { get; set; }
    public int CustomerId { get; set; }
    public IdentifierKind Kind { get; set; }
    public required string Value { get; set; }
}

/// <summary>One word of a customer's normalised name: the candidate lookup behind fuzzy matching.</summary>
public sealed class CustomerNameToken
{
    public int CustomerId { get; set; }
    public required string Token { get; set; }
}

/// <summary>A merge of <see cref="MergedId"/> into <see cref="SurvivorId"/>, with what moved so that it can be undone exactly.</summary>
public sealed class CustomerMerge
{
    public int Id { get; set; }
    public int SurvivorId { get; set; }
    public int MergedId { get; set; }
    public DateTime At { get; set; }
    public required string ById { get; set; }
    public required string ByName { get; set; }
    /// <summary>The ids of every row moved, by table.</summary>
    public required string MovedJson { get; set; }
    public DateTime? UndoneAt { get; set; }
}
