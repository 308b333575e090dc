namespace OpsBot.Customers;

/// <summary>Cells of every CSV OpsBot exports: RFC 4180 quoting, and no cell a spreadsheet would run as a formula.</summary>
public static class CsvSafe
{
    /// <summary>Characters that make a spreadsheet treat a cell as a formula when they start it.</summary>
    public const string FormulaStarts = "=+-@\t\r";

    /// <summary>
    /// <paramref name="value"/> as one CSV cell: prefixed with <c>'</c> when it starts like a formula (<c>= + - @</c>, tab, CR), then
    /// quoted (inner quotes doubled) when it holds a comma, a quote or a line break.
    /// </summary>
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var safe = FormulaStarts.Contains(value[0]) ? "'" + value : value;
        return safe.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : safe;
    }
}
