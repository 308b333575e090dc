using OpsBot.Customers;

namespace OpsBot.Tests.Customers;

/// <summary>Names as reps type them match the stored customer: case, accents, punctuation and legal forms do not matter.</summary>
public sealed class CustomerNamesTests
{
    [Theory]
    [InlineData("ACME Corp.", "acme")]
    [InlineData("Acme Corporation", "acme")]
    [InlineData("Acme, Inc.", "acme")]
    [InlineData("The Acme Company", "acme")]
    [InlineData("  acme   INCORPORATED ", "acme")]
    [InlineData("Société Générale S.A.", "societe generale")]
    [InlineData("societe generale", "societe generale")]
    [InlineData("Müller & Söhne GmbH & Co. KG", "muller and sohne")]
    [InlineData("Zenith Motors GmbH", "zenith motors")]
    [InlineData("Toyota Tsusho K.K.", "toyota tsusho")]
    [InlineData("Mitsubishi Shoji KK", "mitsubishi shoji")]
    [InlineData("Nestlé S.p.A.", "nestle")]
    [InlineData("Philips B.V.", "philips")]
    [InlineData("Heineken N.V.", "heineken")]
    [InlineData("Telefónica, S.A.U.", "telefonica")]
    [InlineData("Straße Bau AG", "strasse bau")]
    [InlineData("Mærsk A/S", "maersk")]
    [InlineData("Nordisk ApS", "nordisk")]
    [InlineData("Øresund Logistik AB", "oresund logistik")]
    [InlineData("Nokia Oyj", "nokia")]
    [InlineData("Woolworths Pty Ltd", "woolworths")]
    [InlineData("Infosys Pvt. Ltd.", "infosys")]
    [InlineData("Rolls-Royce plc", "rolls royce")]
    [InlineData("Smith & Co", "smith")]
    [InlineData("Barnes and Company LLC", "barnes")]
    [InlineData("Grupo Bimbo, S.A.B. de C.V.", "grupo bimbo")]
    [InlineData("Inditex S.L.", "inditex")]
    [InlineData("Łódź Kraków Sp. z o.o.", "lodz krakow")]
    [InlineData("Airbus SE", "airbus")]
    [InlineData("O'Reilly Media", "oreilly media")]
    [InlineData("AT&T", "at and t")]
    [InlineData("The Company", "company")]
    [InlineData("Ltd", "ltd")]
    [InlineData("The", "the")]
    [InlineData("Co-op Ltd", "co op")]
    [InlineData("İstanbul Ticaret A.Ş.", "istanbul ticaret")]
    [InlineData("株式会社 Sony", "株式会社 sony")]
    [InlineData("", "")]
    [InlineData("  ...  ", "")]
    [InlineData("&&&&&&&&&&&&&&&&&&&&", "and and and and and and and and and and and and and and and and and and and and")]
    [InlineData("ßßßßßß Æsir", "ssssssssssss aesir")]
    public void A_name_normalises_without_case_accents_punctuation_or_legal_form(string name, string expected) =>
        Assert.Equal(expected, CustomerNames.Normalize(name));

    [Fact]
    public void Tokens_are_the_distinct_normalised_words_and_the_search_key_has_no_spaces()
    {
        Assert.Equal(["zenith", "motors"], CustomerNames.Tokens("Zenith Motors GmbH"));
        Assert.Equal(["new", "york", "and"], CustomerNames.Tokens("New York & New York Inc."));
        Assert.Empty(CustomerNames.Tokens("  -- "));
        Assert.Equal("societegenerale", CustomerNames.SearchKey("Société Générale S.A."));
        Assert.Equal("microsoft", CustomerNames.SearchKey("Micro-Soft Corp"));
        Assert.Equal("", CustomerNames.SearchKey(null));
    }

    [Theory]
    [InlineData("ACME Corp.", "Acme Corporation")]
    [InlineData("Société Générale S.A.", "societe generale")]
    [InlineData("Müller & Söhne GmbH & Co. KG", "MULLER AND SOHNE")]
    [InlineData("Toyota Tsusho K.K.", "toyota tsusho kk")]
    [InlineData("The Acme Company", "ACME, Inc")]
    public void The_same_name_spelt_differently_is_a_full_match(string a, string b)
    {
        Assert.Equal(1.0, CustomerNames.Similarity(a, b));
        Assert.Equal(1.0, CustomerNames.Similarity(b, a));
    }

    [Theory]
    [InlineData("Zenith Motors GmbH", "Zenit Motors", 0.8)]
    [InlineData("Micro Soft", "Microsoft Corp", 0.95)]
    [InlineData("Generale Societe", "Société Générale", 0.9)]
    [InlineData("Acme", "Acme Industries Europe", 0.6)]
    [InlineData("Zenith Motors", "Zenith", 0.6)]
    [InlineData("Deutsche Telekom", "Deutsche Telecom AG", 0.8)]
    [InlineData("Shell", "Shel", 0.6)]
    public void Close_names_score_high(string a, string b, double atLeast)
    {
        var score = CustomerNames.Similarity(a, b);
        Assert.InRange(score, atLeast, 0.99);
        Assert.Equal(score, CustomerNames.Similarity(b, a), 6);
    }

    [Theory]
    [InlineData("Acme", "Globex")]
    [InlineData("Zenith Motors", "Acme Foods")]
    [InlineData("Société Générale", "Deutsche Bank")]
    [InlineData("Acme Industries", "Globex Industries")]
    [InlineData("Initech Group", "Umbrella Group")]
    [InlineData("Toyota Tsusho", "Tata Steel")]
    [InlineData("Acme", "")]
    [InlineData("", "")]
    public void Unrelated_names_score_low(string a, string b) =>
        Assert.InRange(CustomerNames.Similarity(a, b), 0, 0.4);

    [Fact]
    public void The_closest_names_rank_first()
    {
        string[] candidates = ["Zenith Aerospace", "Zenit Motors SA", "Zenith Motor Works", "Acme Motors", "Zenith Motors Holding"];
        var query = CustomerNames.Normalize("zenith motors");
        var ranked = candidates.OrderByDescending(c => CustomerNames.SimilarityOfNormalized(query, CustomerNames.Normalize(c))).ToList();
        Assert.Equal(["Zenit Motors SA", "Zenith Motors Holding"], ranked.Take(2).Order());
        Assert.Equal("Acme Motors", ranked[^1]);
        Assert.True(CustomerNames.Similarity("zenith motors", "Zenit Motors SA") > CustomerNames.Similarity("zenith motors", "Zenith Aerospace"));
    }

    [Fact]
    public void Scoring_a_normalised_candidate_set_does_not_allocate()
    {
        var query = CustomerNames.Normalize("Zenith Motors GmbH");
        var candidates = Enumerable.Range(0, 300).Select(i => CustomerNames.Normalize($"Zenith Motor Works {i} International Holding")).ToArray();
        var sum = candidates.Sum(c => CustomerNames.SimilarityOfNormalized(query, c));
        var before = GC.GetAllocatedBytesForCurrentThread();
        sum = 0;
        foreach (var c in candidates) sum += CustomerNames.SimilarityOfNormalized(query, c);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.InRange(sum / candidates.Length, 0.3, 0.95);
    }

    [Fact]
    public void Long_names_and_many_words_are_handled()
    {
        var many = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"w{i}")) + " GmbH";
        Assert.StartsWith("w0 w1", CustomerNames.Normalize(many), StringComparison.Ordinal);
        var huge = new string('x', 10_000);
        Assert.Equal(1.0, CustomerNames.Similarity(huge, huge));
        Assert.InRange(CustomerNames.Similarity(huge, huge + "y"), 0.8, 1.0);
    }
}
