using Microsoft.EntityFrameworkCore;
using OpsBot.Data;

namespace OpsBot.Customers;

/// <summary>
/// Keeps what name matching reads in step with a customer's names: <see cref="Customer.SearchName"/> and one
/// <see cref="CustomerNameToken"/> per word of the name and the legal name. Call after a name changes, before saving.
/// </summary>
public static class CustomerIndex
{
    public static async Task IndexAsync(OpsBotDbContext db, Customer customer, CancellationToken ct)
    {
        customer.SearchName = SearchName(customer);
        var tokens = TokensOf(customer);
        if (customer.Id != 0)
        {
            var stored = await db.CustomerNameTokens.Where(t => t.CustomerId == customer.Id).ToListAsync(ct);
            db.CustomerNameTokens.RemoveRange(stored.Where(t => !tokens.Contains(t.Token)));
            tokens.ExceptWith(stored.Select(t => t.Token));
            foreach (var token in tokens) db.CustomerNameTokens.Add(new CustomerNameToken { CustomerId = customer.Id, Token = token });
        }
        else
        {
            customer.NameTokens.AddRange(tokens.Select(t => new CustomerNameToken { Token = t }));
        }
    }

    /// <summary>
    /// Before a save: a new customer gets its name index with it; a renamed one its new <see cref="Customer.SearchName"/> and, when
    /// its tokens are loaded, its new tokens (the rename paths call <see cref="IndexAsync"/>, which also covers unloaded tokens).
    /// </summary>
    public static void IndexChanged(Microsoft.EntityFrameworkCore.ChangeTracking.ChangeTracker tracker)
    {
        foreach (var entry in tracker.Entries<Customer>())
        {
            var c = entry.Entity;
            if (entry.State == EntityState.Added)
            {
                c.SearchName = SearchName(c);
                if (c.NameTokens.Count == 0) c.NameTokens.AddRange(TokensOf(c).Select(t => new CustomerNameToken { Token = t }));
            }
            else if (entry.State == EntityState.Modified && (entry.Property(x => x.Name).IsModified || entry.Property(x => x.LegalName).IsModified))
            {
                c.SearchName = SearchName(c);
                if (entry.Collection(x => x.NameTokens).IsLoaded)
                {
                    var tokens = TokensOf(c);
                    c.NameTokens.RemoveAll(t => !tokens.Contains(t.Token));
                    tokens.ExceptWith(c.NameTokens.Select(t => t.Token));
                    c.NameTokens.AddRange(tokens.Select(t => new CustomerNameToken { Token = t }));
                }
            }
        }
    }

    /// <summary>Indexes customers written without an index (by the upgrade migration, by SQL): those whose SearchName is empty.</summary>
    public static async Task<int> IndexPendingAsync(OpsBotDbContext db, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var batch = await db.Customers.Where(c => c.SearchName == "").OrderBy(c => c.Id).Take(500).ToListAsync(ct);
            if (batch.Count == 0) return total;
            foreach (var customer in batch) await IndexAsync(db, customer, ct);
            await db.SaveChangesAsync(ct);
            total += batch.Count;
        }
    }

    public static string SearchName(Customer customer)
    {
        var name = CustomerNames.Normalize(customer.Name);
        return Truncate(name.Length > 0 ? name : customer.Number.ToLowerInvariant(), 200);
    }

    internal static HashSet<string> TokensOf(Customer customer)
    {
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in CustomerNames.Tokens(customer.Name)) tokens.Add(Truncate(token, 64));
        if (customer.LegalName is { Length: > 0 } legal)
            foreach (var token in CustomerNames.Tokens(legal)) tokens.Add(Truncate(token, 64));
        return tokens;
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
