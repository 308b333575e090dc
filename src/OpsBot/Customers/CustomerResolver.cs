using Microsoft.EntityFrameworkCore;
using OpsBot.Data;

namespace OpsBot.Customers;

/// <summary>A customer offered instead of a guess: why it came up and how close it is (0–1).</summary>
public sealed record CustomerSuggestion(int Id, string Number, string Name, double Score, string Reason);

/// <summary>What a customer reference resolved to: the customer, or up to five suggestions (none when nothing is close).</summary>
public sealed record CustomerResolution(Customer? Customer, IReadOnlyList<CustomerSuggestion> Suggestions)
{
    public static readonly CustomerResolution None = new(null, []);
}

/// <summary>
/// Turns what someone gave for a customer — a number, a typed identifier (<c>ERP:100234</c>), an e-mail address or domain, a
/// phone number, a CRM id, a name typed by a rep — into one customer, for every entry point. An exact identifier, number or
/// normalised name resolves; anything else answers suggestions, never a silent guess. Customers the viewer may not see do
/// not exist here.
/// </summary>
public sealed class CustomerResolver(OpsBotDbContext db)
{
    public const int MaxSuggestions = 5;
    private const double SuggestFrom = 0.35;
    private const int CandidateLimit = 300;
    private const int PrefixMatches = 500;

    /// <summary>
    /// The end of the key range of strings that start with <paramref name="prefix"/>: <c>x &gt;= prefix AND x &lt; PrefixEnd(prefix)</c>
    /// is answered from a plain B-tree index, which <c>StartsWith</c> alone is not (SQLite's LIKE is case-insensitive, PostgreSQL's
    /// needs the C collation), so prefix lookups keep <c>StartsWith</c> for exactness and add the range for the index.
    /// </summary>
    private static string PrefixEnd(string prefix) => prefix[^1] == char.MaxValue ? prefix + char.MaxValue : prefix[..^1] + (char)(prefix[^1] + 1);

    public async Task<CustomerResolution> ResolveAsync(string? text, Viewer viewer, CancellationToken ct)
    {
        var key = text?.Trim() ?? "";
        if (key.Length is 0 or > 256) return CustomerResolution.None;
        var visible = CustomerAccess.Visible(viewer);

        // A hidden exact match goes on like a key that matches nothing, so the answer (suggestions among visible customers) is the same.
        if (await VisibleSurvivorAsync(await ExactAsync(key, ct), viewer, ct) is { } exact) return new(exact, []);

        var name = CustomerNames.Normalize(key);
        if (name.Length == 0) return CustomerResolution.None;
        var named = await db.Customers.AsNoTracking().Where(c => c.SearchName == name && c.MergedIntoId == null).Where(visible)
            .Select(c => c.Id).Take(2).ToListAsync(ct);
        if (named.Count == 1) return new(await LoadVisibleAsync(named[0], viewer, ct), []);
        return new(null, await SuggestAsync(key, name, viewer, ct));
    }

    /// <summary>Customers with what the access check needs (members) and sites.</summary>
    private IQueryable<Customer> WithMembersAndSites() => db.Customers.Include(c => c.Members).Include(c => c.Sites).AsSingleQuery();

    /// <summary>
    /// The customer an identifier, number or contact e-mail names exactly, with members and sites, before any access check.
    /// A typed identifier or a customer number is one round trip (the lookup and the load in one statement).
    /// </summary>
    private async Task<Customer?> ExactAsync(string key, CancellationToken ct)
    {
        if (CustomerIdentifiers.TryParseValue(key, out var kind, out var value))
        {
            var typed = db.CustomerIdentifiers.Where(i => i.Kind == kind && i.Value == value).Select(i => i.CustomerId);
            return await WithMembersAndSites().FirstOrDefaultAsync(c => c.Id == typed.FirstOrDefault(), ct);
        }
        var number = key.ToUpperInvariant();
        if (number.Length <= 32 && await WithMembersAndSites().FirstOrDefaultAsync(c => c.Number == number, ct) is { } byNumber)
            return byNumber;
        if (key.Contains('@'))
        {
            var email = key.ToLowerInvariant();
            if (await db.CustomerContacts.AsNoTracking().Where(c => c.Email == email).Select(c => (int?)c.CustomerId).FirstOrDefaultAsync(ct) is { } byContact)
                return await WithMembersAndSites().FirstOrDefaultAsync(c => c.Id == byContact, ct);
        }
        var guesses = CustomerIdentifiers.Guess(key);
        if (guesses.Count == 0) return null;
        var values = guesses.Select(g => g.Value).Distinct().ToList();
        var hits = await db.CustomerIdentifiers.AsNoTracking().Where(i => values.Contains(i.Value)).Select(i => new { i.Kind, i.Value, i.CustomerId }).ToListAsync(ct);
        var ids = hits.Where(h => guesses.Contains(new TypedIdentifier(h.Kind, h.Value))).Select(h => h.CustomerId).Distinct().ToList();
        return ids.Count == 1 ? await WithMembersAndSites().FirstOrDefaultAsync(c => c.Id == ids[0], ct) : null;
    }

    /// <summary>The customer (a merged one's survivor) with members and sites, or null when missing or hidden from the viewer.</summary>
    private async Task<Customer?> LoadVisibleAsync(int id, Viewer viewer, CancellationToken ct) =>
        await VisibleSurvivorAsync(await WithMembersAndSites().FirstOrDefaultAsync(c => c.Id == id, ct), viewer, ct);

    /// <summary><paramref name="customer"/> or, when merged, its survivor (up to five hops), if <paramref name="viewer"/> may see it.</summary>
    private async Task<Customer?> VisibleSurvivorAsync(Customer? customer, Viewer viewer, CancellationToken ct)
    {
        for (var hops = 0; customer is not null && hops < 5; hops++)
        {
            if (customer.MergedIntoId is not { } survivor) return CustomerAccess.CanSee(customer, viewer) ? customer : null;
            customer = await WithMembersAndSites().FirstOrDefaultAsync(c => c.Id == survivor, ct);
        }
        return null;
    }

    /// <summary>Up to five visible customers whose name is close to <paramref name="key"/>, best first.</summary>
    public async Task<IReadOnlyList<CustomerSuggestion>> SuggestAsync(string key, string normalised, Viewer viewer, CancellationToken ct)
    {
        var tokens = CustomerNames.Tokens(key).Where(t => t.Length >= 2).Take(6).ToList();
        if (tokens.Count == 0) return [];
        var prefixes = tokens.Where(t => t.Length >= 4).Select(t => t[..4]).Distinct().ToList();
        var tokenHits = db.CustomerNameTokens.AsNoTracking().Where(t => tokens.Contains(t.Token)).Select(t => t.CustomerId);
        foreach (var prefix in prefixes)
        {
            var (p, end) = (prefix, PrefixEnd(prefix));
            tokenHits = tokenHits.Concat(db.CustomerNameTokens.AsNoTracking()
                .Where(t => string.Compare(t.Token, p) >= 0 && string.Compare(t.Token, end) < 0 && t.Token.StartsWith(p)).Select(t => t.CustomerId));
        }
        // The customers that share the most words and word starts with the key first: a common word ("logistics") alone
        // must not fill the candidates with arbitrary customers.
        var best = tokenHits.GroupBy(id => id).OrderByDescending(g => g.Count()).Select(g => g.Key).Take(CandidateLimit);
        var candidates = await db.Customers.AsNoTracking()
            .Where(c => c.MergedIntoId == null && best.Contains(c.Id)).Where(CustomerAccess.Visible(viewer))
            .Select(c => new { c.Id, c.Number, c.Name, c.SearchName }).ToListAsync(ct);
        return candidates
            .Select(c => new CustomerSuggestion(c.Id, c.Number, c.Name, Math.Round(CustomerNames.Similarity(normalised, c.SearchName), 2), "similar name"))
            .Where(s => s.Score >= SuggestFrom)
            .OrderByDescending(s => s.Score).ThenBy(s => s.Name, StringComparer.OrdinalIgnoreCase)
            .Take(MaxSuggestions).ToList();
    }

    /// <summary>Typeahead: visible customers whose number, name or identifier starts with <paramref name="query"/>.</summary>
    public async Task<IReadOnlyList<CustomerSuggestion>> SearchAsync(string? query, Viewer viewer, int limit, CancellationToken ct)
    {
        var q = query?.Trim() ?? "";
        var visible = CustomerAccess.Visible(viewer);
        var live = db.Customers.AsNoTracking().Where(c => c.MergedIntoId == null).Where(visible);
        if (q.Length == 0)
            return (await live.OrderBy(c => c.Name).Take(limit).Select(c => new { c.Id, c.Number, c.Name }).ToListAsync(ct))
                .Select(c => new CustomerSuggestion(c.Id, c.Number, c.Name, 1, "")).ToList();
        if (q.Length > 100) return [];
        var number = q.ToUpperInvariant();
        var name = CustomerNames.Normalize(q);
        var idValue = q.ToLowerInvariant();
        // Each source answers from its own index as a key range, at most PrefixMatches ids: no scan of every customer, also for
        // one or two letters (then the choices are the first names among those matches, not among every customer).
        var numberEnd = PrefixEnd(number);
        var ids = db.Customers.Where(c => string.Compare(c.Number, number) >= 0 && string.Compare(c.Number, numberEnd) < 0 && c.Number.StartsWith(number))
            .OrderBy(c => c.Number).Select(c => c.Id).Take(PrefixMatches);
        if (name.Length > 0)
        {
            var nameEnd = PrefixEnd(name);
            ids = ids.Union(db.Customers.Where(c => string.Compare(c.SearchName, name) >= 0 && string.Compare(c.SearchName, nameEnd) < 0 && c.SearchName.StartsWith(name))
                .OrderBy(c => c.SearchName).Select(c => c.Id).Take(PrefixMatches));
            ids = ids.Union(db.CustomerNameTokens.Where(t => string.Compare(t.Token, name) >= 0 && string.Compare(t.Token, nameEnd) < 0 && t.Token.StartsWith(name))
                .OrderBy(t => t.Token).Select(t => t.CustomerId).Take(PrefixMatches));
        }
        foreach (var value in idValue == number ? new[] { number } : [number, idValue])
        {
            var end = PrefixEnd(value);
            ids = ids.Union(db.CustomerIdentifiers.Where(i => string.Compare(i.Value, value) >= 0 && string.Compare(i.Value, end) < 0 && i.Value.StartsWith(value))
                .OrderBy(i => i.Value).Select(i => i.CustomerId).Take(PrefixMatches));
        }
        var found = await live.Where(c => ids.Contains(c.Id)).OrderBy(c => c.Name).Take(limit).Select(c => new { c.Id, c.Number, c.Name }).ToListAsync(ct);
        return found.Select(c => new CustomerSuggestion(c.Id, c.Number, c.Name, 1, "")).ToList();
    }

    /// <summary>The answer for an unresolved customer: not found, with the suggestions to pick from when there are some.</summary>
    public static string NotFoundText(string key, IReadOnlyList<CustomerSuggestion> suggestions) =>
        suggestions.Count == 0
            ? CustomerAccess.NotFound(key)
            : $"I couldn't find customer '{key}'. Did you mean: {string.Join(", ", suggestions.Select(s => $"{s.Name} ({s.Number})"))}?";
}
