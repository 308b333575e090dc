using System.Globalization;
using Microsoft.EntityFrameworkCore;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Escalations;

/// <summary>
/// Who gets an escalation, and why. Order: the executive the rep asked for (unless away); the account's sponsor
/// (unless away; capacity does not apply to one's own accounts); when the sponsor is away, a delegate of the sponsor who
/// is an executive and not away; otherwise rotation among executives under their monthly cap, skipping those away —
/// fewest assigned this month first, ties broken by fewest open, then by id.
/// </summary>
public sealed class EscalationAssigner(OpsBotDbContext db, ExecutiveDirectory directory)
{
    public async Task<Assignment> AssignAsync(Customer customer, string? requestedExecutive, DateTime now, string? excludeExecutiveId, CancellationToken ct)
    {
        var account = customer.Name;
        var all = (await directory.AllAsync(ct)).Where(e => e.Id != excludeExecutiveId).ToList();
        // Nobody is assigned a customer they may not see: a restricted customer's complaint goes to its members only.
        var executives = all.Where(e => MaySee(customer, e)).ToList();
        var today = DateOnly.FromDateTime(now);
        var notes = new List<string>();

        if (!string.IsNullOrWhiteSpace(requestedExecutive))
        {
            var requested = executives.FirstOrDefault(e => Matches(e, requestedExecutive));
            if (requested is null) notes.Add(all.Any(e => Matches(e, requestedExecutive))
                ? $"requested {requestedExecutive} is not on this customer's team"
                : $"requested {requestedExecutive} is not an executive");
            else if (requested.AwayOn(today) is { } away) notes.Add($"requested {requested.DisplayName} is away until {away.To:yyyy-MM-dd}");
            else return new Assignment(requested, "requested by the rep");
        }

        var sponsor = executives.FirstOrDefault(e => e.Sponsorships.Any(s => s.CustomerId == customer.Id));
        if (sponsor is not null)
        {
            if (sponsor.AwayOn(today) is not { } away) return new Assignment(sponsor, With(notes, $"sponsor of {account}"));
            var delegateExec = executives.FirstOrDefault(e => e.Id != sponsor.Id && !e.IsAway(today) && sponsor.Delegates.Any(d => e.Is(d.UserId, d.UserId)));
            if (delegateExec is not null)
                return new Assignment(delegateExec, With(notes, $"delegate of {sponsor.DisplayName} (sponsor of {account}, away until {away.To:yyyy-MM-dd})"));
            notes.Add($"sponsor {sponsor.DisplayName} is away until {away.To:yyyy-MM-dd}");
        }

        var monthStart = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var ids = executives.Select(e => e.Id).ToList();
        var load = await db.Escalations.Where(c => c.AssigneeId != null && ids.Contains(c.AssigneeId))
            .GroupBy(c => c.AssigneeId!)
            .Select(g => new
            {
                Id = g.Key,
                ThisMonth = g.Count(c => c.AssignedAt >= monthStart),
                Open = g.Count(c => c.Status != EscalationStatus.Resolved),
            })
            .ToDictionaryAsync(x => x.Id, ct);
        var next = executives
            .Where(e => !e.IsAway(today))
            .Select(e => (Exec: e, Month: load.GetValueOrDefault(e.Id)?.ThisMonth ?? 0, Open: load.GetValueOrDefault(e.Id)?.Open ?? 0))
            .Where(x => x.Month < x.Exec.MonthlyCapacity)
            .OrderBy(x => x.Month).ThenBy(x => x.Open).ThenBy(x => x.Exec.Id, StringComparer.Ordinal)
            .FirstOrDefault();
        if (next.Exec is not null)
            return new Assignment(next.Exec, With(notes, string.Create(CultureInfo.InvariantCulture, $"next in rotation, {next.Month + 1}/{next.Exec.MonthlyCapacity} this month")));
        return new Assignment(null, With(notes, "no executive available (all away or at their monthly cap)"));
    }

    /// <summary>Whether <paramref name="e"/> may see <paramref name="customer"/> (loaded with its members).</summary>
    public static bool MaySee(Customer? customer, Executive e) =>
        customer is null || CustomerAccess.CanSee(customer, new Viewer(e.UserId, e.AadObjectId, e.DisplayName));

    /// <summary>The customer of an escalation with its members, for <see cref="MaySee"/>; null when it has none.</summary>
    public static Task<Customer?> CustomerOfAsync(OpsBotDbContext db, Escalation c, CancellationToken ct) =>
        c.CustomerId is { } id ? db.Customers.AsNoTracking().Include(x => x.Members).FirstOrDefaultAsync(x => x.Id == id, ct) : Task.FromResult<Customer?>(null);

    private static bool Matches(Executive e, string key) =>
        string.Equals(e.Id, key.Trim(), StringComparison.OrdinalIgnoreCase) || string.Equals(e.DisplayName, key.Trim(), StringComparison.OrdinalIgnoreCase) || e.Is(key.Trim(), key.Trim());

    private static string With(List<string> notes, string reason) => notes.Count == 0 ? reason : $"{reason}; {string.Join("; ", notes)}";
}

public sealed record Assignment(Executive? Executive, string Reason);
