using Microsoft.EntityFrameworkCore;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Commitments;

/// <summary>Reads of commitments, always through the customers' access rule: a restricted account's commitments exist only for its members.</summary>
public sealed class CommitmentQueries(OpsBotDbContext db, CustomerAccess access)
{
    /// <summary>Commitments <paramref name="viewer"/> may see.</summary>
    public IQueryable<Commitment> VisibleTo(Viewer viewer)
    {
        if (viewer.Trusted) return db.Commitments;
        var visible = db.Customers.Where(CustomerAccess.Visible(viewer));
        return db.Commitments.Where(c => visible.Any(a => a.Id == c.CustomerId));
    }

    /// <summary>Loads a commitment with everything its current view needs, if it exists and <paramref name="viewer"/> may see it; audits a refusal.</summary>
    public async Task<Commitment?> FindAsync(string opportunityId, Viewer viewer, DateTime now, string path, CancellationToken ct)
    {
        var c = await db.Commitments
            .Include(x => x.Customer).ThenInclude(a => a.Members)
            .Include(x => x.Enrichments)
            .Include(x => x.Forms)
            .AsSplitQuery()
            .FirstOrDefaultAsync(x => x.OpportunityId == opportunityId, ct);
        if (c is null) return null;
        if (CustomerAccess.CanSee(c.Customer, viewer)) return c;
        await access.AuditDenialAsync(now, viewer, "Commitment", opportunityId, path, ct);
        return null;
    }

    /// <summary>The roles <paramref name="viewer"/> holds (by Teams user id or Entra object id).</summary>
    public Task<List<OwnerRole>> RolesOfAsync(Viewer viewer, CancellationToken ct)
    {
        var keys = viewer.Keys;
        return db.RoleAssignments.Where(r => r.UserId != null && keys.Contains(r.UserId.ToLower())).Select(r => r.Role).Distinct().ToListAsync(ct);
    }

    /// <summary>One page of the open downstream forms of <paramref name="viewer"/>'s roles, soonest due first, and how many there are.</summary>
    public async Task<(int Total, List<DownstreamForm> Page)> TasksAsync(Viewer viewer, int page, CancellationToken ct)
    {
        var roles = await RolesOfAsync(viewer, ct);
        var forms = db.DownstreamForms.Where(f => f.Status == FormStatus.Open && roles.Contains(f.Role))
            .Where(f => VisibleTo(viewer).Any(c => c.Id == f.CommitmentId));
        var total = await forms.CountAsync(ct);
        var rows = await forms.OrderBy(f => f.DueAt).ThenBy(f => f.Id).Skip((page - 1) * CommitmentListCard.PageSize).Take(CommitmentListCard.PageSize)
            .Include(f => f.Commitment).ThenInclude(c => c.Customer)
            .Include(f => f.Commitment).ThenInclude(c => c.Enrichments).AsSplitQuery().ToListAsync(ct);
        return (total, rows);
    }

    /// <summary>One page of an account's commitments (<paramref name="accountNumber"/>), or else of those <paramref name="viewer"/> owns or captured; newest first.</summary>
    public async Task<(int Total, List<Commitment> Page)> ListAsync(Viewer viewer, string? accountNumber, int page, CancellationToken ct)
    {
        var aad = viewer.AadId ?? viewer.Id;
        var q = VisibleTo(viewer);
        q = accountNumber is not null
            ? q.Where(c => c.Customer.Number == accountNumber)
            : q.Where(c => c.AccountOwnerId == viewer.Id || c.AccountOwnerId == aad || c.CreatedById == viewer.Id);
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(c => c.Id).Skip((page - 1) * CommitmentListCard.PageSize).Take(CommitmentListCard.PageSize)
            .Include(c => c.Customer).Include(c => c.Enrichments).Include(c => c.Forms).AsSplitQuery().ToListAsync(ct);
        return (total, rows);
    }
}
