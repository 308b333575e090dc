using System.Globalization;
using Microsoft.EntityFrameworkCore;
using OpsBot.Data;

namespace OpsBot.Customers;

/// <summary>
/// Proposes customers that are probably one and the same. A value shared by a few customers (an e-mail domain of an
/// identifier or a contact, a contact's e-mail address, a phone number, a site name, the normalised name) pairs them up, and
/// so do rare name words (a self-join on the name index) when <see cref="CustomerNames.Similarity"/> says the names are close;
/// customers are never compared all with all. Each reason carries a weight; the confidence (0–100) combines them as
/// independent evidence; a pair below <see cref="MinScore"/> is not proposed. Merged customers, customers hidden from the viewer, a parent with its subsidiary and pairs whose
/// merge was undone (an admin decided they are not the same) are not proposed.
/// </summary>
public sealed class CustomerDuplicates(OpsBotDbContext db, CustomerAccess access)
{
    /// <summary>A value shared by more customers than this says nothing about any two of them (a group's domain, a word like "global").</summary>
    public const int MaxSharing = 20;

    /// <summary>Below this confidence a pair is not proposed (one loosely similar name alone).</summary>
    public const int MinScore = 40;

    private const int CandidatePairs = 500;

    /// <summary>Domains of public mail services: a contact's address there says nothing about the customer.</summary>
    private static readonly HashSet<string> FreeMail = new(StringComparer.Ordinal)
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com", "me.com", "gmx.de", "gmx.net", "web.de", "aol.com", "proton.me", "protonmail.com", "mail.com",
    };

    /// <summary>A proposed merge of <see cref="Merged"/> into <see cref="Survivor"/>, with the confidence (0–100) and why.</summary>
    public sealed record Proposal(Customer Survivor, Customer Merged, int Score, IReadOnlyList<string> Reasons);

    private sealed record Evidence(int A, int B, string Reason, double Weight);

    /// <summary>The <paramref name="limit"/> most likely duplicates among the customers <paramref name="viewer"/> may see, most likely first.</summary>
    public async Task<IReadOnlyList<Proposal>> FindAsync(Viewer viewer, int limit, CancellationToken ct)
    {
        var hidden = await access.HiddenFromAsync(viewer, ct);
        var live = db.Customers.Where(c => c.MergedIntoId == null).Select(c => c.Id);
        var evidence = new List<Evidence>();

        var domainIds = await db.CustomerIdentifiers.AsNoTracking().Where(i => i.Kind == IdentifierKind.Domain && live.Contains(i.CustomerId))
            .Select(i => new { i.CustomerId, i.Value }).ToListAsync(ct);
        var contacts = await db.CustomerContacts.AsNoTracking().Where(c => live.Contains(c.CustomerId))
            .Select(c => new { c.CustomerId, c.Email, c.Phone }).ToListAsync(ct);
        var domains = domainIds.Select(i => (i.CustomerId, Value: i.Value.ToLowerInvariant()))
            .Concat(contacts.Where(c => c.Email is { } e && e.Contains('@')).Select(c => (c.CustomerId, Value: c.Email![(c.Email!.IndexOf('@') + 1)..].ToLowerInvariant())))
            .Where(s => !FreeMail.Contains(s.Value));
        evidence.AddRange(Shared(domains, v => $"same domain {v}", 60));
        evidence.AddRange(Shared(contacts.Where(c => c.Email is { Length: > 0 }).Select(c => (c.CustomerId, Value: c.Email!.ToLowerInvariant())), v => $"same contact e-mail {v}", 70));

        var phoneIds = await db.CustomerIdentifiers.AsNoTracking().Where(i => i.Kind == IdentifierKind.Phone && live.Contains(i.CustomerId))
            .Select(i => new { i.CustomerId, i.Value }).ToListAsync(ct);
        var phones = phoneIds.Select(i => (i.CustomerId, Value: Digits(i.Value)))
            .Concat(contacts.Where(c => c.Phone is { Length: > 0 }).Select(c => (c.CustomerId, Value: Digits(c.Phone!))))
            .Where(p => p.Value.Length >= 6);
        evidence.AddRange(Shared(phones, v => $"same phone {v}", 60));

        var sites = await db.CustomerSites.AsNoTracking().Where(s => live.Contains(s.CustomerId)).Select(s => new { s.CustomerId, s.Name }).ToListAsync(ct);
        evidence.AddRange(Shared(sites.Select(s => (s.CustomerId, Value: s.Name.Trim().ToLowerInvariant())), v => $"same site {v}", 25));

        var names = await db.Customers.AsNoTracking().Where(c => c.MergedIntoId == null && c.SearchName != "").Select(c => new { c.Id, c.SearchName }).ToListAsync(ct);
        evidence.AddRange(Shared(names.Select(c => (CustomerId: c.Id, Value: c.SearchName)), v => $"same name \"{v}\"", 70));

        evidence.AddRange(await SimilarNamesAsync(live, ct));

        var undone = await db.CustomerMerges.AsNoTracking().Where(m => m.UndoneAt != null).Select(m => new { m.SurvivorId, m.MergedId }).ToListAsync(ct);
        var rejected = undone.Select(m => (Math.Min(m.SurvivorId, m.MergedId), Math.Max(m.SurvivorId, m.MergedId))).ToHashSet();
        var pairs = evidence.Where(e => !hidden.Contains(e.A) && !hidden.Contains(e.B)).GroupBy(e => (e.A, e.B)).Where(g => !rejected.Contains(g.Key))
            .Select(g =>
            {
                var reasons = g.GroupBy(e => e.Reason).Select(r => r.First()).OrderByDescending(e => e.Weight).ToList();
                var doubt = reasons.Aggregate(1.0, (d, e) => d * (1 - e.Weight / 100));
                return (g.Key.A, g.Key.B, Score: (int)Math.Round(100 * (1 - doubt)), Reasons: reasons.Select(r => r.Reason).ToList());
            })
            .Where(p => p.Score >= MinScore)
            .OrderByDescending(p => p.Score).ThenBy(p => p.A).ThenBy(p => p.B)
            .Take(CandidatePairs)
            .ToList();

        var ids = pairs.SelectMany(p => new[] { p.A, p.B }).Distinct().ToList();
        var customers = await db.Customers.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        var proposals = new List<Proposal>();
        foreach (var p in pairs)
        {
            if (proposals.Count == limit) break;
            if (!customers.TryGetValue(p.A, out var a) || !customers.TryGetValue(p.B, out var b)) continue;
            if (a.ParentId == b.Id || b.ParentId == a.Id) continue;
            // The survivor: a confirmed customer over one created for review, then the older one (the lower id).
            var (survivor, merged) = a.NeedsReview && !b.NeedsReview ? (b, a) : (a, b);
            proposals.Add(new Proposal(survivor, merged, p.Score, p.Reasons));
        }
        return proposals;
    }

    private static string Digits(string phone) => new([.. phone.Where(ch => char.IsDigit(ch) || ch == '+')]);

    /// <summary>Pairs of customers sharing a value, from values shared by 2 to <see cref="MaxSharing"/> customers.</summary>
    private static IEnumerable<Evidence> Shared(IEnumerable<(int CustomerId, string Value)> rows, Func<string, string> reason, double weight)
    {
        foreach (var group in rows.GroupBy(r => r.Value, StringComparer.Ordinal))
        {
            var members = group.Select(r => r.CustomerId).Distinct().Order().ToList();
            if (members.Count is < 2 or > MaxSharing) continue;
            for (var i = 0; i < members.Count; i++)
                for (var j = i + 1; j < members.Count; j++)
                    yield return new Evidence(members[i], members[j], reason(group.Key), weight);
        }
    }

    /// <summary>Pairs sharing rare name words (a self-join on the name index), scored by <see cref="CustomerNames.Similarity"/>.</summary>
    private async Task<List<Evidence>> SimilarNamesAsync(IQueryable<int> live, CancellationToken ct)
    {
        var rare = db.CustomerNameTokens.GroupBy(t => t.Token).Where(g => g.Count() > 1 && g.Count() <= MaxSharing).Select(g => g.Key);
        var candidates = await (
                from a in db.CustomerNameTokens
                join b in db.CustomerNameTokens on a.Token equals b.Token
                where a.CustomerId < b.CustomerId && rare.Contains(a.Token) && live.Contains(a.CustomerId) && live.Contains(b.CustomerId)
                group a by new { A = a.CustomerId, B = b.CustomerId } into g
                orderby g.Count() descending, g.Key.A, g.Key.B
                select new { g.Key.A, g.Key.B })
            .Take(CandidatePairs).ToListAsync(ct);
        if (candidates.Count == 0) return [];
        var ids = candidates.SelectMany(c => new[] { c.A, c.B }).Distinct().ToList();
        var names = await db.Customers.AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => new { c.Id, c.Name, c.SearchName }).ToDictionaryAsync(c => c.Id, ct);
        var evidence = new List<Evidence>();
        foreach (var c in candidates)
        {
            var (a, b) = (names[c.A], names[c.B]);
            if (a.SearchName == b.SearchName) continue;
            var similarity = CustomerNames.Similarity(a.Name, b.Name);
            if (similarity < 0.5) continue;
            evidence.Add(new Evidence(c.A, c.B, string.Create(CultureInfo.InvariantCulture, $"similar name {similarity:0.00}"), Math.Round(similarity * 60)));
        }
        return evidence;
    }
}
