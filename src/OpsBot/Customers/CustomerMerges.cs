using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OpsBot.Audit;
using OpsBot.Data;

namespace OpsBot.Customers;

/// <summary>
/// Merges a duplicate customer into a survivor and undoes it exactly. A merge re-points every row filed under the merged
/// customer (identifiers, contacts, sites, members, commitments and their ERP feed, complaints, alerts, alert routes, KPI
/// rows, the executive sponsorship, subsidiaries) to the survivor in one transaction and records the id of each row moved in
/// <see cref="CustomerMerge.MovedJson"/>. A contact, site, member or sponsorship the survivor already has stays where it is (the
/// merged customer is hidden behind its survivor), so nothing is deleted and <see cref="UnmergeAsync"/> moves exactly the
/// recorded rows back.
/// </summary>
public sealed class CustomerMerges(OpsBotDbContext db, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const string LockKey = "customer-merge";

    public enum Outcome { Merged, Unmerged, Refused }

    public sealed record Result(Outcome Outcome, string Message);

    /// <summary>The customer's number and name as shown in answers.</summary>
    public static string Label(Customer c) => $"{c.Number} ({c.Name})";

    /// <summary>Why <paramref name="merged"/> may not be merged into <paramref name="survivor"/> now, or null when it may.</summary>
    public async Task<string?> RefusalAsync(Customer survivor, Customer merged, CancellationToken ct)
    {
        if (survivor.Id == merged.Id) return $"A customer cannot be merged into itself ({Label(survivor)}).";
        if (merged.MergedIntoId is { } into) return await AlreadyMergedAsync(merged, into, ct);
        if (survivor.MergedIntoId == merged.Id) return await AlreadyMergedAsync(survivor, merged.Id, ct);
        if (survivor.MergedIntoId is { } survivorInto)
            return $"{Label(survivor)} was itself merged into {await LabelAsync(survivorInto, ct)}; merge into that customer instead.";
        if ((await AncestorsAsync(survivor, ct)).Contains(merged.Id))
            return $"{Label(survivor)} is a subsidiary of {Label(merged)}: a customer cannot be merged into one of its own subsidiaries.";
        if ((await AncestorsAsync(merged, ct)).Contains(survivor.Id))
            return $"{Label(merged)} is a subsidiary of {Label(survivor)}: a subsidiary is a customer of its own, not a duplicate of its parent.";
        return null;
    }

    /// <summary>"X was already merged into Y on … by …" from the merge on record.</summary>
    public async Task<string> AlreadyMergedAsync(Customer merged, int into, CancellationToken ct)
    {
        var merge = await db.CustomerMerges.AsNoTracking().Where(m => m.MergedId == merged.Id && m.UndoneAt == null)
            .OrderByDescending(m => m.At).ThenByDescending(m => m.Id).FirstOrDefaultAsync(ct);
        var when = merge is null ? "" : $" on {merge.At:yyyy-MM-dd HH:mm} UTC by {merge.ByName}";
        return $"{Label(merged)} was already merged into {await LabelAsync(into, ct)}{when}. Undo with: customer unmerge {merged.Number}";
    }

    private async Task<string> LabelAsync(int id, CancellationToken ct) =>
        await db.Customers.AsNoTracking().Where(c => c.Id == id).Select(c => c.Number + " (" + c.Name + ")").FirstOrDefaultAsync(ct) ?? $"customer #{id}";

    /// <summary>The ids up the <see cref="Customer.ParentId"/> chain of <paramref name="customer"/> (a cycle stops the walk).</summary>
    private async Task<HashSet<int>> AncestorsAsync(Customer customer, CancellationToken ct)
    {
        var seen = new HashSet<int>();
        for (var parent = customer.ParentId; parent is { } id && seen.Add(id);)
            parent = await db.Customers.AsNoTracking().Where(c => c.Id == id).Select(c => c.ParentId).FirstOrDefaultAsync(ct);
        return seen;
    }

    /// <summary>Merges <paramref name="mergedId"/> into <paramref name="survivorId"/> (the caller checked that the actor is an admin who sees both).</summary>
    public Task<Result> MergeAsync(int survivorId, int mergedId, Viewer actor, CancellationToken ct) =>
        db.InLockedTransactionAsync(LockKey, async () =>
        {
            db.ChangeTracker.Clear();
            var now = time.GetUtcNow().UtcDateTime;
            var survivor = await db.Customers.AsNoTracking().FirstAsync(c => c.Id == survivorId, ct);
            var merged = await db.Customers.AsNoTracking().FirstAsync(c => c.Id == mergedId, ct);
            if (await RefusalAsync(survivor, merged, ct) is { } refusal) return new Result(Outcome.Refused, refusal);

            var record = await MoveAsync(survivor.Id, merged.Id, ct);
            record.SurvivorRestricted = merged.Restricted && !survivor.Restricted;
            await db.Customers.Where(c => c.Id == merged.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.MergedIntoId, (int?)survivor.Id), ct);
            if (record.SurvivorRestricted)
                await db.Customers.Where(c => c.Id == survivor.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Restricted, true), ct);

            db.CustomerMerges.Add(new CustomerMerge
            {
                SurvivorId = survivor.Id, MergedId = merged.Id, At = now, ById = actor.Id, ByName = actor.Name,
                MovedJson = JsonSerializer.Serialize(record, Json),
            });
            db.Audit(now, actor.Id, actor.Name, "customer-merged", "Customer", merged.Number,
                before: new { mergedInto = (string?)null, survivorRestricted = survivor.Restricted },
                after: new { mergedInto = survivor.Number, survivorRestricted = survivor.Restricted || record.SurvivorRestricted, moved = record.Moved },
                note: $"{merged.Number} merged into {survivor.Number}");
            await db.SaveChangesAsync(ct);
            return new Result(Outcome.Merged, Describe(record, survivor, merged));
        }, ct);

    private static string Describe(MergeRecord r, Customer survivor, Customer merged)
    {
        var parts = r.Moved.Where(m => m.Value.Count > 0).Select(m => $"{m.Value.Count} {Tables[m.Key]}").ToList();
        if (r.KpiStates.Count > 0) parts.Add($"{r.KpiStates.Count} KPI state(s)");
        var text = $"Merged {Label(merged)} into {Label(survivor)}: " + (parts.Count == 0 ? "nothing to move." : "moved " + string.Join(", ", parts) + ".");
        if (r.LeftBehind > 0) text += $" {r.LeftBehind} row(s) the survivor already had stay with {merged.Number}.";
        if (r.SurvivorRestricted) text += $" {merged.Number} was restricted, so {survivor.Number} is now restricted too.";
        return text + $" Undo with: customer unmerge {merged.Number}";
    }

    private static readonly Dictionary<string, string> Tables = new(StringComparer.Ordinal)
    {
        ["CustomerIdentifiers"] = "identifier(s)", ["CustomerContacts"] = "contact(s)", ["CustomerSites"] = "site(s)", ["CustomerMembers"] = "member(s)",
        ["Commitments"] = "commitment(s)", ["ErpFeed"] = "ERP feed row(s)", ["Escalations"] = "complaint(s)", ["Alerts"] = "alert(s)",
        ["AlertRoutes"] = "alert route(s)", ["KpiReadings"] = "KPI reading(s)", ["ExecutiveSponsorships"] = "sponsorship(s)", ["Subsidiaries"] = "subsidiary(ies)",
    };

    private async Task<MergeRecord> MoveAsync(int to, int from, CancellationToken ct)
    {
        var record = new MergeRecord();

        record.Moved["CustomerIdentifiers"] = await Ids(db.CustomerIdentifiers.Where(x => x.CustomerId == from).Select(x => (long)x.Id), ct);
        await db.CustomerIdentifiers.Where(x => x.CustomerId == from).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, to), ct);

        var keptEmails = await db.CustomerContacts.Where(x => x.CustomerId == to && x.Email != null).Select(x => x.Email!.ToLower()).ToListAsync(ct);
        var contacts = await db.CustomerContacts.AsNoTracking().Where(x => x.CustomerId == from).OrderBy(x => x.Id).ToListAsync(ct);
        var contactIds = contacts.Where(c => c.Email is null || !keptEmails.Contains(c.Email.ToLowerInvariant())).Select(c => c.Id).ToList();
        record.Moved["CustomerContacts"] = contactIds.ConvertAll(i => (long)i);
        record.LeftBehind += contacts.Count - contactIds.Count;
        await db.CustomerContacts.Where(x => contactIds.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, to), ct);

        var keptSites = await db.CustomerSites.AsNoTracking().Where(x => x.CustomerId == to).Select(x => new { x.Kind, x.Name }).ToListAsync(ct);
        var sites = await db.CustomerSites.AsNoTracking().Where(x => x.CustomerId == from).OrderBy(x => x.Id).ToListAsync(ct);
        var siteIds = sites.Where(s => !keptSites.Any(k => k.Kind == s.Kind && string.Equals(k.Name, s.Name, StringComparison.OrdinalIgnoreCase))).Select(s => s.Id).ToList();
        record.Moved["CustomerSites"] = siteIds.ConvertAll(i => (long)i);
        record.LeftBehind += sites.Count - siteIds.Count;
        await db.CustomerSites.Where(x => siteIds.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, to), ct);

        var keptMembers = await db.CustomerMembers.AsNoTracking().Where(x => x.CustomerId == to).Select(x => new { x.Kind, x.Key }).ToListAsync(ct);
        var members = await db.CustomerMembers.AsNoTracking().Where(x => x.CustomerId == from).OrderBy(x => x.Id).ToListAsync(ct);
        var memberIds = members.Where(m => !keptMembers.Any(k => k.Kind == m.Kind && string.Equals(k.Key, m.Key, StringComparison.OrdinalIgnoreCase))).Select(m => m.Id).ToList();
        record.Moved["CustomerMembers"] = memberIds.ConvertAll(i => (long)i);
        record.LeftBehind += members.Count - memberIds.Count;
        await db.CustomerMembers.Where(x => memberIds.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, to), ct);

        record.Moved["Commitments"] = await Ids(db.Commitments.Where(x => x.CustomerId == from).Select(x => (long)x.Id), ct);
        await db.Commitments.Where(x => x.CustomerId == from).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, to), ct);
        record.Moved["ErpFeed"] = await Ids(db.ErpFeed.Where(x => x.CustomerId == from).Select(x => x.Id), ct);
        await db.ErpFeed.Where(x => x.CustomerId == from).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, to), ct);
        record.Moved["Escalations"] = await Ids(db.Escalations.Where(x => x.CustomerId == from).Select(x => x.Id), ct);
        await db.Escalations.Where(x => x.CustomerId == from).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, (int?)to), ct);
        record.Moved["Alerts"] = await Ids(db.Alerts.Where(x => x.CustomerId == from).Select(x => x.Id), ct);
        await db.Alerts.Where(x => x.CustomerId == from).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, (int?)to), ct);
        record.Moved["AlertRoutes"] = await Ids(db.AlertRoutes.Where(x => x.CustomerId == from).Select(x => x.Id), ct);
        await db.AlertRoutes.Where(x => x.CustomerId == from).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, (int?)to), ct);
        record.Moved["KpiReadings"] = await Ids(db.KpiReadings.Where(x => x.CustomerId == from).Select(x => x.Id), ct);
        await db.KpiReadings.Where(x => x.CustomerId == from).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, (int?)to), ct);
        record.KpiStates = await db.KpiStates.Where(x => x.CustomerId == from).OrderBy(x => x.Name).Select(x => x.Name).ToListAsync(ct);
        await db.KpiStates.Where(x => x.CustomerId == from).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, (int?)to), ct);

        // One sponsor per customer (a unique index): the survivor's sponsor stays, the merged customer's moves only when the survivor has none.
        var sponsorships = await Ids(db.ExecutiveSponsorships.Where(x => x.CustomerId == from).Select(x => x.Id), ct);
        record.Moved["ExecutiveSponsorships"] = [];
        if (sponsorships.Count > 0 && await db.ExecutiveSponsorships.AnyAsync(x => x.CustomerId == to, ct)) record.LeftBehind += sponsorships.Count;
        else if (sponsorships.Count > 0)
        {
            await db.ExecutiveSponsorships.Where(x => x.CustomerId == from).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, to), ct);
            record.Moved["ExecutiveSponsorships"] = sponsorships;
        }

        record.Moved["Subsidiaries"] = await Ids(db.Customers.Where(x => x.ParentId == from).Select(x => (long)x.Id), ct);
        await db.Customers.Where(x => x.ParentId == from).ExecuteUpdateAsync(s => s.SetProperty(x => x.ParentId, (int?)to), ct);
        return record;
    }

    private static Task<List<long>> Ids(IQueryable<long> ids, CancellationToken ct) => ids.OrderBy(i => i).ToListAsync(ct);

    /// <summary>Reverses the merge of <paramref name="merged"/> that is in force (the caller checked that the actor is an admin who sees it).</summary>
    public Task<Result> UnmergeAsync(int mergedId, Viewer actor, CancellationToken ct) =>
        db.InLockedTransactionAsync(LockKey, async () =>
        {
            db.ChangeTracker.Clear();
            var now = time.GetUtcNow().UtcDateTime;
            var merged = await db.Customers.AsNoTracking().FirstAsync(c => c.Id == mergedId, ct);
            var merge = await db.CustomerMerges.Where(m => m.MergedId == merged.Id && m.UndoneAt == null)
                .OrderByDescending(m => m.At).ThenByDescending(m => m.Id).FirstOrDefaultAsync(ct);
            if (merge is null || merged.MergedIntoId is null) return new Result(Outcome.Refused, await NotMergedAsync(merged, ct));
            var survivor = await db.Customers.AsNoTracking().FirstAsync(c => c.Id == merge.SurvivorId, ct);
            if (survivor.MergedIntoId is { } later)
                return new Result(Outcome.Refused, $"{Label(survivor)} was merged into {await LabelAsync(later, ct)} since; unmerge {survivor.Number} first.");

            var record = JsonSerializer.Deserialize<MergeRecord>(merge.MovedJson, Json) ?? new MergeRecord();
            await MoveBackAsync(record, merge.SurvivorId, merge.MergedId, ct);
            await db.Customers.Where(c => c.Id == merge.MergedId).ExecuteUpdateAsync(s => s.SetProperty(c => c.MergedIntoId, (int?)null), ct);
            if (record.SurvivorRestricted)
                await db.Customers.Where(c => c.Id == merge.SurvivorId).ExecuteUpdateAsync(s => s.SetProperty(c => c.Restricted, false), ct);
            merge.UndoneAt = now;
            db.Audit(now, actor.Id, actor.Name, "customer-unmerged", "Customer", merged.Number,
                before: new { mergedInto = survivor.Number, survivorRestricted = survivor.Restricted },
                after: new { mergedInto = (string?)null, survivorRestricted = survivor.Restricted && !record.SurvivorRestricted, movedBack = record.Moved },
                note: $"merge #{merge.Id} of {merged.Number} into {survivor.Number} undone");
            await db.SaveChangesAsync(ct);
            return new Result(Outcome.Unmerged, $"Unmerged {Label(merged)} from {Label(survivor)}: {record.Count} row(s) moved back.");
        }, ct);

    /// <summary>"X is not merged into another customer" (and when its last merge was undone, by whom).</summary>
    public async Task<string> NotMergedAsync(Customer customer, CancellationToken ct)
    {
        var last = await db.CustomerMerges.AsNoTracking().Where(m => m.MergedId == customer.Id && m.UndoneAt != null)
            .OrderByDescending(m => m.UndoneAt).ThenByDescending(m => m.Id).FirstOrDefaultAsync(ct);
        return last is null
            ? $"{Label(customer)} is not merged into another customer."
            : $"{Label(customer)} was already unmerged from {await LabelAsync(last.SurvivorId, ct)} on {last.UndoneAt:yyyy-MM-dd HH:mm} UTC (merged on {last.At:yyyy-MM-dd HH:mm} UTC by {last.ByName}).";
    }

    private async Task MoveBackAsync(MergeRecord r, int survivor, int merged, CancellationToken ct)
    {
        List<int> Ints(string table) => r.Moved.GetValueOrDefault(table, []).ConvertAll(i => (int)i);
        List<long> Longs(string table) => r.Moved.GetValueOrDefault(table, []);

        var identifiers = Ints("CustomerIdentifiers");
        await db.CustomerIdentifiers.Where(x => x.CustomerId == survivor && identifiers.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, merged), ct);
        var contacts = Ints("CustomerContacts");
        await db.CustomerContacts.Where(x => x.CustomerId == survivor && contacts.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, merged), ct);
        var sites = Ints("CustomerSites");
        await db.CustomerSites.Where(x => x.CustomerId == survivor && sites.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, merged), ct);
        var members = Ints("CustomerMembers");
        await db.CustomerMembers.Where(x => x.CustomerId == survivor && members.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, merged), ct);
        var commitments = Ints("Commitments");
        await db.Commitments.Where(x => x.CustomerId == survivor && commitments.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, merged), ct);
        var feed = Longs("ErpFeed");
        await db.ErpFeed.Where(x => x.CustomerId == survivor && feed.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, merged), ct);
        var escalations = Longs("Escalations");
        await db.Escalations.Where(x => x.CustomerId == survivor && escalations.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, (int?)merged), ct);
        var alerts = Longs("Alerts");
        await db.Alerts.Where(x => x.CustomerId == survivor && alerts.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, (int?)merged), ct);
        var routes = Longs("AlertRoutes");
        await db.AlertRoutes.Where(x => x.CustomerId == survivor && routes.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, (int?)merged), ct);
        var readings = Longs("KpiReadings");
        await db.KpiReadings.Where(x => x.CustomerId == survivor && readings.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, (int?)merged), ct);
        var states = r.KpiStates;
        await db.KpiStates.Where(x => x.CustomerId == survivor && states.Contains(x.Name)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, (int?)merged), ct);
        var sponsorships = Longs("ExecutiveSponsorships");
        await db.ExecutiveSponsorships.Where(x => x.CustomerId == survivor && sponsorships.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, merged), ct);
        var subsidiaries = Ints("Subsidiaries");
        await db.Customers.Where(x => x.ParentId == survivor && subsidiaries.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.ParentId, (int?)merged), ct);
    }

    /// <summary>What a merge moved (row ids by table) and the KPI states (keyed by name) it re-pointed: <see cref="CustomerMerge.MovedJson"/>.</summary>
    public sealed class MergeRecord
    {
        public Dictionary<string, List<long>> Moved { get; set; } = new(StringComparer.Ordinal);
        public List<string> KpiStates { get; set; } = [];
        /// <summary>Rows the survivor already had an equal of, left on the merged customer.</summary>
        public int LeftBehind { get; set; }
        /// <summary>The merged customer was restricted and the survivor was not: the survivor became restricted with the merged customer's members.</summary>
        public bool SurvivorRestricted { get; set; }

        public int Count => Moved.Values.Sum(v => v.Count) + KpiStates.Count;
    }
}
