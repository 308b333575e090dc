using System.Globalization;
using System.Text;

namespace OpsBot.Customers;

// Temporary: replaced by the full CustomerNames / CustomerIdentifiers.
public static class CustomerNames
{
    public static string Normalize(string name)
    {
        var d = name.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(d.Length);
        foreach (var ch in d)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark) continue;
            sb.Append(char.IsLetterOrDigit(ch) ? char.ToLowerInvariant(ch) : ' ');
        }
        var words = sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        string[] legal = ["inc", "ltd", "llc", "gmbh", "ag", "sa", "corp", "co", "plc", "kk", "limited", "corporation", "company"];
        while (words.Count > 1 && legal.Contains(words[^1])) words.RemoveAt(words.Count - 1);
        return string.Join(' ', words);
    }

    public static IReadOnlyList<string> Tokens(string name) => Normalize(name).Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();

    public static double Similarity(string a, string b)
    {
        var x = Tokens(a).ToHashSet();
        var y = Tokens(b).ToHashSet();
        if (x.Count == 0 || y.Count == 0) return 0;
        return (double)x.Intersect(y).Count() / x.Union(y).Count();
    }
}

public static class CustomerIdentifiers
{
    public static string? Normalize(IdentifierKind kind, string raw)
    {
        var v = raw.Trim();
        if (v.Length == 0) return null;
        return kind switch
        {
            IdentifierKind.Domain => v.Contains('@') ? v[(v.IndexOf('@') + 1)..].ToLowerInvariant() : v.ToLowerInvariant(),
            IdentifierKind.Tenant => Guid.TryParse(v, out var g) ? g.ToString("D") : null,
            IdentifierKind.Phone => new string(v.Where(c => char.IsDigit(c) || c == '+').ToArray()),
            _ => v.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant(),
        };
    }

    public static bool TryParseTyped(string typed, out IdentifierKind kind, out string value)
    {
        kind = default;
        value = "";
        var colon = typed.IndexOf(':');
        if (colon <= 0) return false;
        var prefix = typed[..colon].Trim();
        if (prefix.Equals("vat", StringComparison.OrdinalIgnoreCase)) prefix = "Tax";
        if (!Enum.TryParse(prefix, true, out kind) || !Enum.IsDefined(kind)) return false;
        value = Normalize(kind, typed[(colon + 1)..]) ?? "";
        return value.Length > 0;
    }

    public static IReadOnlyList<(IdentifierKind Kind, string Value)> Guess(string raw)
    {
        var list = new List<(IdentifierKind, string)>();
        foreach (var kind in Enum.GetValues<IdentifierKind>())
            if (Normalize(kind, raw) is { Length: > 0 } v) list.Add((kind, v));
        return list;
    }
}
