using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using OpsBot.Audit;
using OpsBot.Data;

namespace OpsBot.Customers;

/// <summary>
/// The one access rule for customer facts, used by every feature: a restricted account is visible only to its members
/// (<see cref="Viewer.Is"/>) and to trusted API clients; everyone else gets the same "not found" as for a missing one.
/// </summary>
public sealed class CustomerAccess(OpsBotDbContext db)
{
    public static string NotFound(string what, string key) => $"I couldn't find {what} '{key}'. Check the spelling, or ask the account owner for access.";

    /// <summary>Requires <see cref="Account.Members"/> loaded.</summary>
    public static bool CanSee(Account account, Viewer viewer) =>
        viewer.Trusted || !account.Restricted || account.Members.Any(m => viewer.Is(m.UserId));

    /// <summary><see cref="CanSee"/> as a query filter on accounts.</summary>
    public static Expression<Func<Account, bool>> Visible(Viewer viewer)
    {
        if (viewer.Trusted) return a => true;
        var keys = viewer.Keys;
        return a => !a.Restricted || a.Members.Any(m => keys.Contains(m.UserId.ToLower()));
    }

    private List<Account>? _restricted;

    /// <summary>
    /// The restricted account a free-text account name (number or name, any case) names, with its members; null when there is
    /// none. The restricted accounts are read once per unit of work.
    /// </summary>
    public async Task<Account?> RestrictedAccountAsync(string account, CancellationToken ct)
    {
        _restricted ??= await db.Accounts.AsNoTracking().Include(a => a.Members).Where(a => a.Restricted).ToListAsync(ct);
        var key = account.Trim();
        return _restricted.FirstOrDefault(a => string.Equals(a.Number, key, StringComparison.OrdinalIgnoreCase) || string.Equals(a.Name, key, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Whether <paramref name="viewer"/> may see what is filed under the free-text account name (an alert's, an escalation's).</summary>
    public async Task<bool> MaySeeAsync(string account, Viewer viewer, CancellationToken ct) =>
        await RestrictedAccountAsync(account, ct) is not { } restricted || CanSee(restricted, viewer);

    // One round trip (an account has a handful of sites and members, so their cross product stays small), compiled once.
    private static readonly PerModel<Func<OpsBotDbContext, string, CancellationToken, Task<Account?>>> AccountByNumber = new(() => EF.CompileAsyncQuery(
        (OpsBotDbContext db, string number, CancellationToken ct) => db.Accounts.Include(x => x.Members).Include(x => x.Sites).AsSingleQuery()
            .FirstOrDefault(x => x.Number == number)));

    /// <summary>The account with its members and sites, if it exists and <paramref name="viewer"/> may see it; audits a refusal.</summary>
    public async Task<Account?> FindAccountAsync(string number, Viewer viewer, DateTime now, string path, CancellationToken ct)
    {
        var a = await AccountByNumber.For(db)(db, number.Trim().ToUpperInvariant(), ct);
        if (a is null) return null;
        if (CanSee(a, viewer)) return a;
        await AuditDenialAsync(now, viewer, "Account", a.Number, path, ct);
        return null;
    }

    /// <summary>Records that <paramref name="viewer"/> was refused <paramref name="entityType"/> <paramref name="entityId"/> (commits at once: a refusal changes nothing else).</summary>
    public async Task AuditDenialAsync(DateTime now, Viewer viewer, string entityType, string entityId, string path, CancellationToken ct)
    {
        db.Audit(now, viewer.Id, viewer.Name, "access-denied", entityType, entityId, note: path);
        await db.SaveChangesAsync(ct);
    }
}
