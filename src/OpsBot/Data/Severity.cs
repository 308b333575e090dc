using System.Globalization;

namespace OpsBot.Data;

/// <summary>
/// How hard a customer is hit, on one scale for alerts and escalations: 1 (Critical, highest) to 4 (Low). The number is what
/// alert forms, the alerts API and options use; escalation forms use the name. Alerts store the number, escalations the name.
/// </summary>
public enum Severity { Critical = 1, High = 2, Medium = 3, Low = 4 }

public static class Severities
{
    public const string NumberRule = "Severity is 1 (highest) to 4.";

    public static int Number(this Severity severity) => (int)severity;

    public static bool TryFromNumber(int? number, out Severity severity)
    {
        severity = number is >= 1 and <= 4 ? (Severity)number.Value : default;
        return severity != default;
    }

    public static Severity FromNumber(int number) =>
        TryFromNumber(number, out var severity) ? severity : throw new ArgumentOutOfRangeException(nameof(number), number, NumberRule);

    /// <summary>A typed or chosen severity: its number (1–4) or its name in any case.</summary>
    public static bool TryParse(string? text, out Severity severity)
    {
        var t = text?.Trim() ?? "";
        if (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return TryFromNumber(n, out severity);
        severity = Enum.GetValues<Severity>().FirstOrDefault(s => string.Equals(s.ToString(), t, StringComparison.OrdinalIgnoreCase));
        return severity != default;
    }

    /// <summary>The more severe of the two.</summary>
    public static Severity Worst(Severity a, Severity b) => a < b ? a : b;

    /// <summary>Severity 1–2: executives are told at once.</summary>
    public static bool IsUrgent(this Severity severity) => severity <= Severity.High;

    /// <summary>The Adaptive Card text colour of the severity.</summary>
    public static string Color(this Severity severity) => severity switch
    {
        Severity.Critical or Severity.High => "Attention",
        Severity.Medium => "Warning",
        _ => "Accent",
    };
}
