using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Data;

namespace OpsBot.Customers;

/// <summary>
/// Seeds the configured accounts (<see cref="CustomerOptions.Accounts"/>) at start-up: upserted by number, so accounts
/// added by admins at runtime are kept and members and sites are only ever added.
/// </summary>
public sealed class AccountSeeder(IServiceScopeFactory scopes, IOptions<CustomerOptions> options, TimeProvider time, IHostApplicationLifetime lifetime,
    ILogger<AccountSeeder> log) : StartupSeeder(scopes, time, lifetime, log)
{
    protected override string What => "the customer accounts";

    protected override Task SeedAsync(OpsBotDbContext db, DateTime now, CancellationToken ct) => SeedAsync(db, options.Value, now, ct);

    public static async Task SeedAsync(OpsBotDbContext db, CustomerOptions o, DateTime now, CancellationToken ct)
    {
        var numbers = o.Accounts.Select(a => a.Number.Trim().ToUpperInvariant()).ToList();
        var existing = await db.Accounts.Include(a => a.Members).Include(a => a.Sites).AsSplitQuery()
            .Where(a => numbers.Contains(a.Number)).ToDictionaryAsync(a => a.Number, ct);
        foreach (var seed in o.Accounts.Where(a => !string.IsNullOrWhiteSpace(a.Number)))
        {
            var number = seed.Number.Trim().ToUpperInvariant();
            if (!existing.TryGetValue(number, out var account))
            {
                account = new Account { Number = number, Name = seed.Name, CreatedAt = now };
                db.Accounts.Add(account);
                existing[number] = account;
            }
            account.Name = string.IsNullOrWhiteSpace(seed.Name) ? number : seed.Name.Trim();
            account.Segment = seed.Segment;
            account.Restricted = seed.Restricted;
            account.MasterAgreementRef = seed.MasterAgreementRef;
            account.PaymentTerms = seed.PaymentTerms;
            account.UsualValueMin = seed.UsualValueMin;
            account.UsualValueMax = seed.UsualValueMax;
            foreach (var user in seed.AllowedUsers.Distinct().Where(u => account.Members.All(m => m.UserId != u)))
                account.Members.Add(new AccountMember { UserId = user });
            AddSites(account, SiteKind.ShipTo, seed.ShipToSites);
            AddSites(account, SiteKind.BillTo, seed.BillToSites);
        }
        await db.SaveChangesAsync(ct);
    }

    private static void AddSites(Account account, SiteKind kind, IEnumerable<string> names)
    {
        foreach (var name in names.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase))
            if (!account.Sites.Any(s => s.Kind == kind && string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)))
                account.Sites.Add(new AccountSite { Kind = kind, Name = name });
    }
}
