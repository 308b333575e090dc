using System.ComponentModel.DataAnnotations;
using OpsBot.Settings;

namespace OpsBot.Commitments;

/// <summary>Configuration section <c>Commitments</c> (accounts are <see cref="Customers.CustomerOptions"/>, owning roles <c>People:Roles</c>).</summary>
public sealed class CommitmentOptions
{
    public const string Section = "Commitments";

    /// <summary>Days after the commit date each downstream form is due.</summary>
    public Dictionary<FormKind, int> DueDays { get; set; } = new()
    {
        [FormKind.SalesOrderDraft] = 2,
        [FormKind.CommissionCredit] = 5,
        [FormKind.SupplyPlanRequest] = 3,
        [FormKind.ServiceWorkOrder] = 7,
    };
    /// <summary>How long past its due date a form may stay open before an interruption alert is raised for the account.</summary>
    [NotNegative]
    public TimeSpan AlertAfterOverdue { get; set; } = TimeSpan.FromDays(2);
    /// <summary>How often the overdue scheduler looks at due dates.</summary>
    [Positive]
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Kind of the interruption alert raised for an overdue form (one of the Alerts kinds).</summary>
    public string OverdueAlertKind { get; set; } = "order-error";
    /// <summary>Severity (1 highest … 4) of the interruption alert raised for an overdue form.</summary>
    [Range(1, 4)]
    public int OverdueAlertSeverity { get; set; } = 2;
    /// <summary>ISO 4217 codes accepted for committed values.</summary>
    public List<string> Currencies { get; set; } = ["USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "CNY", "INR", "SEK"];
    /// <summary>A value outside [usual min / factor, usual max × factor] is "far from the usual range".</summary>
    [Range(typeof(decimal), "1", "1000000")]
    public decimal UnusualValueFactor { get; set; } = 3m;
    public ErpWebhookOptions ErpWebhook { get; set; } = new();
}

public sealed class ErpWebhookOptions
{
    /// <summary>Where feed entries are POSTed in order; empty disables the push.</summary>
    [AbsoluteUrl]
    public string? Url { get; set; }
    /// <summary>Sent as <c>X-Api-Key</c> to the ERP endpoint, if set.</summary>
    public string? ApiKey { get; set; }
    [Positive]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
    [Positive]
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(2);
    [Positive]
    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(5);
    [Positive]
    public int BatchSize { get; set; } = 50;
}
