using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Alerts;
using OpsBot.Commitments;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Escalations;

namespace OpsBot.Metrics;

public sealed record DigestCardModel(string Title, string Subtitle, bool HasNote, string Note, IReadOnlyList<DigestGroup> Groups);
public sealed record DigestGroup(string Heading, IReadOnlyList<DigestLine> Lines);
public sealed record DigestLine(string Label, string Value);

/// <summary>
/// What one digest period holds for one recipient (card <c>digest</c>), filtered by the customers that recipient may see.
/// The queries are deliberately plain counts over the period's window (<see cref="DigestSchedule.Window"/>).
/// </summary>
public sealed class DigestContentBuilder(OpsBotDbContext db, CustomerAccess access, BusinessCalendar calendar, IOptions<MetricsOptions> options)
{
    public const int Top = 5;

    /// <param name="note">Late or preview notice shown under the title (empty: none).</param>
    public async Task<DigestCardModel> BuildAsync(string name, DigestOptions d, DigestPeriod period, Viewer viewer, DateTime now, string note, CancellationToken ct)
    {
        var zone = DigestSchedule.ZoneOf(d, options.Value);
        var (from, to) = DigestSchedule.Window(d, zone, period);
        var hidden = await access.HiddenFromAsync(viewer, ct);
        var groups = d.Content switch
        {
            DigestContent.TeamLead => await TeamLeadAsync(hidden, now, ct),
            DigestContent.Leadership => await LeadershipAsync(hidden, from, to, now, ct),
            DigestContent.ExecutiveParticipation => await ExecutivesAsync(hidden, from, to, ct),
            _ => await RecognitionAsync(hidden, from, to, ct),
        };
        var title = d.Content switch
        {
            DigestContent.TeamLead => "Team lead digest",
            DigestContent.Leadership => "Leadership digest",
            DigestContent.ExecutiveParticipation => "Executive participation",
            _ => "Recognition",
        } + $" · {period.Key}";
        var subtitle = $"{name} ({d.Cadence.ToString().ToLowerInvariant()}): {DigestSchedule.LocalDateTime(from, zone)} to {DigestSchedule.LocalDateTime(to, zone)}";
        return new DigestCardModel(title, subtitle, note.Length > 0, note, groups);
    }

    private static bool Visible(int? customerId, IReadOnlySet<int> hidden) => customerId is not { } id || !hidden.Contains(id);

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static DigestGroup Group(string heading, List<DigestLine> lines, string empty) =>
        new(heading, lines.Count > 0 ? lines : [new DigestLine("—", empty)]);

    private async Task<List<DigestGroup>> TeamLeadAsync(IReadOnlySet<int> hidden, DateTime now, CancellationToken ct)
    {
        var alerts = (await db.Alerts.AsNoTracking().Where(a => a.Status != AlertStatus.Resolved)
                .Select(a => new { a.Id, a.CustomerId, a.Account, a.Kind, a.Severity, a.CreatedAt, a.Status }).ToListAsync(ct))
            .Where(a => Visible(a.CustomerId, hidden)).ToList();
        var alertLines = alerts.GroupBy(a => a.Severity).OrderBy(g => g.Key)
            .Select(g => new DigestLine(g.Key.ToString(), $"{N(g.Count())} open: " + string.Join(", ", g.OrderBy(a => a.CreatedAt).Take(Top)
                .Select(a => $"#{N((int)a.Id)} {a.Account} ({a.Kind}{(a.Status == AlertStatus.Acknowledged ? ", acknowledged" : "")})"))
                + (g.Count() > Top ? " …" : ""))).ToList();

        var forms = (await db.DownstreamForms.AsNoTracking().Where(f => f.Status == FormStatus.Open && f.DueAt <= now)
                .Select(f => new { f.Kind, f.Role, f.DueAt, f.Commitment.OpportunityId, f.Commitment.CustomerId, f.Commitment.CustomerName }).ToListAsync(ct))
            .Where(f => Visible(f.CustomerId, hidden)).ToList();
        var formLines = forms.GroupBy(f => f.Role).OrderBy(g => g.Key)
            .Select(g => new DigestLine(CommitmentSummaryCard.RoleLabel(g.Key), $"{N(g.Count())} overdue: " + string.Join(", ", g.OrderBy(f => f.DueAt).Take(Top)
                .Select(f => $"{CommitmentSummaryCard.FormLabel(f.Kind)} {f.OpportunityId} ({f.CustomerName}, due {Time(f.DueAt)})"))
                + (g.Count() > Top ? " …" : ""))).ToList();

        var soon = calendar.AddBusinessHours(now, 4);
        var complaints = (await db.Escalations.AsNoTracking().Where(e => e.Status != EscalationStatus.Resolved).ToListAsync(ct))
            .Where(e => Visible(e.CustomerId, hidden))
            .Select(e => (e, Due: NextDue(e))).Where(x => x.Due <= soon).OrderBy(x => x.Due).ToList();
        var complaintLines = complaints.Take(10).Select(x => new DigestLine($"{x.e.Number} {x.e.Account}",
            $"{(x.Due <= now ? "overdue" : "due")} {Time(x.Due)} ({Step(x.e)}), {x.e.Severity}")).ToList();

        return
        [
            Group($"Open alerts ({N(alerts.Count)})", alertLines, "No open alerts."),
            Group($"Overdue downstream forms ({N(forms.Count)})", formLines, "No overdue forms."),
            Group($"Complaints near or past their SLA ({N(complaints.Count)})", complaintLines, "No complaint is due within 4 business hours."),
        ];
    }

    /// <summary>The SLA a complaint faces next: acknowledge, first contact or resolve.</summary>
    private static DateTime NextDue(Escalation e) => e.Status switch
    {
        EscalationStatus.Unassigned or EscalationStatus.Assigned => e.AcknowledgeDueAt,
        EscalationStatus.Acknowledged => e.ContactDueAt,
        _ => e.ResolveDueAt,
    };

    private static string Step(Escalation e) => e.Status switch
    {
        EscalationStatus.Unassigned or EscalationStatus.Assigned => "acknowledge",
        EscalationStatus.Acknowledged => "first contact",
        _ => "resolve",
    };

    private async Task<List<DigestGroup>> LeadershipAsync(IReadOnlySet<int> hidden, DateTime from, DateTime to, DateTime now, CancellationToken ct)
    {
        var alerts = (await db.Alerts.AsNoTracking().Where(a => (a.CreatedAt >= from && a.CreatedAt < to) || (a.ResolvedAt >= from && a.ResolvedAt < to) || a.Status != AlertStatus.Resolved)
                .Select(a => new { a.Id, a.CustomerId, a.Account, a.Kind, a.Severity, a.CreatedAt, a.ResolvedAt, a.Status }).ToListAsync(ct))
            .Where(a => Visible(a.CustomerId, hidden)).ToList();
        var complaints = (await db.Escalations.AsNoTracking().Where(e => (e.CreatedAt >= from && e.CreatedAt < to) || (e.ResolvedAt >= from && e.ResolvedAt < to) || e.Status != EscalationStatus.Resolved)
                .ToListAsync(ct)).Where(e => Visible(e.CustomerId, hidden)).ToList();
        var commitments = (await db.Commitments.AsNoTracking().Where(c => c.CreatedAt >= from && c.CreatedAt < to).Select(c => c.CustomerId).ToListAsync(ct))
            .Count(id => Visible(id, hidden));
        var confirmed = (await db.DownstreamForms.AsNoTracking().Where(f => f.ConfirmedAt >= from && f.ConfirmedAt < to)
                .Select(f => new { f.Commitment.CustomerId, f.ConfirmedAt, f.DueAt }).ToListAsync(ct))
            .Where(f => Visible(f.CustomerId, hidden)).ToList();

        static bool In(DateTime? t, DateTime from, DateTime to) => t is { } v && v >= from && v < to;
        var resolved = complaints.Where(e => In(e.ResolvedAt, from, to)).ToList();
        var inSla = resolved.Count(e => e.ResolvedAt <= e.ResolveDueAt);
        var counts = new List<DigestLine>
        {
            new("Alerts", $"{N(alerts.Count(a => In(a.CreatedAt, from, to)))} raised · {N(alerts.Count(a => In(a.ResolvedAt, from, to)))} resolved"),
            new("Complaints", $"{N(complaints.Count(e => In(e.CreatedAt, from, to)))} opened · {N(resolved.Count)} resolved · " +
                (resolved.Count == 0 ? "no resolution to rate" : $"{N(inSla * 100 / resolved.Count)} % resolved within SLA")),
            new("Commitments", $"{N(commitments)} captured · {N(confirmed.Count(f => f.ConfirmedAt <= f.DueAt))} of {N(confirmed.Count)} forms confirmed on time"),
        };
        var issues = alerts.Where(a => a.Status != AlertStatus.Resolved).Select(a => (Severity: a.Severity, Since: a.CreatedAt, Label: $"Alert #{N((int)a.Id)}", Text: $"{a.Account}: {a.Kind}"))
            .Concat(complaints.Where(e => e.IsOpen).Select(e => (e.Severity, Since: e.CreatedAt, Label: e.Number, Text: $"{e.Account}: {Cut(e.Summary)}")))
            .OrderBy(i => i.Severity).ThenBy(i => i.Since).Take(Top)
            .Select(i => new DigestLine(i.Label, $"{i.Severity} · {i.Text} · open since {Time(i.Since)}")).ToList();
        return [Group("This period", counts, ""), Group("Top open issues", issues, "No open issue.")];
    }

    private static string Cut(string s) => s.Length <= 80 ? s : s[..79] + "…";

    private async Task<List<DigestGroup>> ExecutivesAsync(IReadOnlySet<int> hidden, DateTime from, DateTime to, CancellationToken ct)
    {
        var minimum = options.Value.ExecutiveMonthlyMinimum;
        var executives = await db.Executives.AsNoTracking().OrderBy(x => x.DisplayName).Select(x => new { x.Id, x.DisplayName }).ToListAsync(ct);
        var resolved = (await db.Escalations.AsNoTracking().Where(e => e.ResolvedAt >= from && e.ResolvedAt < to && e.AssigneeId != null)
                .Select(e => new { e.AssigneeId, e.CustomerId }).ToListAsync(ct))
            .Where(e => Visible(e.CustomerId, hidden)).GroupBy(e => e.AssigneeId!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var lines = executives.Select(x => (x.DisplayName, Count: resolved.GetValueOrDefault(x.Id)))
            .Select(x => new DigestLine(x.DisplayName, $"{N(x.Count)} resolved personally{(x.Count < minimum ? $" · below the minimum of {N(minimum)}" : "")}")).ToList();
        var below = executives.Where(x => resolved.GetValueOrDefault(x.Id) < minimum).Select(x => x.DisplayName).ToList();
        return
        [
            Group($"Complaints resolved per executive (minimum {N(minimum)})", lines, "No executives are configured."),
            Group("Below the minimum", below.Count == 0 ? [] : [new DigestLine(N(below.Count), string.Join(", ", below))], "Every executive reached the minimum."),
        ];
    }

    private async Task<List<DigestGroup>> RecognitionAsync(IReadOnlySet<int> hidden, DateTime from, DateTime to, CancellationToken ct)
    {
        var kudos = (await db.Kudos.AsNoTracking().Where(k => k.At >= from && k.At < to).Select(k => new { k.ToId, k.ToName, k.CustomerId }).ToListAsync(ct))
            .Where(k => Visible(k.CustomerId, hidden)).ToList();
        var top = kudos.GroupBy(k => k.ToId, StringComparer.Ordinal)
            .Select(g => (Name: g.Select(k => k.ToName).FirstOrDefault(n => n.Length > 0) ?? g.Key, Count: g.Count()))
            .OrderByDescending(x => x.Count).ThenBy(x => x.Name, StringComparer.Ordinal).Take(Top)
            .Select(x => new DigestLine(x.Name, $"{N(x.Count)} kudos")).ToList();
        return [Group($"Kudos received ({N(kudos.Count)} in all)", top, "No kudos in this period.")];
    }
}
