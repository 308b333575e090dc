using System.Globalization;
using Microsoft.EntityFrameworkCore;
using OpsBot.Alerts;
using OpsBot.Audit;
using OpsBot.Commitments;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Setup;

/// <summary>
/// The Development demo: a few customers, an alert route and (for the first person who talks to OpsBot) the demo's admin,
/// executive, owning roles and alert recipient. Every row it creates is listed in <c>DemoRecords</c>, so <see cref="ResetAsync"/>
/// removes exactly those. It seeds only an empty store.
/// </summary>
public static class DemoData
{
    public const string Marker = "Demo";
    public const string PersonMarker = "DemoPerson";
    public const string RouteName = "demo-everything";
    public const string ExecutiveId = "demo-exec";

    private sealed record DemoCustomer(string Number, string Name, CustomerSegment Segment, string ShipTo, string BillTo, string Agreement, string Terms, decimal Min, decimal Max);

    /// <summary>The demo customers: ACME-001 is the welcome card's and the README's example.</summary>
    private static readonly DemoCustomer[] Customers =
    [
        new("ACME-001", "Acme Industrial", CustomerSegment.Strategic, "Acme Plant 3", "Acme HQ", "MSA-ACME-2024", "Net 60", 100_000, 500_000),
        new("GLOBEX-002", "Globex", CustomerSegment.Key, "Globex Springfield DC", "Globex Finance", "MSA-GLOBEX-2025", "Net 45", 50_000, 300_000),
        new("INITECH-003", "Initech", CustomerSegment.Standard, "Initech Austin", "Initech AP", "MSA-INITECH-2025", "Net 30", 10_000, 80_000),
    ];

    /// <summary>True when the store holds nothing an admin or a configuration put there (no customers, executives, routes, roles, admins, work).</summary>
    public static async Task<bool> StoreIsEmptyAsync(OpsBotDbContext db, CancellationToken ct) =>
        !await db.Customers.AnyAsync(ct) && !await db.Executives.AnyAsync(ct) && !await db.AlertRoutes.AnyAsync(ct)
        && !await db.RoleAssignments.AnyAsync(ct) && !await db.Admins.AnyAsync(ct) && !await db.DemoRecords.AnyAsync(ct)
        && !await db.Commitments.AnyAsync(ct) && !await db.Escalations.AnyAsync(ct) && !await db.Alerts.AnyAsync(ct);

    /// <summary>Seeds the demo into an empty store; false (nothing written) when the store has data.</summary>
    public static async Task<bool> SeedAsync(OpsBotDbContext db, DateTime now, CancellationToken ct) =>
        await db.InLockedTransactionAsync("demo", async () =>
        {
            if (!await StoreIsEmptyAsync(db, ct)) return false;
            var accounts = Customers.Select(c => new Customer
            {
                Number = c.Number, Name = c.Name, Segment = c.Segment, MasterAgreementRef = c.Agreement, PaymentTerms = c.Terms,
                UsualValueMin = c.Min, UsualValueMax = c.Max, CreatedAt = now,
                Sites = [new CustomerSite { Kind = SiteKind.ShipTo, Name = c.ShipTo }, new CustomerSite { Kind = SiteKind.BillTo, Name = c.BillTo }],
            }).ToList();
            db.Customers.AddRange(accounts);
            var route = new AlertRoute { Name = RouteName, MaxSeverity = Severity.Low };
            db.AlertRoutes.Add(route);
            await db.SaveChangesAsync(ct);
            Tag(db, now, Marker, "seeded");
            foreach (var a in accounts) Tag(db, now, nameof(Customer), a.Id);
            Tag(db, now, nameof(AlertRoute), route.Id);
            db.Audit(now, "opsbot", "OpsBot", "demo-seeded", "Demo", "demo", note: "Development demo: " + string.Join(", ", accounts.Select(a => a.Number)));
            await db.SaveChangesAsync(ct);
            return true;
        }, ct);

    /// <summary>
    /// Makes <paramref name="person"/> the demo's admin, executive, owner of every owning role and alert-route recipient, once:
    /// false when there is no demo or it already has its person.
    /// </summary>
    public static async Task<bool> ClaimAsync(OpsBotDbContext db, PersonRef person, string? name, DateTime now, CancellationToken ct) =>
        await db.InLockedTransactionAsync("demo", async () =>
        {
            if (person.UserId is not { Length: > 0 and <= 256 } userId) return false;
            var tags = await db.DemoRecords.Where(r => r.EntityType == Marker || r.EntityType == PersonMarker || r.EntityType == nameof(AlertRoute)).ToListAsync(ct);
            if (tags.All(t => t.EntityType != Marker) || tags.Any(t => t.EntityType == PersonMarker)) return false;
            var aad = person.AadObjectId is { Length: <= 64 } a ? a : null;
            var display = string.IsNullOrWhiteSpace(name) ? userId : name.Length > 200 ? name[..200] : name;

            if (!await db.Admins.AnyAsync(x => x.UserId == userId, ct))
            {
                var admin = new Admin { UserId = userId, AadObjectId = aad, Name = display, AddedAt = now, AddedBy = "demo" };
                db.Admins.Add(admin);
                await db.SaveChangesAsync(ct);
                Tag(db, now, nameof(Admin), admin.Id);
            }
            if (!await db.Executives.AnyAsync(e => e.Id == ExecutiveId, ct))
            {
                var acme = await db.Customers.Where(c => c.Number == "ACME-001").Select(c => c.Id).FirstAsync(ct);
                db.Executives.Add(new Executive
                {
                    Id = ExecutiveId, DisplayName = display, UserId = userId, AadObjectId = aad, MonthlyCapacity = 100, Source = DirectorySource.Admin, UpdatedAt = now,
                    Sponsorships = [new ExecutiveSponsorship { ExecutiveId = ExecutiveId, CustomerId = acme }],
                });
                Tag(db, now, nameof(Executive), ExecutiveId);
            }
            var roles = Enum.GetValues<OwnerRole>().Select(r => new RoleAssignment { Role = r, UserId = userId }).ToList();
            db.RoleAssignments.AddRange(roles);
            var routeIds = tags.Where(t => t.EntityType == nameof(AlertRoute)).Select(t => long.Parse(t.EntityId, CultureInfo.InvariantCulture)).ToList();
            foreach (var route in await db.AlertRoutes.Where(r => routeIds.Contains(r.Id)).ToListAsync(ct))
                if (!route.People.Contains(userId)) route.People.Add(userId);
            await db.SaveChangesAsync(ct);
            foreach (var r in roles) Tag(db, now, nameof(RoleAssignment), r.Id);
            Tag(db, now, PersonMarker, userId);
            db.Audit(now, userId, display, "demo-claimed", "Demo", "demo", note: "admin, executive, every owning role and alert recipient of the Development demo");
            await db.SaveChangesAsync(ct);
            return true;
        }, ct);

    /// <summary>
    /// Removes every row the demo created. A demo customer that commitments now point to is kept (they are not the demo's),
    /// and named in the result.
    /// </summary>
    public static async Task<DemoReset> ResetAsync(OpsBotDbContext db, CancellationToken ct) =>
        await db.InLockedTransactionAsync("demo", async () =>
        {
            var tags = await db.DemoRecords.ToListAsync(ct);
            List<string> Ids(string type) => tags.Where(t => t.EntityType == type).Select(t => t.EntityId).ToList();
            List<long> Longs(string type) => Ids(type).Select(i => long.Parse(i, CultureInfo.InvariantCulture)).ToList();
            List<int> Ints(string type) => Ids(type).Select(i => int.Parse(i, CultureInfo.InvariantCulture)).ToList();

            var accountIds = Ints(nameof(Customer));
            // What people filed on a demo customer is theirs, not the demo's: that customer stays.
            var inUse = (await db.Commitments.Where(c => accountIds.Contains(c.CustomerId)).Select(c => c.CustomerId).ToListAsync(ct))
                .Concat(await db.Escalations.Where(c => c.CustomerId != null && accountIds.Contains(c.CustomerId.Value)).Select(c => c.CustomerId!.Value).ToListAsync(ct))
                .Concat(await db.Alerts.Where(c => c.CustomerId != null && accountIds.Contains(c.CustomerId.Value)).Select(c => c.CustomerId!.Value).ToListAsync(ct))
                .Distinct().ToList();
            var kept = await db.Customers.Where(a => inUse.Contains(a.Id)).Select(a => a.Number).ToListAsync(ct);
            var removable = accountIds.Except(inUse).ToList();
            await db.KpiStates.Where(k => k.CustomerId != null && removable.Contains(k.CustomerId.Value)).ExecuteUpdateAsync(u => u.SetProperty(k => k.CustomerId, (int?)null), ct);
            await db.KpiReadings.Where(k => k.CustomerId != null && removable.Contains(k.CustomerId.Value)).ExecuteUpdateAsync(u => u.SetProperty(k => k.CustomerId, (int?)null), ct);
            var removed = await db.Customers.Where(a => removable.Contains(a.Id)).ExecuteDeleteAsync(ct);
            var routeIds = Longs(nameof(AlertRoute));
            removed += await db.AlertRoutes.Where(r => routeIds.Contains(r.Id)).ExecuteDeleteAsync(ct);
            var roleIds = Ints(nameof(RoleAssignment));
            removed += await db.RoleAssignments.Where(r => roleIds.Contains(r.Id)).ExecuteDeleteAsync(ct);
            var adminIds = Longs(nameof(Admin));
            removed += await db.Admins.Where(a => adminIds.Contains(a.Id)).ExecuteDeleteAsync(ct);
            var execIds = Ids(nameof(Executive));
            await db.ExecutiveSponsorships.Where(s => execIds.Contains(s.ExecutiveId)).ExecuteDeleteAsync(ct);
            removed += await db.Executives.Where(e => execIds.Contains(e.Id)).ExecuteDeleteAsync(ct);
            var keptIds = inUse.Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            await db.DemoRecords.Where(t => !(t.EntityType == nameof(Customer) && keptIds.Contains(t.EntityId))).ExecuteDeleteAsync(ct);
            return new DemoReset(removed, kept);
        }, ct);

    private static void Tag(OpsBotDbContext db, DateTime now, string type, object id) =>
        db.DemoRecords.Add(new DemoRecord { EntityType = type, EntityId = Convert.ToString(id, CultureInfo.InvariantCulture)!, CreatedAt = now });
}

public sealed record DemoReset(int Removed, IReadOnlyList<string> KeptAccounts);
