using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.Audit;
using OpsBot.BotFramework.Schema;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Customers;

/// <summary>
/// <c>customer duplicates</c>, <c>customer merge</c>, <c>customer unmerge</c> and the card's <c>customer.merge</c> verb — admins
/// only. An admin works on the customers they may see: any other is answered as not found (<see cref="CustomerAccess.NotFound(string)"/>).
/// </summary>
public sealed class CustomerMergeHandlers(OpsBotDbContext db, AdminCheck admins, CustomerAccess access, CustomerDuplicates duplicates, CustomerMerges merges, TimeProvider time)
{
    public const string MergeUsage = "customer merge <survivor number> <merged number>";
    public const string UnmergeUsage = "customer unmerge <merged number>";
    private const string What = "find, merge and unmerge duplicate customers";
    private const int Proposals = 10;

    /// <summary>Null for an admin; otherwise the refusal, audited.</summary>
    private async Task<string?> RefuseNonAdminAsync(Viewer viewer, string what, CancellationToken ct)
    {
        if (await admins.IsAdminAsync(viewer.Id, viewer.AadId, ct)) return null;
        db.Audit(time.GetUtcNow().UtcDateTime, viewer.Id, viewer.Name, "access-denied", "Customer", "merge", note: what);
        await db.SaveChangesAsync(ct);
        return await admins.OnlyAdminsAsync(What, ct);
    }

    public async Task DuplicatesAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        if (await RefuseNonAdminAsync(viewer, "customer duplicates", ct) is { } refusal)
        {
            await turn.SendTextAsync(refusal, ct);
            return;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var found = await duplicates.FindAsync(viewer, Proposals, ct);
        var subtitle = found.Count == 0
            ? $"No likely duplicates · {now:yyyy-MM-dd HH:mm} UTC"
            : $"{found.Count} proposed merge(s), most likely first · {now:yyyy-MM-dd HH:mm} UTC";
        var model = new CustomerMergeModel("Possible duplicate customers", subtitle, false, "", [.. found.Select(p => Pair(p, now))]);
        await turn.SendCardAsync("customer-merge", model, subtitle, ct);
    }

    private static CustomerMergePair Pair(CustomerDuplicates.Proposal p, DateTime now) => new(
        $"{p.Score} · {p.Merged.Number} → {p.Survivor.Number}",
        string.Join(" · ", p.Reasons),
        CustomerMerges.Label(p.Survivor) + (p.Survivor.Restricted ? " · restricted" : ""),
        CustomerMerges.Label(p.Merged) + (p.Merged.Restricted ? " · restricted" : ""),
        $"Merge {p.Merged.Number} into {p.Survivor.Number}",
        p.Survivor.Id.ToString(CultureInfo.InvariantCulture), p.Merged.Id.ToString(CultureInfo.InvariantCulture),
        now.ToString("O", CultureInfo.InvariantCulture));

    public async Task MergeAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        if (await RefuseNonAdminAsync(viewer, "customer merge " + args, ct) is { } refusal)
        {
            await turn.SendTextAsync(refusal, ct);
            return;
        }
        var p = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (p.Length != 2)
        {
            await turn.SendTextAsync("Usage: " + MergeUsage, ct);
            return;
        }
        if (await VisibleAsync(p[0], viewer, "customer merge", ct) is not { } survivor)
        {
            await turn.SendTextAsync(CustomerAccess.NotFound(p[0]), ct);
            return;
        }
        if (await VisibleAsync(p[1], viewer, "customer merge", ct) is not { } merged)
        {
            await turn.SendTextAsync(CustomerAccess.NotFound(p[1]), ct);
            return;
        }
        var result = await merges.MergeAsync(survivor.Id, merged.Id, viewer, ct);
        await turn.SendTextAsync(result.Message, ct);
    }

    public async Task UnmergeAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        if (await RefuseNonAdminAsync(viewer, "customer unmerge " + args, ct) is { } refusal)
        {
            await turn.SendTextAsync(refusal, ct);
            return;
        }
        var number = args.Trim();
        if (number.Length == 0 || number.Contains(' ', StringComparison.Ordinal))
        {
            await turn.SendTextAsync("Usage: " + UnmergeUsage, ct);
            return;
        }
        if (await VisibleAsync(number, viewer, "customer unmerge", ct) is not { } merged)
        {
            await turn.SendTextAsync(CustomerAccess.NotFound(number), ct);
            return;
        }
        var result = await merges.UnmergeAsync(merged.Id, viewer, ct);
        await turn.SendTextAsync(result.Message, ct);
    }

    /// <summary>
    /// The card's "Merge B into A". A card that is out of date (B merged already, or merged and unmerged since the card was
    /// made) answers what is true now instead of merging.
    /// </summary>
    public async Task<InvokeResponse> MergeFromCardAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        if (await RefuseNonAdminAsync(viewer, "customer.merge " + data.ToJsonString(), ct) is { } refusal) return Answer(turn, "Not merged", refusal);
        if (Int(data, "survivorId") is not { } survivorId || Int(data, "mergedId") is not { } mergedId)
            return AdaptiveCardInvoke.Error(400, "BadRequest", "The card does not say which customers to merge. Type 'customer duplicates' for fresh proposals.");
        var survivor = await VisibleAsync(survivorId, viewer, ct);
        var merged = survivor is null ? null : await VisibleAsync(mergedId, viewer, ct);
        if (survivor is null || merged is null)
            return Answer(turn, "Not merged", CustomerAccess.NotFound((survivor is null ? survivorId : mergedId).ToString(CultureInfo.InvariantCulture)));

        if (merged.MergedIntoId is { } into)
            return Answer(turn, "Already merged", await merges.AlreadyMergedAsync(merged, into, ct));
        if (Date(data, "proposedAt") is { } proposedAt
            && await db.CustomerMerges.AsNoTracking().AnyAsync(m => m.SurvivorId == survivor.Id && m.MergedId == merged.Id && m.UndoneAt != null && m.At >= proposedAt, ct))
            return Answer(turn, "Already unmerged",
                await merges.NotMergedAsync(merged, ct) + $" To merge them again: customer merge {survivor.Number} {merged.Number}");

        var result = await merges.MergeAsync(survivor.Id, merged.Id, viewer, ct);
        return Answer(turn, result.Outcome == CustomerMerges.Outcome.Merged ? "Merged" : "Not merged", result.Message);
    }

    private Task<Customer?> VisibleAsync(int id, Viewer viewer, CancellationToken ct) =>
        VisibleAsync(db.Customers.Where(c => c.Id == id), viewer, "customer.merge", ct);

    private Task<Customer?> VisibleAsync(string number, Viewer viewer, string path, CancellationToken ct)
    {
        var n = number.Trim().ToUpperInvariant();
        return VisibleAsync(db.Customers.Where(c => c.Number == n), viewer, path, ct);
    }

    /// <summary>
    /// The customer, if <paramref name="viewer"/> may see it; audits a refusal. A merged customer is judged by its survivor,
    /// which holds its members now (so whoever may see the survivor may unmerge it).
    /// </summary>
    private async Task<Customer?> VisibleAsync(IQueryable<Customer> query, Viewer viewer, string path, CancellationToken ct)
    {
        var customer = await query.AsNoTracking().Include(c => c.Members).FirstOrDefaultAsync(ct);
        if (customer is null) return null;
        var judge = customer;
        for (var hops = 0; judge.MergedIntoId is { } into && hops < 5; hops++)
            judge = await db.Customers.AsNoTracking().Include(c => c.Members).FirstOrDefaultAsync(c => c.Id == into, ct) ?? judge;
        if (CustomerAccess.CanSee(judge, viewer)) return customer;
        await access.AuditDenialAsync(time.GetUtcNow().UtcDateTime, viewer, "Customer", customer.Number, path, ct);
        return null;
    }

    private static InvokeResponse Answer(BotTurn turn, string title, string message) =>
        turn.CardResponse("customer-merge", new CustomerMergeModel(title, "", true, message, []));

    private static int? Int(JsonObject data, string key) => data[key] switch
    {
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<string>(out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) => i,
        _ => null,
    };

    private static DateTime? Date(JsonObject data, string key) =>
        data[key] is JsonValue v && v.TryGetValue<string>(out var s)
        && DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d) ? d : null;
}

/// <summary>The view model of <c>cards/customer-merge.json</c>: proposals with a Merge button each, or a notice (the answer to a press).</summary>
public sealed record CustomerMergeModel(string Title, string Subtitle, bool HasNotice, string Notice, IReadOnlyList<CustomerMergePair> Pairs);

/// <summary>One proposed merge on the card.</summary>
public sealed record CustomerMergePair(string Heading, string Reasons, string Survivor, string Merged, string Button, string SurvivorId, string MergedId, string ProposedAt);
