using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using OpsBot.Audit;
using OpsBot.Conversations;
using OpsBot.Data;

namespace OpsBot.Commitments;

/// <summary>Who is asking: a Teams user (id + Entra object id) or an API client (<see cref="Trusted"/> sees restricted accounts).</summary>
public sealed record Viewer(string Id, string? AadId, string Name, bool Trusted = false)
{
    public static Viewer Of(BotTurn turn) => new(turn.UserId, turn.UserAadObjectId, turn.UserName);

    public bool Is(string? userId) => userId is not null && (userId == Id || userId == AadId);
}

/// <summary>Restricted accounts are visible only to their members; everyone else gets the same "not found" as for a missing one.</summary>
public static class AccountAccess
{
    public static string NotFound(string what, string key) => $"I couldn't find {what} '{key}'. Check the spelling, or ask the account owner for access.";

    public static bool CanSee(this Account account, Viewer viewer) =>
        viewer.Trusted || !account.Restricted || account.Members.Any(m => viewer.Is(m.UserId));

    public static Expression<Func<Account, bool>> Visible(Viewer v)
    {
        var id = v.Id;
        var aad = v.AadId ?? v.Id;
        if (v.Trusted) return a => true;
        return a => !a.Restricted || a.Members.Any(m => m.UserId == id || m.UserId == aad);
    }

    public static IQueryable<Commitment> VisibleTo(this IQueryable<Commitment> q, Viewer v)
    {
        if (v.Trusted) return q;
        var id = v.Id;
        var aad = v.AadId ?? v.Id;
        return q.Where(c => !c.Account.Restricted || c.Account.Members.Any(m => m.UserId == id || m.UserId == aad));
    }

    /// <summary>The restricted account named <paramref name="account"/> (number or name, any case), with its members; null when there is none.</summary>
    public static Task<Account?> RestrictedAccountAsync(this OpsBotDbContext db, string account, CancellationToken ct)
    {
        var key = account.Trim().ToLowerInvariant();
        return db.Accounts.AsNoTracking().Include(a => a.Members)
            .FirstOrDefaultAsync(a => a.Restricted && (a.Number.ToLower() == key || a.Name.ToLower() == key), ct);
    }

    /// <summary>Records that <paramref name="viewer"/> was refused <paramref name="entityType"/> <paramref name="entityId"/> (commits at once: a refusal changes nothing else).</summary>
    public static async Task AuditDenialAsync(this OpsBotDbContext db, DateTime now, Viewer viewer, string entityType, string entityId, string path, CancellationToken ct)
    {
        db.Audit(now, viewer.Id, viewer.Name, "access-denied", entityType, entityId, note: path);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Loads a commitment with everything its current view needs, if it exists and <paramref name="viewer"/> may see it; audits a refusal.</summary>
    public static async Task<Commitment?> FindCommitmentAsync(this OpsBotDbContext db, string opportunityId, Viewer viewer, DateTime now, string path, CancellationToken ct)
    {
        var c = await db.Commitments
            .Include(x => x.Account).ThenInclude(a => a.Members)
            .Include(x => x.Enrichments)
            .Include(x => x.Forms)
            .AsSplitQuery()
            .FirstOrDefaultAsync(x => x.OpportunityId == opportunityId, ct);
        if (c is null) return null;
        if (c.Account.CanSee(viewer)) return c;
        await db.AuditDenialAsync(now, viewer, "Commitment", opportunityId, path, ct);
        return null;
    }

    // One round trip (an account has a handful of sites and members, so their cross product stays small), compiled once.
    private static readonly PerModel<Func<OpsBotDbContext, string, CancellationToken, Task<Account?>>> AccountByNumber = new(() => EF.CompileAsyncQuery(
        (OpsBotDbContext db, string number, CancellationToken ct) => db.Accounts.Include(x => x.Members).Include(x => x.Sites).AsSingleQuery()
            .FirstOrDefault(x => x.Number == number)));

    public static async Task<Account?> FindAccountAsync(this OpsBotDbContext db, string number, Viewer viewer, DateTime now, string path, CancellationToken ct)
    {
        var a = await AccountByNumber.For(db)(db, number.Trim().ToUpperInvariant(), ct);
        if (a is null) return null;
        if (a.CanSee(viewer)) return a;
        await db.AuditDenialAsync(now, viewer, "Account", a.Number, path, ct);
        return null;
    }
}
