using System.Globalization;

namespace OpsBot.Customers;

/// <summary>The ways a customer is known outside OpsBot; each value is stored normalised (<see cref="CustomerIdentifiers.Normalize"/>), unique per kind.</summary>

public readonly record struct TypedIdentifier(IdentifierKind Kind, string Value)
{
    /// <summary>The typed form <see cref="CustomerIdentifiers.TryParseTyped"/> reads back, e.g. <c>ERP:100234</c>.</summary>
    public override string ToString() => $"{CustomerIdentifiers.Prefix(Kind)}:{Value}";
}

/// <summary>
/// Pure normalisation of customer identifiers, so that the same identifier typed in any of its usual spellings (an e-mail
/// instead of its domain, <c>0049 (30) 123-4567</c> for <c>+49301234567</c>, a VAT id with dots) finds the same customer.
/// </summary>
public static class CustomerIdentifiers
{
    public const int MaxLength = 64;
    private const int MaxDomainLength = 253;

    /// <summary>The normalised value, or null when <paramref name="raw"/> is not a valid identifier of that kind.</summary>
    public static string? Normalize(IdentifierKind kind, string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var value = kind switch
        {
            IdentifierKind.Erp or IdentifierKind.Crm => Code(raw),
            IdentifierKind.Domain => Domain(raw),
            IdentifierKind.Phone => Phone(raw),
            IdentifierKind.Tenant => Tenant(raw),
            IdentifierKind.Tax => Tax(raw),
            _ => null,
        };
        return value is { Length: > 0 and <= MaxLength } || (kind == IdentifierKind.Domain && value is { Length: > 0 and <= MaxDomainLength }) ? value : null;
    }

    /// <summary>The prefix of the typed form: <c>ERP</c>, <c>CRM</c>, <c>DOMAIN</c>, <c>PHONE</c>, <c>TENANT</c>, <c>TAX</c>.</summary>
    public static string Prefix(IdentifierKind kind) => kind switch
    {
        IdentifierKind.Erp => "ERP",
        IdentifierKind.Crm => "CRM",
        IdentifierKind.Domain => "DOMAIN",
        IdentifierKind.Phone => "PHONE",
        IdentifierKind.Tenant => "TENANT",
        _ => "TAX",
    };

    /// <summary>What a valid value of <paramref name="kind"/> looks like, for "… is not valid: expected …" answers.</summary>
    public static string Expected(IdentifierKind kind) => kind switch
    {
        IdentifierKind.Erp => $"an ERP account number of at most {MaxLength} characters, e.g. 100234",
        IdentifierKind.Crm => $"a CRM id of at most {MaxLength} characters",
        IdentifierKind.Domain => "an e-mail domain such as acme.com, or an e-mail address",
        IdentifierKind.Phone => "a phone number with 7 to 15 digits, e.g. +49 30 1234567",
        IdentifierKind.Tenant => "a Microsoft Entra tenant id (a GUID), e.g. 72f988bf-86f1-41af-91ab-2d7cd011db47",
        _ => "a VAT or tax id of letters and digits, e.g. DE 123 456 789",
    };

    /// <summary>
    /// Reads <c>kind:value</c> (prefixes erp, crm, domain, phone, tenant, tax and vat, any case). False when there is no such prefix;
    /// true with <paramref name="identifier"/> null when the prefix is there but the value is not valid for it
    /// (<paramref name="kind"/> tells which, for <see cref="Expected"/>).
    /// </summary>
    /// <summary><paramref name="text"/> is a typed identifier with a valid value (<c>ERP:100234</c>): its kind and normalised value.</summary>
    public static bool TryParseValue(string? text, out IdentifierKind kind, out string value)
    {
        value = "";
        if (!TryParseTyped(text, out kind, out TypedIdentifier? identifier) || identifier is not { } id) return false;
        value = id.Value;
        return true;
    }

    public static bool TryParseTyped(string? text, out IdentifierKind kind, out TypedIdentifier? identifier)
    {
        kind = default;
        identifier = null;
        if (text is null) return false;
        var t = text.AsSpan().Trim();
        var colon = t.IndexOf(':');
        if (colon <= 0) return false;
        var prefix = t[..colon].Trim();
        IdentifierKind? k =
            prefix.Equals("erp", StringComparison.OrdinalIgnoreCase) ? IdentifierKind.Erp :
            prefix.Equals("crm", StringComparison.OrdinalIgnoreCase) ? IdentifierKind.Crm :
            prefix.Equals("domain", StringComparison.OrdinalIgnoreCase) ? IdentifierKind.Domain :
            prefix.Equals("phone", StringComparison.OrdinalIgnoreCase) ? IdentifierKind.Phone :
            prefix.Equals("tenant", StringComparison.OrdinalIgnoreCase) ? IdentifierKind.Tenant :
            prefix.Equals("tax", StringComparison.OrdinalIgnoreCase) || prefix.Equals("vat", StringComparison.OrdinalIgnoreCase) ? IdentifierKind.Tax :
            null;
        if (k is null) return false;
        kind = k.Value;
        var value = Normalize(kind, t[(colon + 1)..].ToString());
        if (value is not null) identifier = new TypedIdentifier(kind, value);
        return true;
    }

    /// <summary>
    /// The identifiers an untyped string may be, most likely first: an e-mail address or a host name → its domain, a GUID → a
    /// tenant, a phone-looking number → a phone (a bare number of 7 to 15 digits may also be an ERP / CRM / tax id), any other
    /// code with a digit → ERP, CRM and tax candidates. Words without a digit are names, not identifiers: none.
    /// </summary>
    public static IReadOnlyList<TypedIdentifier> Guess(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return [];
        var t = raw.Trim();
        if (TryParseTyped(t, out _, out var typed)) return typed is { } id ? [id] : [];
        var found = new List<TypedIdentifier>(4);
        void Add(IdentifierKind kind)
        {
            if (Normalize(kind, t) is { } v && !found.Contains(new TypedIdentifier(kind, v))) found.Add(new TypedIdentifier(kind, v));
        }
        if (t.Contains('@'))
        {
            Add(IdentifierKind.Domain);
            return found;
        }
        if (Guid.TryParse(t, out _))
        {
            Add(IdentifierKind.Tenant);
            return found;
        }
        var hasDigit = t.AsSpan().IndexOfAnyInRange('0', '9') >= 0;
        var phoneLike = hasDigit && t.AsSpan().IndexOfAnyExcept("+0123456789 .-()/\u00A0") < 0;
        if (phoneLike && (t[0] == '+' || t.StartsWith("00", StringComparison.Ordinal) || t.AsSpan().IndexOfAny(" .-()/\u00A0") >= 0 && !LooksLikeTax(t)))
        {
            Add(IdentifierKind.Phone);
            if (found.Count > 0) return found;
        }
        if (t.Contains('.') && !t.Contains(' ') && Domain(t) is not null && !phoneLike)
        {
            Add(IdentifierKind.Domain);
            return found;
        }
        if (!hasDigit) return found;
        Add(IdentifierKind.Erp);
        Add(IdentifierKind.Crm);
        if (phoneLike) Add(IdentifierKind.Phone);
        Add(IdentifierKind.Tax);
        return found;
    }

    // 123.456.789 is a tax id (three groups of three), not a phone number.
    private static bool LooksLikeTax(string t) => t.Contains('.') && !t.Contains(' ') && t.Split('.').All(g => g.Length == 3);

    private static string? Code(string raw)
    {
        var span = raw.AsSpan().Trim();
        var chars = span.Length <= 256 ? stackalloc char[span.Length] : new char[span.Length];
        var n = 0;
        foreach (var c in span)
        {
            if (char.IsWhiteSpace(c)) continue;
            if (char.IsControl(c)) return null;
            chars[n++] = char.ToUpperInvariant(c);
        }
        return n == 0 ? null : new string(chars[..n]);
    }

    private static string? Domain(string raw)
    {
        var s = raw.Trim();
        if (s.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase)) s = s[7..];
        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) s = s[(scheme + 3)..];
        var end = s.IndexOfAny(['/', '?', '#']);
        if (end >= 0) s = s[..end];
        var at = s.LastIndexOf('@');
        if (at >= 0) s = s[(at + 1)..];
        var port = s.LastIndexOf(':');
        if (port >= 0) s = s[..port];
        s = s.TrimEnd('.').ToLowerInvariant();
        if (s.StartsWith("www.", StringComparison.Ordinal)) s = s[4..];
        if (s.Length == 0 || s.AsSpan().IndexOfAny(" \t\r\n") >= 0) return null;
        string ascii;
        try
        {
            ascii = new IdnMapping { UseStd3AsciiRules = true }.GetAscii(s);
        }
        catch (ArgumentException)
        {
            return null;
        }
        var lastDot = ascii.LastIndexOf('.');
        if (lastDot <= 0 || lastDot == ascii.Length - 1) return null;
        var tld = ascii.AsSpan(lastDot + 1);
        return tld.IndexOfAnyExceptInRange('0', '9') < 0 ? null : ascii;
    }

    private static string? Phone(string raw)
    {
        var span = raw.AsSpan().Trim();
        if (span.StartsWith("tel:", StringComparison.OrdinalIgnoreCase)) span = span[4..].TrimStart();
        Span<char> chars = stackalloc char[MaxLength];
        var n = 0;
        var digits = 0;
        var plus = false;
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c == '+')
            {
                if (plus || digits > 0) return null;
                plus = true;
            }
            else if (char.IsAsciiDigit(c))
            {
                if (++digits > MaxLength - 1) return null;
                chars[n++] = c;
            }
            else if (c is not (' ' or '.' or '-' or '(' or ')' or '/' or '\u00A0')) return null;
        }
        var number = chars[..n];
        if (!plus && number.StartsWith("00"))
        {
            plus = true;
            number = number[2..];
        }
        if (number.Length is < 7 or > 15) return null;
        return plus ? "+" + number.ToString() : number.ToString();
    }

    private static string? Tenant(string raw) =>
        Guid.TryParse(raw.Trim(), out var g) && g != Guid.Empty ? g.ToString("D") : null;

    private static string? Tax(string raw)
    {
        var span = raw.AsSpan().Trim();
        Span<char> chars = stackalloc char[MaxLength];
        var n = 0;
        var hasDigit = false;
        foreach (var c in span)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                if (n == MaxLength) return null;
                hasDigit |= char.IsAsciiDigit(c);
                chars[n++] = char.ToUpperInvariant(c);
            }
            else if (c is not (' ' or '.' or '-' or '/' or '\u00A0')) return null;
        }
        return hasDigit && n >= 4 ? new string(chars[..n]) : null;
    }
}
