using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Audit;
using OpsBot.Data;

namespace OpsBot.Customers;

/// <summary>
/// Seeds <see cref="CustomerOptions.Seed"/> into a store that has no customer yet, once. Afterwards customers are changed in
/// Teams, by import or through the API, and the section is ignored (a warning says so when it differs).
/// </summary>
public sealed class CustomerSeeder(IServiceScopeFactory scopes, IOptions<CustomerOptions> options, TimeProvider time, IHostApplicationLifetime lifetime,
    ILogger<CustomerSeeder> log) : StartupSeeder(scopes, time, lifetime, log)
{
    protected override string What => "the customers";

    protected override async Task SeedAsync(OpsBotDbContext db, DateTime now, CancellationToken ct)
    {
        if (options.Value.Seed.Count > 0 && await db.Customers.AnyAsync(ct))
            log.LogInformation("Customers:Seed is ignored: the store already has customers (it is read once, on an empty store)");
        else
            await SeedAsync(db, options.Value, now, ct);
        await CustomerIndex.IndexPendingAsync(db, ct);
    }

    public static async Task SeedAsync(OpsBotDbContext db, CustomerOptions o, DateTime now, CancellationToken ct)
    {
        var byNumber = new Dictionary<string, Customer>(StringComparer.OrdinalIgnoreCase);
        foreach (var seed in o.Seed.Where(a => !string.IsNullOrWhiteSpace(a.Number)))
        {
            var number = seed.Number.Trim().ToUpperInvariant();
            if (byNumber.ContainsKey(number)) continue;
            var customer = new Customer
            {
                Number = number,
                Name = string.IsNullOrWhiteSpace(seed.Name) ? number : seed.Name.Trim(),
                LegalName = seed.LegalName,
                Segment = seed.Segment,
                Industry = seed.Industry,
                OwnerId = seed.OwnerId,
                OwnerName = seed.OwnerName,
                Restricted = seed.Restricted,
                MasterAgreementRef = seed.MasterAgreementRef,
                PaymentTerms = seed.PaymentTerms,
                UsualValueMin = seed.UsualValueMin,
                UsualValueMax = seed.UsualValueMax,
                CreatedAt = now,
            };
            foreach (var user in seed.AllowedUsers.Select(u => u.Trim()).Where(u => u.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase))
                customer.Members.Add(new CustomerMember { Kind = MemberKind.Person, Key = user });
            foreach (var channel in seed.AllowedChannels.Select(u => u.Trim()).Where(u => u.Length > 0).Distinct(StringComparer.Ordinal))
                customer.Members.Add(new CustomerMember { Kind = MemberKind.Channel, Key = channel });
            AddSites(customer, SiteKind.ShipTo, seed.ShipToSites);
            AddSites(customer, SiteKind.BillTo, seed.BillToSites);
            foreach (var typed in seed.Identifiers)
                if (CustomerIdentifiers.TryParseValue(typed, out var kind, out var value) && !customer.Identifiers.Any(i => i.Kind == kind && i.Value == value))
                    customer.Identifiers.Add(new CustomerIdentifier { Kind = kind, Value = value });
            db.Customers.Add(customer);
            byNumber[number] = customer;
            db.Audit(now, "configuration", "Customers:Seed", "customer-seeded", "Customer", number, after: new { number, customer.Name, segment = seed.Segment.ToString(), seed.Restricted });
        }
        await db.SaveChangesAsync(ct);
        foreach (var seed in o.Seed.Where(s => !string.IsNullOrWhiteSpace(s.Parent)))
            if (byNumber.TryGetValue(seed.Number.Trim(), out var child) && byNumber.TryGetValue(seed.Parent!.Trim(), out var parent) && child != parent)
                child.ParentId = parent.Id;
        await db.SaveChangesAsync(ct);
    }

    private static void AddSites(Customer customer, SiteKind kind, IEnumerable<string> names)
    {
        foreach (var name in names.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase))
            customer.Sites.Add(new CustomerSite { Kind = kind, Name = name });
    }
}
