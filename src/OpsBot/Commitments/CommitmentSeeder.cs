using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Commitments;

/// <summary>
/// Seeds the <c>Commitments</c> configuration into the store at start-up, idempotently: accounts are upserted by number
/// (accounts added by admins at runtime are kept), role assignments are replaced by the ones configured in <c>People:Roles</c>.
/// </summary>
public sealed partial class CommitmentSeeder(
    IServiceScopeFactory scopes, IOptions<CommitmentOptions> options, IOptions<PeopleOptions> people, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<CommitmentSeeder> log)
    : IHostedService
{
    /// <summary>How often seeding is retried while the database cannot be reached at start-up.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(30);

    private Task _retries = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // An unreachable database must not stop the process: /healthz stays live, /readyz reports it, seeding retries.
        if (!await TrySeedAsync(cancellationToken)) _retries = RetryAsync(lifetime.ApplicationStopping);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _retries.WaitAsync(cancellationToken);

    private async Task RetryAsync(CancellationToken ct)
    {
        try
        {
            do await Task.Delay(RetryInterval, time, ct);
            while (!await TrySeedAsync(ct));
        }
        catch (OperationCanceledException)
        {
            // Stopped before the database came back.
        }
    }

    private async Task<bool> TrySeedAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        try
        {
            await SeedAsync(db, options.Value, people.Value, time.GetUtcNow().UtcDateTime, ct);
        }
        catch (DbUpdateException ex)
        {
            // Another instance seeded at the same moment; its rows are the same configuration.
            LogSeedRaced(ex);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException || ex.InnerException is System.Data.Common.DbException)
        {
            LogSeedFailed(ex, RetryInterval);
            return false;
        }
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Commitments seeding raced with another instance; keeping the stored rows.")]
    private partial void LogSeedRaced(Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not seed the Commitments configuration (database unreachable?); retrying every {Interval}")]
    private partial void LogSeedFailed(Exception ex, TimeSpan interval);

    public static async Task SeedAsync(OpsBotDbContext db, CommitmentOptions o, PeopleOptions people, DateTime now, CancellationToken ct)
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

        var roles = people.Roles.Select(r => (Role: Enum.Parse<OwnerRole>(r.Key, ignoreCase: true), r.Value));
        var wanted = roles.SelectMany(r => r.Value.People.Distinct().Select(p => (r.Role, (string?)p, (string?)null))
                .Concat(string.IsNullOrWhiteSpace(r.Value.ChannelId) ? [] : [(r.Role, (string?)null, (string?)r.Value.ChannelId)]))
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
