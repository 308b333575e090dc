using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Data;

namespace OpsBot.Commitments;

/// <summary>
/// Seeds the <c>Commitments</c> configuration into the store at start-up, idempotently: accounts are upserted by number
/// (accounts added by admins at runtime are kept), role assignments are replaced by the configured ones.
/// </summary>
public sealed class CommitmentSeeder(IServiceScopeFactory scopes, IOptions<CommitmentOptions> options, TimeProvider time, ILogger<CommitmentSeeder> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        try
        {
            await SeedAsync(db, options.Value, time.GetUtcNow().UtcDateTime, cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            // Another instance seeded at the same moment; its rows are the same configuration.
            log.LogWarning(ex, "Commitments seeding raced with another instance; keeping the stored rows.");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static async Task SeedAsync(OpsBotDbContext db, CommitmentOptions o, DateTime now, CancellationToken ct)
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

        var wanted = o.Roles.SelectMany(r => r.Value.People.Distinct().Select(p => (r.Key, (string?)p, (string?)null))
                .Concat(string.IsNullOrWhiteSpace(r.Value.ChannelId) ? [] : [(r.Key, (string?)null, (string?)r.Value.ChannelId)]))
            .ToHashSet();
        var stored = await db.RoleAssignments.ToListAsync(ct);
        db.RoleAssignments.RemoveRange(stored.Where(s => !wanted.Contains((s.Role, s.UserId, s.ChannelId))));
        foreach (var (role, user, channel) in wanted.Where(w => !stored.Any(s => (s.Role, s.UserId, s.ChannelId) == w)))
            db.RoleAssignments.Add(new RoleAssignment { Role = role, UserId = user, ChannelId = channel });
        await db.SaveChangesAsync(ct);
    }

    private static void AddSites(Account account, SiteKind kind, IEnumerable<string> names)
    {
        foreach (var name in names.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase))
            if (!account.Sites.Any(s => s.Kind == kind && string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)))
                account.Sites.Add(new AccountSite { Kind = kind, Name = name });
    }
}
