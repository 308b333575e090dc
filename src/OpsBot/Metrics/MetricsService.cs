using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Alerts;
using OpsBot.Commitments;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.People;

namespace OpsBot.Metrics;

/// <summary>Whose metrics: one person, a configured team, a customer, the executives' participation, or the whole company.</summary>
public sealed record MetricsScope(string Kind, string Label, IReadOnlyList<string> People, int? CustomerId = null, string? Team = null)
{
    public const string Person = "person", TeamKind = "team", Customer = "customer", Executives = "exec", All = "all";
}

/// <summary>One metric for the period and the one before it (<see cref="Value"/> null: nothing to measure).</summary>
public sealed record MetricLine(string Group, string Key, string Name, double? Value, double? Previous, string Unit, bool HigherIsBetter);

/// <summary>A bar of the per-person chart and a line of the CSV.</summary>
public sealed record PersonLine(string Person, int Resolved, double? FormsOnTime, int Kudos);

public sealed record TrendPoint(string Label, double? CleanOrders, double? FormsOnTime, double? ComplaintsInSla);

public sealed record MetricsReport(MetricsScope Scope, MetricsPeriod Period, MetricsPeriod PreviousPeriod, IReadOnlyList<MetricLine> Lines,
    IReadOnlyList<TrendPoint> Trend, IReadOnlyList<PersonLine> People, IReadOnlyList<string> BelowMinimum, int Facts)
{
    public bool Empty => Facts == 0;
}

/// <summary>
/// The customer-centric metrics (definitions in <c>docs/metrics.md</c>), computed from the facts the features record. Every
/// fact about a customer the viewer may not see is left out before anything is counted, so no total reveals a restricted
/// customer's figures. The facts of the period, the one before and four more (for the trend chart) are read once, as small
/// projections, and bucketed in memory.
/// </summary>
public sealed class MetricsService(OpsBotDbContext db, IOptions<MetricsOptions> options, IOptions<PeopleOptions> people, CustomerAccess access)
{
    public const int TrendPeriods = 6;
    private const string Orders = "Order quality", Forms = "No re-keying", Complaints = "Complaints", Participation = "Executive participation", AlertsGroup = "Alerts", Recognition = "Recognition";

    /// <summary>A configured team as a scope (null when there is no such team).</summary>
    public MetricsScope? Team(string name) =>
        options.Value.Teams.FirstOrDefault(t => t.Key.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase)) is { Value: { } team, Key: var key }
            ? new MetricsScope(MetricsScope.TeamKind, "team " + key, [.. team.Members.Select(m => m.Id)], Team: key)
            : null;

    public TimeZoneInfo Zone => TimeZoneInfo.TryFindSystemTimeZoneById(options.Value.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>Whether <paramref name="viewer"/> may see <paramref name="scope"/>: themselves; their team and its people as its manager (configured, or the Graph manager of an executive); everything as leadership.</summary>
    public async Task<bool> MaySeeAsync(Viewer viewer, MetricsScope scope, CancellationToken ct)
    {
        if (people.Value.IsLeadership(viewer.Id, viewer.AadId)) return true;
        switch (scope.Kind)
        {
            case MetricsScope.Person:
                if (scope.People.Any(viewer.Is)) return true;
                if (options.Value.Teams.Values.Any(t => viewer.Is(t.Manager) && t.Members.Any(m => scope.People.Contains(m.Id, StringComparer.OrdinalIgnoreCase)))) return true;
                if (viewer.AadId is not { Length: > 0 } aad) return false;
                var ids = scope.People.ToList();
                return await db.Executives.AsNoTracking().AnyAsync(e => e.ManagerAadObjectId == aad && (ids.Contains(e.UserId) || (e.AadObjectId != null && ids.Contains(e.AadObjectId))), ct);
            case MetricsScope.TeamKind:
                return scope.Team is { } team && options.Value.Teams.TryGetValue(team, out var t2) && viewer.Is(t2.Manager);
            case MetricsScope.Customer:
                return await access.MaySeeAsync(scope.CustomerId, viewer, ct);
            default:
                return false;
        }
    }

    /// <summary>The report of <paramref name="scope"/> for <paramref name="period"/> as <paramref name="viewer"/> may see it; without <paramref name="trend"/> only this period and the one before are read (digests).</summary>
    public async Task<MetricsReport> ComputeAsync(MetricsScope scope, MetricsPeriod period, Viewer viewer, CancellationToken ct, bool trend = true)
    {
        var zone = Zone;
        var periods = new List<MetricsPeriod> { period };
        for (var i = 1; i < (trend ? TrendPeriods : 2); i++) periods.Insert(0, periods[0].Previous(zone));
        var from = periods[0].Start;
        var to = period.End;
        var hidden = (await access.HiddenFromAsync(viewer, ct)).ToList();
        var everyone = scope.Kind is MetricsScope.All or MetricsScope.Executives;
        var customer = scope.CustomerId;
        var ids = scope.People.ToList();
        var executives = await db.Executives.AsNoTracking().Select(e => new { e.Id, e.UserId, e.AadObjectId, e.DisplayName }).ToListAsync(ct);
        var execIds = everyone ? executives.Select(e => e.Id).ToList()
            : executives.Where(e => ids.Contains(e.UserId, StringComparer.OrdinalIgnoreCase) || (e.AadObjectId is { } a && ids.Contains(a, StringComparer.OrdinalIgnoreCase))).Select(e => e.Id).ToList();
        var roles = everyone || customer is not null ? []
            : await db.RoleAssignments.AsNoTracking().Where(r => r.UserId != null && ids.Contains(r.UserId)).Select(r => r.Role).Distinct().ToListAsync(ct);

        var commitmentQuery = db.Commitments.AsNoTracking().Where(c => c.CreatedAt >= from && c.CreatedAt < to && !hidden.Contains(c.CustomerId));
        if (customer is { } cid) commitmentQuery = commitmentQuery.Where(c => c.CustomerId == cid);
        else if (!everyone) commitmentQuery = commitmentQuery.Where(c => ids.Contains(c.CreatedById) || ids.Contains(c.AccountOwnerId));
        var commitments = await commitmentQuery.Select(c => new { c.Id, c.CreatedAt, c.ConfirmedWarnings, c.CaptureFormId, Forms = c.Forms.Count }).ToListAsync(ct);
        var formIds = commitments.Select(c => c.CaptureFormId).OfType<string>().ToList();
        var warned = formIds.Count == 0 ? [] : await db.AuditEntries.AsNoTracking()
            .Where(a => a.Action == "capture-warned" && a.EntityType == "CaptureForm" && formIds.Contains(a.EntityId))
            .Select(a => new { a.EntityId, a.Note }).ToListAsync(ct);
        var warnedCodes = warned.GroupBy(w => w.EntityId).ToDictionary(g => g.Key, g => g.SelectMany(w => (w.Note ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)).ToHashSet());

        var enrichmentQuery = db.Enrichments.AsNoTracking().Where(e => e.At >= from && e.At < to && e.PreviousValue != null && e.PreviousValue != e.Value
            && db.Commitments.Any(c => c.Id == e.CommitmentId && !hidden.Contains(c.CustomerId)
                && (customer == null || c.CustomerId == customer) && (everyone || customer != null || ids.Contains(c.CreatedById) || ids.Contains(c.AccountOwnerId))));
        var corrections = await enrichmentQuery.Select(e => e.At).ToListAsync(ct);

        var formQuery = db.DownstreamForms.AsNoTracking().Where(f => f.DueAt >= from && f.DueAt < to && !hidden.Contains(f.Commitment.CustomerId));
        if (customer is { } fc) formQuery = formQuery.Where(f => f.Commitment.CustomerId == fc);
        else if (!everyone) formQuery = formQuery.Where(f => roles.Contains(f.Role) || (f.ConfirmedById != null && ids.Contains(f.ConfirmedById)));
        var forms = await formQuery.Select(f => new { f.Role, f.DueAt, f.ConfirmedAt, f.ConfirmedById, f.ConfirmedByName }).ToListAsync(ct);

        var complaintQuery = db.Escalations.AsNoTracking().Where(c => ((c.CreatedAt >= from && c.CreatedAt < to) || (c.ResolvedAt >= from && c.ResolvedAt < to))
            && (c.CustomerId == null || !hidden.Contains(c.CustomerId.Value)));
        if (customer is { } ec) complaintQuery = complaintQuery.Where(c => c.CustomerId == ec);
        else if (!everyone) complaintQuery = complaintQuery.Where(c => (c.AssigneeId != null && execIds.Contains(c.AssigneeId)) || ids.Contains(c.RepUserId));
        var complaints = await complaintQuery.Select(c => new
        {
            c.Id, c.CreatedAt, c.AssignedAt, c.AcknowledgedAt, c.FirstContactAt, c.ResolvedAt, c.AcknowledgeDueAt, c.ContactDueAt, c.ResolveDueAt,
            c.CustomerSatisfied, c.AssigneeId,
        }).ToListAsync(ct);
        var complaintIds = complaints.Select(c => c.Id).ToList();
        var reEscalations = complaintIds.Count == 0 ? [] : await db.EscalationEvents.AsNoTracking()
            .Where(e => e.Kind == EscalationEventKind.ReEscalated && e.At >= from && e.At < to && complaintIds.Contains(e.EscalationId)).Select(e => e.At).ToListAsync(ct);

        var alertQuery = db.Alerts.AsNoTracking().Where(a => a.CreatedAt >= from && a.CreatedAt < to && (a.CustomerId == null || !hidden.Contains(a.CustomerId.Value)));
        if (customer is { } ac) alertQuery = alertQuery.Where(a => a.CustomerId == ac);
        else if (!everyone) alertQuery = alertQuery.Where(a => a.OwnerId != null && ids.Contains(a.OwnerId));
        var alerts = await alertQuery.Select(a => new { a.CreatedAt, a.AcknowledgedAt, a.ResolvedAt }).ToListAsync(ct);

        var stepQuery = db.AlertPlanSteps.AsNoTracking().Where(s => s.DueAt >= from && s.DueAt < to
            && db.Alerts.Any(a => a.Id == s.AlertId && (a.CustomerId == null || !hidden.Contains(a.CustomerId.Value)) && (customer == null || a.CustomerId == customer)));
        if (!everyone && customer is null) stepQuery = stepQuery.Where(s => ids.Contains(s.OwnerId));
        var steps = await stepQuery.Select(s => new { s.DueAt, s.DoneAt }).ToListAsync(ct);

        var kudosQuery = db.Kudos.AsNoTracking().Where(k => k.At >= from && k.At < to && (k.CustomerId == null || !hidden.Contains(k.CustomerId.Value)));
        if (customer is { } kc) kudosQuery = kudosQuery.Where(k => k.CustomerId == kc);
        else if (!everyone) kudosQuery = kudosQuery.Where(k => ids.Contains(k.ToId));
        var kudos = await kudosQuery.Select(k => new { k.At, k.ToId, k.ToName }).ToListAsync(ct);

        bool In(DateTime? at, MetricsPeriod p) => at is { } t && t >= p.Start && t < p.End;
        static double? Share(int part, int whole) => whole == 0 ? null : Math.Round(100.0 * part / whole, 1);
        static double? Mean(IEnumerable<double> values) => values.ToList() is { Count: > 0 } l ? Math.Round(l.Average(), 1) : null;

        double? CleanOrders(MetricsPeriod p)
        {
            var inP = commitments.Where(c => In(c.CreatedAt, p)).ToList();
            return Share(inP.Count(c => c.ConfirmedWarnings.Length == 0 && (c.CaptureFormId is null || !warnedCodes.ContainsKey(c.CaptureFormId))), inP.Count);
        }
        double? FormsOnTime(MetricsPeriod p, OwnerRole? role = null)
        {
            var inP = forms.Where(f => In(f.DueAt, p) && (role is null || f.Role == role) && f.DueAt <= to).ToList();
            return Share(inP.Count(f => f.ConfirmedAt is { } at && at <= f.DueAt), inP.Count);
        }
        double? ComplaintsInSla(MetricsPeriod p)
        {
            var resolved = complaints.Where(c => In(c.ResolvedAt, p)).ToList();
            return Share(resolved.Count(c => c.ResolvedAt <= c.ResolveDueAt), resolved.Count);
        }

        var lines = new List<MetricLine>();
        void Add(string group, string key, string name, Func<MetricsPeriod, double?> measure, string unit, bool higherIsBetter) =>
            lines.Add(new MetricLine(group, key, name, measure(periods[^1]), measure(periods[^2]), unit, higherIsBetter));

        Add(Orders, "orders.captured", "Commitments captured", p => commitments.Count(c => In(c.CreatedAt, p)), "", true);
        Add(Orders, "orders.clean", "Captured without an order-error warning", CleanOrders, "%", true);
        Add(Orders, "orders.corrected", "Warnings corrected before saving", p => commitments.Where(c => In(c.CreatedAt, p) && c.CaptureFormId is { } f && warnedCodes.ContainsKey(f))
            .Sum(c => warnedCodes[c.CaptureFormId!].Count(code => !c.ConfirmedWarnings.Split(',').Contains(code))), "", true);
        Add(Orders, "orders.confirmed", "Warnings confirmed as they were", p => commitments.Where(c => In(c.CreatedAt, p)).Sum(c => c.ConfirmedWarnings.Split(',', StringSplitOptions.RemoveEmptyEntries).Length), "", false);
        Add(Orders, "orders.errors_later", "Errors found later (header corrections)", p => corrections.Count(at => In(at, p)), "", false);
        Add(Forms, "forms.from_header", "Downstream forms filled from the header", p => commitments.Where(c => In(c.CreatedAt, p)).Sum(c => c.Forms), "", true);
        Add(Forms, "forms.on_time", "Forms confirmed on time", p => FormsOnTime(p), "%", true);
        foreach (var role in Enum.GetValues<OwnerRole>())
            if (forms.Any(f => f.Role == role)) Add(Forms, "forms.on_time." + role, $"… by {role}", p => FormsOnTime(p, role), "%", true);
        Add(Complaints, "complaints.opened", "Complaints opened", p => complaints.Count(c => In(c.CreatedAt, p)), "", false);
        Add(Complaints, "complaints.ack_hours", "Hours to acknowledge (mean)", p => Mean(complaints.Where(c => In(c.CreatedAt, p) && c.AcknowledgedAt is not null).Select(c => (c.AcknowledgedAt!.Value - c.AssignedAt).TotalHours)), "h", false);
        Add(Complaints, "complaints.ack_in_sla", "Acknowledged within SLA", p => complaints.Where(c => In(c.CreatedAt, p) && c.AcknowledgedAt is not null).ToList() is var l ? Share(l.Count(c => c.AcknowledgedAt <= c.AcknowledgeDueAt), l.Count) : null, "%", true);
        Add(Complaints, "complaints.contact_hours", "Hours to first contact (mean)", p => Mean(complaints.Where(c => In(c.CreatedAt, p) && c.FirstContactAt is not null).Select(c => (c.FirstContactAt!.Value - c.AssignedAt).TotalHours)), "h", false);
        Add(Complaints, "complaints.contact_in_sla", "First contact within SLA", p => complaints.Where(c => In(c.CreatedAt, p) && c.FirstContactAt is not null).ToList() is var l ? Share(l.Count(c => c.FirstContactAt <= c.ContactDueAt), l.Count) : null, "%", true);
        Add(Complaints, "complaints.resolve_hours", "Hours to resolve (mean)", p => Mean(complaints.Where(c => In(c.ResolvedAt, p)).Select(c => (c.ResolvedAt!.Value - c.AssignedAt).TotalHours)), "h", false);
        Add(Complaints, "complaints.resolve_in_sla", "Resolved within SLA", ComplaintsInSla, "%", true);
        Add(Complaints, "complaints.satisfied", "Resolved with the customer satisfied", p => complaints.Where(c => In(c.ResolvedAt, p)).ToList() is var l ? Share(l.Count(c => c.CustomerSatisfied == true), l.Count) : null, "%", true);
        Add(Complaints, "complaints.reescalated", "Re-escalations", p => reEscalations.Count(at => In(at, p)), "", false);
        Add(AlertsGroup, "alerts.raised", "Alerts raised", p => alerts.Count(a => In(a.CreatedAt, p)), "", false);
        Add(AlertsGroup, "alerts.ack_in_target", $"Acknowledged within {options.Value.AlertAcknowledgeTarget.TotalMinutes:0} min",
            p => alerts.Where(a => In(a.CreatedAt, p)).ToList() is var l ? Share(l.Count(a => a.AcknowledgedAt is { } at && at - a.CreatedAt <= options.Value.AlertAcknowledgeTarget), l.Count) : null, "%", true);
        Add(AlertsGroup, "alerts.resolve_hours", "Hours to resolve (mean)", p => Mean(alerts.Where(a => In(a.ResolvedAt, p) && In(a.CreatedAt, p)).Select(a => (a.ResolvedAt!.Value - a.CreatedAt).TotalHours)), "h", false);
        Add(AlertsGroup, "alerts.plan_on_time", "Action-plan items done on time", p => steps.Where(s => In(s.DueAt, p) && s.DueAt <= to).ToList() is var l ? Share(l.Count(s => s.DoneAt is { } d && d <= s.DueAt), l.Count) : null, "%", true);
        Add(Recognition, "kudos.received", "Kudos received", p => kudos.Count(k => In(k.At, p)), "", true);

        // Executive participation: complaints each executive personally resolved in the period, against the monthly minimum.
        var resolvedBy = complaints.Where(c => In(c.ResolvedAt, period) && c.AssigneeId is not null).GroupBy(c => c.AssigneeId!).ToDictionary(g => g.Key, g => g.Count());
        var minimum = options.Value.ExecutiveMonthlyMinimum;
        var scopedExecutives = executives.Where(e => execIds.Contains(e.Id)).ToList();
        var below = period.Kind == PeriodKind.Month
            ? scopedExecutives.Where(e => resolvedBy.GetValueOrDefault(e.Id) < minimum).Select(e => $"{e.DisplayName} ({resolvedBy.GetValueOrDefault(e.Id)} of {minimum})").ToList()
            : [];
        if (scopedExecutives.Count > 0)
            lines.Add(new MetricLine(Participation, "exec.resolved", $"Complaints personally resolved (minimum {minimum} a month each)",
                scopedExecutives.Sum(e => resolvedBy.GetValueOrDefault(e.Id)),
                complaints.Count(c => In(c.ResolvedAt, periods[^2]) && c.AssigneeId is { } a && execIds.Contains(a)), "", true));

        var personLines = new List<PersonLine>();
        if (scope.Kind is MetricsScope.TeamKind or MetricsScope.All or MetricsScope.Executives)
        {
            foreach (var e in scopedExecutives.OrderByDescending(e => resolvedBy.GetValueOrDefault(e.Id)).ThenBy(e => e.DisplayName))
                personLines.Add(new PersonLine(e.DisplayName, resolvedBy.GetValueOrDefault(e.Id), null, 0));
            if (scope.Kind == MetricsScope.TeamKind && scope.Team is { } team && options.Value.Teams.TryGetValue(team, out var t))
            {
                foreach (var m in t.Members.Where(m => personLines.All(l => l.Person != m.Name)))
                {
                    var mine = forms.Where(f => In(f.DueAt, period) && f.ConfirmedById == m.Id).ToList();
                    personLines.Add(new PersonLine(m.Name.Length > 0 ? m.Name : m.Id, 0, Share(mine.Count(f => f.ConfirmedAt <= f.DueAt), mine.Count), kudos.Count(k => In(k.At, period) && k.ToId == m.Id)));
                }
            }
        }

        var points = periods.Select(p => new TrendPoint(TrendLabel(p), CleanOrders(p), FormsOnTime(p), ComplaintsInSla(p))).ToList();
        var facts = commitments.Count(c => In(c.CreatedAt, period)) + forms.Count(f => In(f.DueAt, period)) + complaints.Count(c => In(c.CreatedAt, period) || In(c.ResolvedAt, period))
            + alerts.Count(a => In(a.CreatedAt, period)) + steps.Count(s => In(s.DueAt, period)) + kudos.Count(k => In(k.At, period)) + corrections.Count(at => In(at, period));
        return new MetricsReport(scope, period, periods[^2], lines, points, personLines, below, facts);
    }

    private static string TrendLabel(MetricsPeriod p) => p.Kind switch
    {
        PeriodKind.Month => p.FirstDay.ToString("MMM", System.Globalization.CultureInfo.InvariantCulture),
        PeriodKind.Quarter => p.Key[5..],
        _ => p.Key[5..],
    };
}
