using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Alerts;
using OpsBot.Commitments;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Escalations;

namespace OpsBot.Boards;

/// <summary>What one board shows one kind of viewer at one moment: the JSON of <c>GET /api/boards/{name}</c> and of each pushed event.</summary>
public sealed record BoardSnapshot(
    string Board, string Title, string Scope, long Version, DateTime GeneratedAt,
    IReadOnlyList<SeverityCount> OpenAlertsBySeverity, int OpenAlerts, IReadOnlyList<BoardAlert> Alerts,
    IReadOnlyList<BoardKpi> Kpis, IReadOnlyList<BoardComplaint> Complaints,
    IReadOnlyList<BoardCommitment> CommitmentsDue, IReadOnlyList<BoardOverdueRole> OverdueForms);

public sealed record SeverityCount(int Severity, string Name, int Count);

public sealed record BoardAlert(long Id, string Customer, string Kind, int Severity, string SeverityName, string Impact, string Status, DateTime OpenedAt, string? Owner);

/// <summary>A KPI tile: <see cref="Spark"/> holds the last value of each half hour of the last 24 hours that had a reading.</summary>
public sealed record BoardKpi(string Name, string Customer, decimal Value, string Unit, string Direction, decimal? Warning, decimal? Critical, string Level, DateTime At, IReadOnlyList<decimal> Spark);

/// <summary>A complaint in progress: <see cref="Clock"/> is the next SLA step (acknowledge, contact, resolve) and when it is due.</summary>
public sealed record BoardComplaint(string Number, string Customer, string Status, string Assignee, string Clock, DateTime DueAt, bool Overdue);

public sealed record BoardCommitment(string Opportunity, string Customer, string PoNumber, DateOnly DeliveryDate, decimal Value, string Currency);

public sealed record BoardOverdueRole(string Role, int Count, IReadOnlyList<BoardOverdueForm> Oldest);

public sealed record BoardOverdueForm(string Opportunity, string Customer, string Form, DateTime DueAt);

/// <summary>Reads a board's snapshot for a set of hidden (restricted, not allowed) customers; one query per section, lists capped.</summary>
public sealed class BoardQuery(OpsBotDbContext db, IOptions<AlertOptions> alertOptions, TimeProvider clock)
{
    /// <summary>The most severe, then oldest, open alerts listed (the counts cover all). Acknowledged alerts have an owner at work and leave the open list.</summary>
    public const int MaxAlerts = 60;
    public const int MaxComplaints = 40;
    public const int MaxCommitments = 40;
    public const int OldestFormsPerRole = 5;
    private static readonly TimeSpan SparkBucket = TimeSpan.FromMinutes(30);

    public async Task<BoardSnapshot> ReadAsync(Board board, IReadOnlySet<int> hidden, long version, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var scope = await ScopeAsync(board, ct);
        var hiddenIds = hidden.ToList();
        var scopeIds = scope?.ToList();

        var alerts = db.Alerts.AsNoTracking().Where(a => a.Status == AlertStatus.Open);
        alerts = scopeIds is null
            ? alerts.Where(a => a.CustomerId == null || !hiddenIds.Contains(a.CustomerId.Value))
            : alerts.Where(a => a.CustomerId != null && scopeIds.Contains(a.CustomerId.Value) && !hiddenIds.Contains(a.CustomerId.Value));
        var counts = await alerts.GroupBy(a => a.Severity).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var bySeverity = Enum.GetValues<Severity>().Select(s => new SeverityCount(s.Number(), s.ToString(), counts.FirstOrDefault(c => c.Key == s)?.Count ?? 0)).ToList();
        var listed = await alerts.OrderBy(a => a.Severity).ThenBy(a => a.CreatedAt).Take(MaxAlerts)
            .Select(a => new BoardAlert(a.Id, a.Account, a.Kind, (int)a.Severity, "", a.Impact, a.Status.ToString(), a.CreatedAt, a.OwnerName))
            .ToListAsync(ct);
        listed = listed.Select(a => a with { SeverityName = ((Severity)a.Severity).ToString() }).ToList();

        var complaints = db.Escalations.AsNoTracking().Where(c => c.Status != EscalationStatus.Resolved);
        complaints = scopeIds is null
            ? complaints.Where(c => c.CustomerId == null || !hiddenIds.Contains(c.CustomerId.Value))
            : complaints.Where(c => c.CustomerId != null && scopeIds.Contains(c.CustomerId.Value) && !hiddenIds.Contains(c.CustomerId.Value));
        var openComplaints = await complaints
            .Select(c => new { c.Id, c.Account, c.Status, c.AssigneeId, c.AcknowledgedAt, c.FirstContactAt, c.AcknowledgeDueAt, c.ContactDueAt, c.ResolveDueAt })
            .ToListAsync(ct);
        var assigneeIds = openComplaints.Select(c => c.AssigneeId).OfType<string>().Distinct().ToList();
        var names = await db.Executives.AsNoTracking().Where(e => assigneeIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, e => e.DisplayName, ct);
        var boardComplaints = openComplaints
            .Select(c =>
            {
                var (step, due) = c.AcknowledgedAt is null ? ("acknowledge", c.AcknowledgeDueAt)
                    : c.FirstContactAt is null ? ("contact", c.ContactDueAt) : ("resolve", c.ResolveDueAt);
                var assignee = c.AssigneeId is { } id ? names.GetValueOrDefault(id, id) : "unassigned";
                return new BoardComplaint($"ESC-{c.Id}", c.Account, c.Status.ToString(), assignee, step, due, due < now);
            })
            .OrderBy(c => c.DueAt).Take(MaxComplaints).ToList();

        var today = DateOnly.FromDateTime(now);
        var weekEnd = today.AddDays(7);
        var commitments = db.Commitments.AsNoTracking();
        commitments = scopeIds is null
            ? commitments.Where(c => !hiddenIds.Contains(c.CustomerId))
            : commitments.Where(c => scopeIds.Contains(c.CustomerId) && !hiddenIds.Contains(c.CustomerId));
        var due = await commitments.Where(c => c.RequestedDeliveryDate >= today && c.RequestedDeliveryDate < weekEnd)
            .OrderBy(c => c.RequestedDeliveryDate).ThenBy(c => c.Id).Take(MaxCommitments)
            .Select(c => new BoardCommitment(c.OpportunityId, c.CustomerName, c.CustomerPoNumber, c.RequestedDeliveryDate, c.CommittedValue, c.Currency))
            .ToListAsync(ct);

        var overdue = await db.DownstreamForms.AsNoTracking()
            .Where(f => f.Status == FormStatus.Open && f.DueAt < now && commitments.Any(c => c.Id == f.CommitmentId))
            .Select(f => new { f.Role, f.Kind, f.DueAt, f.Commitment.OpportunityId, f.Commitment.CustomerName })
            .ToListAsync(ct);
        var overdueByRole = overdue.GroupBy(f => f.Role).OrderBy(g => g.Key)
            .Select(g => new BoardOverdueRole(g.Key.ToString(), g.Count(),
                g.OrderBy(f => f.DueAt).Take(OldestFormsPerRole).Select(f => new BoardOverdueForm(f.OpportunityId, f.CustomerName, f.Kind.ToString(), f.DueAt)).ToList()))
            .ToList();

        var kpis = await KpisAsync(scopeIds, hiddenIds, now, ct);
        return new BoardSnapshot(board.Name, board.Title, Describe(board), version, now, bySeverity, counts.Sum(c => c.Count), listed,
            kpis, boardComplaints, due, overdueByRole);
    }

    private async Task<List<BoardKpi>> KpisAsync(List<int>? scopeIds, List<int> hiddenIds, DateTime now, CancellationToken ct)
    {
        var states = db.KpiStates.AsNoTracking();
        states = scopeIds is null
            ? states.Where(k => k.CustomerId == null || !hiddenIds.Contains(k.CustomerId.Value))
            : states.Where(k => k.CustomerId != null && scopeIds.Contains(k.CustomerId.Value) && !hiddenIds.Contains(k.CustomerId.Value));
        var rows = await states.OrderBy(k => k.Name)
            .Select(k => new { k.Name, k.CustomerId, k.Level, k.LastValue, k.LastAt })
            .ToListAsync(ct);
        if (rows.Count == 0) return [];
        var kpiNames = rows.Select(r => r.Name).ToList();
        var since = now - TimeSpan.FromHours(24);
        var readings = await db.KpiReadings.AsNoTracking().Where(r => kpiNames.Contains(r.Name) && r.At >= since)
            .Select(r => new { r.Name, r.At, r.Value }).ToListAsync(ct);
        var customerIds = rows.Select(r => r.CustomerId).OfType<int>().Distinct().ToList();
        var customerNames = await db.Customers.AsNoTracking().Where(c => customerIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var configured = alertOptions.Value.Kpis;
        return rows.Select(r =>
        {
            var o = configured.GetValueOrDefault(r.Name) ?? new KpiOptions();
            var spark = readings.Where(x => x.Name == r.Name)
                .GroupBy(x => (x.At - since).Ticks / SparkBucket.Ticks).OrderBy(g => g.Key)
                .Select(g => g.MaxBy(x => x.At)!.Value).ToList();
            var customer = r.CustomerId is { } id ? customerNames.GetValueOrDefault(id, "") : KpiOptions.AllCustomers;
            return new BoardKpi(r.Name, customer, r.LastValue, o.Unit, o.Direction.ToString(), o.Warning, o.Critical, r.Level.ToString(), r.LastAt, spark);
        }).ToList();
    }

    /// <summary>The customers in the board's scope (a customer with its subsidiaries at any depth, a region's or a team's); null for the whole operation.</summary>
    public async Task<IReadOnlySet<int>?> ScopeAsync(Board board, CancellationToken ct)
    {
        var values = board.Values.ToList();
        switch (board.Scope)
        {
            case BoardScope.Customer when board.CustomerId is { } root:
                var ids = new HashSet<int> { root };
                var frontier = new List<int> { root };
                while (frontier.Count > 0 && ids.Count < 100_000)
                {
                    var parents = frontier;
                    frontier = (await db.Customers.AsNoTracking().Where(c => c.ParentId != null && parents.Contains(c.ParentId.Value)).Select(c => c.Id).ToListAsync(ct))
                        .Where(ids.Add).ToList();
                }
                return ids;
            case BoardScope.Region:
                var countries = values.Select(v => v.ToUpperInvariant()).ToList();
                return (await db.CustomerSites.AsNoTracking().Where(s => s.Country != null && countries.Contains(s.Country.ToUpper()))
                    .Select(s => s.CustomerId).Distinct().ToListAsync(ct)).ToHashSet();
            case BoardScope.Team:
                var people = values.Select(v => v.ToLowerInvariant()).ToList();
                return (await db.Customers.AsNoTracking().Where(c => c.OwnerId != null && people.Contains(c.OwnerId.ToLower()))
                    .Select(c => c.Id).ToListAsync(ct)).ToHashSet();
            default:
                return null;
        }
    }

    public static string Describe(Board board) => board.Scope switch
    {
        BoardScope.Customer => "one customer and its subsidiaries",
        BoardScope.Region => "customers with a site in " + string.Join(", ", board.Values),
        BoardScope.Team => "customers owned by " + string.Join(", ", board.Values),
        _ => "the whole operation",
    };
}
