using OpsBot.Customers;

namespace OpsBot.Tests.Customers;

/// <summary>Every usual spelling of an identifier normalises to the one stored value; anything else is refused (null).</summary>
public sealed class CustomerIdentifiersTests
{
    [Theory]
    [InlineData(IdentifierKind.Erp, "100234", "100234")]
    [InlineData(IdentifierKind.Erp, "  zen-900 ", "ZEN-900")]
    [InlineData(IdentifierKind.Erp, "ac 100 234", "AC100234")]
    [InlineData(IdentifierKind.Crm, "0015g00000AbCdE", "0015G00000ABCDE")]
    [InlineData(IdentifierKind.Domain, "acme.com", "acme.com")]
    [InlineData(IdentifierKind.Domain, "ACME.COM", "acme.com")]
    [InlineData(IdentifierKind.Domain, "www.acme.com", "acme.com")]
    [InlineData(IdentifierKind.Domain, "https://www.Acme.com/about?x=1#top", "acme.com")]
    [InlineData(IdentifierKind.Domain, "http://shop.acme.co.uk:8080/", "shop.acme.co.uk")]
    [InlineData(IdentifierKind.Domain, "Jane.Doe@Acme.com", "acme.com")]
    [InlineData(IdentifierKind.Domain, "mailto:jane@sub.acme.de", "sub.acme.de")]
    [InlineData(IdentifierKind.Domain, "acme.com.", "acme.com")]
    [InlineData(IdentifierKind.Domain, "bücher.de", "xn--bcher-kva.de")]
    [InlineData(IdentifierKind.Domain, "info@Müller-Bau.DE", "xn--mller-bau-q9a.de")]
    [InlineData(IdentifierKind.Phone, "+49 30 1234567", "+49301234567")]
    [InlineData(IdentifierKind.Phone, "0049 (30) 123-4567", "+49301234567")]
    [InlineData(IdentifierKind.Phone, "+1 (212) 555-0100", "+12125550100")]
    [InlineData(IdentifierKind.Phone, "+81.3.1234.5678", "+81312345678")]
    [InlineData(IdentifierKind.Phone, "030 1234567", "0301234567")]
    [InlineData(IdentifierKind.Phone, "tel:+44 20 7946 0958", "+442079460958")]
    [InlineData(IdentifierKind.Phone, "1234567", "1234567")]
    [InlineData(IdentifierKind.Phone, "+123456789012345", "+123456789012345")]
    [InlineData(IdentifierKind.Tenant, "72F988BF-86F1-41AF-91AB-2D7CD011DB47", "72f988bf-86f1-41af-91ab-2d7cd011db47")]
    [InlineData(IdentifierKind.Tenant, "{72f988bf-86f1-41af-91ab-2d7cd011db47}", "72f988bf-86f1-41af-91ab-2d7cd011db47")]
    [InlineData(IdentifierKind.Tenant, "72f988bf86f141af91ab2d7cd011db47", "72f988bf-86f1-41af-91ab-2d7cd011db47")]
    [InlineData(IdentifierKind.Tax, "DE 123.456.789", "DE123456789")]
    [InlineData(IdentifierKind.Tax, "fr-12 345678901", "FR12345678901")]
    [InlineData(IdentifierKind.Tax, "GB 123 4567 89", "GB123456789")]
    [InlineData(IdentifierKind.Tax, "12-3456789", "123456789")]
    public void A_valid_identifier_normalises_to_its_stored_form(IdentifierKind kind, string raw, string expected) =>
        Assert.Equal(expected, CustomerIdentifiers.Normalize(kind, raw));

    [Theory]
    [InlineData(IdentifierKind.Erp, "")]
    [InlineData(IdentifierKind.Erp, "   ")]
    [InlineData(IdentifierKind.Erp, "A\u0000B")]
    [InlineData(IdentifierKind.Domain, "localhost")]
    [InlineData(IdentifierKind.Domain, "jane@localhost")]
    [InlineData(IdentifierKind.Domain, "acme .com")]
    [InlineData(IdentifierKind.Domain, "acme_corp.com")]
    [InlineData(IdentifierKind.Domain, "-acme.com")]
    [InlineData(IdentifierKind.Domain, "10.0.0.1")]
    [InlineData(IdentifierKind.Domain, "acme.")]
    [InlineData(IdentifierKind.Domain, "jane@")]
    [InlineData(IdentifierKind.Phone, "123456")]
    [InlineData(IdentifierKind.Phone, "+1234567890123456")]
    [InlineData(IdentifierKind.Phone, "+49 30 CALL-ME")]
    [InlineData(IdentifierKind.Phone, "49+301234567")]
    [InlineData(IdentifierKind.Phone, "++49301234567")]
    [InlineData(IdentifierKind.Phone, "=1+2345678")]
    [InlineData(IdentifierKind.Tenant, "not-a-guid")]
    [InlineData(IdentifierKind.Tenant, "00000000-0000-0000-0000-000000000000")]
    [InlineData(IdentifierKind.Tax, "ABC")]
    [InlineData(IdentifierKind.Tax, "DE123!456")]
    [InlineData(IdentifierKind.Tax, "DÉ123456")]
    public void An_invalid_identifier_is_refused(IdentifierKind kind, string raw) =>
        Assert.Null(CustomerIdentifiers.Normalize(kind, raw));

    [Fact]
    public void Codes_and_domains_have_length_limits()
    {
        Assert.Equal(new string('A', 64), CustomerIdentifiers.Normalize(IdentifierKind.Erp, new string('a', 64)));
        Assert.Null(CustomerIdentifiers.Normalize(IdentifierKind.Erp, new string('a', 65)));
        Assert.Null(CustomerIdentifiers.Normalize(IdentifierKind.Crm, new string('1', 65)));
        Assert.Null(CustomerIdentifiers.Normalize(IdentifierKind.Tax, "DE" + new string('1', 63)));
        var longDomain = string.Join('.', Enumerable.Repeat(new string('a', 60), 5)) + ".com";
        Assert.Null(CustomerIdentifiers.Normalize(IdentifierKind.Domain, longDomain));
        var okDomain = new string('a', 63) + "." + new string('b', 20) + ".com";
        Assert.Equal(okDomain, CustomerIdentifiers.Normalize(IdentifierKind.Domain, okDomain));
    }

    [Theory]
    [InlineData("ERP:100234", IdentifierKind.Erp, "100234")]
    [InlineData("erp: zen-900", IdentifierKind.Erp, "ZEN-900")]
    [InlineData("CRM:0015g00000AbCdE", IdentifierKind.Crm, "0015G00000ABCDE")]
    [InlineData("Domain:https://www.acme.com/", IdentifierKind.Domain, "acme.com")]
    [InlineData("domain:jane@acme.com", IdentifierKind.Domain, "acme.com")]
    [InlineData("PHONE:+49 30 1234567", IdentifierKind.Phone, "+49301234567")]
    [InlineData("Tenant:72F988BF-86F1-41AF-91AB-2D7CD011DB47", IdentifierKind.Tenant, "72f988bf-86f1-41af-91ab-2d7cd011db47")]
    [InlineData("tax:DE 123.456.789", IdentifierKind.Tax, "DE123456789")]
    [InlineData("VAT:de123456789", IdentifierKind.Tax, "DE123456789")]
    [InlineData("  vat : DE123456789 ", IdentifierKind.Tax, "DE123456789")]
    public void A_typed_identifier_is_read_with_its_kind(string text, IdentifierKind kind, string value)
    {
        Assert.True(CustomerIdentifiers.TryParseTyped(text, out var k, out var id));
        Assert.Equal(kind, k);
        Assert.Equal(new TypedIdentifier(kind, value), id);
        Assert.Equal($"{CustomerIdentifiers.Prefix(kind)}:{value}", id!.Value.ToString());
        Assert.True(CustomerIdentifiers.TryParseTyped(id.Value.ToString(), out _, out var again));
        Assert.Equal(id, again);
    }

    [Theory]
    [InlineData("phone:call me", IdentifierKind.Phone)]
    [InlineData("TENANT:contoso", IdentifierKind.Tenant)]
    [InlineData("domain:", IdentifierKind.Domain)]
    [InlineData("vat:???", IdentifierKind.Tax)]
    public void A_typed_identifier_with_a_bad_value_says_which_kind_was_meant(string text, IdentifierKind kind)
    {
        Assert.True(CustomerIdentifiers.TryParseTyped(text, out var k, out var id));
        Assert.Equal(kind, k);
        Assert.Null(id);
        Assert.StartsWith(kind == IdentifierKind.Tax ? "a VAT" : "a", CustomerIdentifiers.Expected(kind), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Acme Corp")]
    [InlineData("https://acme.com")]
    [InlineData("mailto:jane@acme.com")]
    [InlineData("iban:DE89370400440532013000")]
    [InlineData(":100234")]
    public void Text_without_a_known_prefix_is_not_typed(string text) =>
        Assert.False(CustomerIdentifiers.TryParseTyped(text, out _, out _));

    [Theory]
    [InlineData("jane.doe@acme.com", "DOMAIN:acme.com")]
    [InlineData("72f988bf-86f1-41af-91ab-2d7cd011db47", "TENANT:72f988bf-86f1-41af-91ab-2d7cd011db47")]
    [InlineData("+49 30 1234567", "PHONE:+49301234567")]
    [InlineData("0049 30 1234567", "PHONE:+49301234567")]
    [InlineData("(030) 123-4567", "PHONE:0301234567")]
    [InlineData("acme.com", "DOMAIN:acme.com")]
    [InlineData("https://www.acme.co.jp/en/", "DOMAIN:acme.co.jp")]
    [InlineData("100234", "ERP:100234|CRM:100234|TAX:100234")]
    [InlineData("ZEN-900", "ERP:ZEN-900|CRM:ZEN-900|TAX:ZEN900")]
    [InlineData("4930123456", "ERP:4930123456|CRM:4930123456|PHONE:4930123456|TAX:4930123456")]
    [InlineData("DE 123.456.789", "ERP:DE123.456.789|CRM:DE123.456.789|TAX:DE123456789")]
    [InlineData("123.456.789", "ERP:123.456.789|CRM:123.456.789|PHONE:123456789|TAX:123456789")]
    [InlineData("erp:100234", "ERP:100234")]
    [InlineData("Acme", "")]
    [InlineData("Société Générale", "")]
    [InlineData("phone:nope", "")]
    [InlineData("   ", "")]
    public void An_untyped_string_gives_its_likely_identifiers_most_likely_first(string raw, string expected) =>
        Assert.Equal(expected, string.Join('|', CustomerIdentifiers.Guess(raw)));
}
