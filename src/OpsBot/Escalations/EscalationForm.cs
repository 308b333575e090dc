using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Escalations;

/// <summary>The escalation form as submitted (all inputs arrive as strings) and its validation.</summary>
public sealed partial record EscalationForm(
    string Account, string Contact, string Summary, string Impact, string DesiredOutcome, string Severity,
    string OrderRef, string OpportunityRef, string Executive, string FormId, string AlertId, string SourceLink, string SourceAuthor, EscalationOrigin Origin)
{
    /// <summary>The executive choice meaning "let OpsBot assign" (a choice needs a non-empty value).</summary>
    public const string AutomaticExecutive = "auto";

    public static EscalationForm Empty(EscalationOrigin origin) =>
        new("", "", "", "", "", nameof(Data.Severity.Medium), "", "", "", Guid.NewGuid().ToString("n"), "", "", "", origin);

    public static EscalationForm FromData(JsonObject data)
    {
        var origin = Enum.TryParse<EscalationOrigin>(Text(data, "origin"), true, out var o) ? o : EscalationOrigin.Command;
        var formId = Text(data, "formId");
        return new EscalationForm(Text(data, "account"), Text(data, "contact"), Text(data, "summary"), Text(data, "impact"),
            Text(data, "desiredOutcome"), Text(data, "severity") is { Length: > 0 } s ? s : "Medium", Text(data, "orderRef"),
            Text(data, "opportunityRef"), Text(data, "executive") is AutomaticExecutive ? "" : Text(data, "executive"), formId, Text(data, "alertId"), Text(data, "sourceLink"),
            Text(data, "sourceAuthor"), origin);
    }

    /// <summary>Pre-fills the form from a Teams message (message-extension action).</summary>
    public static EscalationForm FromMessage(JsonObject? payload)
    {
        var form = Empty(EscalationOrigin.MessageAction);
        if (payload is null) return form;
        var body = payload["body"]?["content"]?.GetValue<string>() ?? "";
        var isHtml = !string.Equals(payload["body"]?["contentType"]?.GetValue<string>(), "text", StringComparison.OrdinalIgnoreCase);
        var text = isHtml ? HtmlToText(body) : body.Trim();
        var author = payload["from"]?["user"]?["displayName"]?.GetValue<string>() ?? "";
        return form with
        {
            Summary = Clip(text, 2000),
            Contact = author,
            SourceAuthor = Clip(author, 200),
            SourceLink = Clip(payload["linkToMessage"]?.GetValue<string>() ?? "", 1000),
        };
    }

    public static string HtmlToText(string html)
    {
        var withBreaks = LineBreaks().Replace(html, "\n");
        var stripped = Tags().Replace(withBreaks, "");
        var decoded = WebUtility.HtmlDecode(stripped);
        return Blank().Replace(decoded.Replace("\r", ""), "\n\n").Trim();
    }

    public FormErrors Validate(IReadOnlyList<Executive> executives)
    {
        var e = new FormErrors();
        if (string.IsNullOrWhiteSpace(Account)) e.Account = "Enter the customer account.";
        else if (Account.Length > 200) e.Account = "The account name is too long (at most 200 characters).";
        if (string.IsNullOrWhiteSpace(Contact)) e.Contact = "Who at the customer raised it? Enter a name and how to reach them.";
        else if (Contact.Length > 200) e.Contact = "Keep the contact under 200 characters.";
        if (Summary.Trim().Length < 10) e.Summary = "Describe what happened (at least 10 characters).";
        else if (Summary.Length > 2000) e.Summary = "Keep the description under 2000 characters.";
        if (string.IsNullOrWhiteSpace(Impact)) e.Impact = "Describe the impact on the customer.";
        else if (Impact.Length > 1000) e.Impact = "Keep the impact under 1000 characters.";
        if (string.IsNullOrWhiteSpace(DesiredOutcome)) e.DesiredOutcome = "What outcome does the customer want?";
        else if (DesiredOutcome.Length > 1000) e.DesiredOutcome = "Keep the outcome under 1000 characters.";
        if (!Severities.TryParse(Severity, out _)) e.Severity = "Choose Low, Medium, High or Critical.";
        if (!string.IsNullOrWhiteSpace(Executive) && !executives.Any(x => string.Equals(x.Id, Executive.Trim(), StringComparison.OrdinalIgnoreCase)))
            e.Executive = $"'{Executive}' is not in the executive directory; leave it empty for automatic assignment.";
        return e;
    }

    public Data.Severity ParsedSeverity => Severities.TryParse(Severity, out var s) ? s : throw new InvalidOperationException("Validate the form first.");

    private static string Text(JsonObject data, string key) => data[key] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s.Trim(),
        JsonValue v => v.ToJsonString(),
        _ => "",
    };

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max];

    [GeneratedRegex(@"<\s*(br|/p|/div|/li)\s*/?\s*>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreaks();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex Blank();
}

public sealed class FormErrors
{
    public string? Account { get; set; }
    public string? Contact { get; set; }
    public string? Summary { get; set; }
    public string? Impact { get; set; }
    public string? DesiredOutcome { get; set; }
    public string? Severity { get; set; }
    public string? Executive { get; set; }

    public bool Any => Account is not null || Contact is not null || Summary is not null || Impact is not null ||
                       DesiredOutcome is not null || Severity is not null || Executive is not null;
}
