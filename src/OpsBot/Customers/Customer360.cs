using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Alerts;
using OpsBot.Commitments;
using OpsBot.Data;
using OpsBot.Escalations;

namespace OpsBot.Customers;

/// <summary>
/// Everything OpsBot knows about one customer, for a viewer already allowed on it: identity, owner and sponsors, open
/// commitments with their downstream forms, complaints, interruption alerts, KPIs and the last events across features.
/// The same record answers <c>GET /api/customers/{key}</c> and fills the <c>customer-360</c> card.
/// </summary>
public sealed record Customer360(
    int Id,
    string Number,
    string Name,
    string? LegalName,
    string Segment,
    string? Industry,
    bool Restricted,
    bool NeedsReview,
    string? Owner,
    IReadOnlyList<string> Sponsors,
    IReadOnlyList<string> Identifiers,
    Customer360.Related? Parent,
    IReadOnlyList<Customer360.Related> Subsidiaries,
    IReadOnlyList<Customer360.Region> Sites,
    IReadOnlyList<Customer360.Contact> Contacts,
    IReadOnlyList<Customer360.OpenCommitment> OpenCommitments,
    Customer360.ComplaintSummary Complaints,
    IReadOnlyList<Customer360.AlertLine> OpenAlerts,
    IReadOnlyList<Customer360.AlertLine> RecentAlerts,
    IReadOnlyList<Customer360.Kpi> Kpis,
    IReadOnlyList<Customer360.Event> Timeline)
{
    public sealed record Related(string Number, string Name, string? Country);
    public sealed record Region(string Name, IReadOnlyList<Site> Sites);
    public sealed record Site(string Kind, string Name, string? TimeZone);
    public sealed record Contact(string Name, string? Role, string? Email, string? Phone);
    public sealed record FormState(string Form, string Role, string Status, DateTime DueAt, bool Overdue);
    public sealed record OpenCommitment(string OpportunityId, string PoNumber, decimal Value, string Currency, DateOnly Delivery, IReadOnlyList<FormState> Forms);
    public sealed record ComplaintLine(string Id, string Summary, string Status, string? Assignee, DateTime CreatedAt);
    /// <summary><see cref="SatisfiedShare"/>: of the complaints resolved in the last 12 months with the customer's answer recorded, the share satisfied (null when none).</summary>
    public sealed record ComplaintSummary(int Open, int Last12Months, double? SatisfiedShare, IReadOnlyList<ComplaintLine> OpenItems);
    public sealed record AlertLine(long Id, string Kind, string Severity, string Status, string Impact, string? Owner, DateTime CreatedAt, DateTime? ResolvedAt);
    public sealed record Kpi(string Name, decimal Value, string Unit, string Level, decimal? Warning, decimal? Critical, DateTime At);
    public sealed record Event(DateTime At, string Feature, string Text);

    public const int TimelineLength = 10;
    private const int ListLength = 5;

    /// <summary>The 360 of <paramref name="customer"/> (already checked visible to the viewer); subsidiaries the viewer may not see are left out.</summary>
    public static async Task<Customer360> LoadAsync(OpsBotDbContext db, Customer customer, Viewer viewer, AlertOptions alertOptions, DateTime now, CancellationToken ct)
    {
        var id = customer.Id;
        var visible = CustomerAccess.Visible(viewer);
        var identifiers = await db.CustomerIdentifiers.AsNoTracking().Where(i => i.CustomerId == id).OrderBy(i => i.Kind).ThenBy(i => i.Value)
            .Select(i => new { i.Kind, i.Value }).ToListAsync(ct);
        var contacts = await db.CustomerContacts.AsNoTracking().Where(c => c.CustomerId == id).OrderBy(c => c.Name)
            .Select(c => new Contact(c.Name, c.Role, c.Email, c.Phone)).ToListAsync(ct);
        var sites = await db.CustomerSites.AsNoTracking().Where(s => s.CustomerId == id).OrderBy(s => s.Country).ThenBy(s => s.Kind).ThenBy(s => s.Name).ToListAsync(ct);
        var family = await db.Customers.AsNoTracking().Where(c => (c.Id == customer.ParentId || c.ParentId == id) && c.MergedIntoId == null).Where(visible)
            .Select(c => new { c.Id, c.Number, c.Name, Country = c.Sites.OrderBy(s => s.Kind).Select(s => s.Country).FirstOrDefault() }).ToListAsync(ct);
        var sponsors = await db.ExecutiveSponsorships.AsNoTracking().Where(s => s.CustomerId == id)
            .Join(db.Executives, s => s.ExecutiveId, e => e.Id, (s, e) => e.DisplayName).OrderBy(n => n).ToListAsync(ct);

        var today = DateOnly.FromDateTime(now);
        var commitments = await db.Commitments.AsNoTracking()
            .Where(c => c.CustomerId == id && (c.RequestedDeliveryDate >= today || c.Forms.Any(f => f.Status == FormStatus.Open)))
            .OrderBy(c => c.RequestedDeliveryDate).Take(ListLength)
            .Select(c => new { c.OpportunityId, c.CustomerPoNumber, c.CommittedValue, c.Currency, c.RequestedDeliveryDate, Forms = c.Forms.ToList() })
            .ToListAsync(ct);

        var yearAgo = now.AddYears(-1);
        var complaints = db.Escalations.AsNoTracking().Where(e => e.CustomerId == id);
        var openComplaints = await complaints.Where(e => e.Status != EscalationStatus.Resolved).OrderByDescending(e => e.CreatedAt).Take(ListLength)
            .Select(e => new { e.Id, e.Summary, e.Status, e.AssigneeId, e.CreatedAt }).ToListAsync(ct);
        var counts = await complaints.GroupBy(_ => 1).Select(g => new
        {
            Open = g.Count(e => e.Status != EscalationStatus.Resolved),
            Year = g.Count(e => e.CreatedAt >= yearAgo),
            Answered = g.Count(e => e.ResolvedAt >= yearAgo && e.CustomerSatisfied != null),
            Satisfied = g.Count(e => e.ResolvedAt >= yearAgo && e.CustomerSatisfied == true),
        }).FirstOrDefaultAsync(ct);
        var assignees = openComplaints.Select(c => c.AssigneeId).OfType<string>().Distinct().ToList();
        var names = assignees.Count == 0 ? [] : await db.Executives.AsNoTracking().Where(e => assignees.Contains(e.Id)).ToDictionaryAsync(e => e.Id, e => e.DisplayName, ct);

        var monthAgo = now.AddDays(-30);
        var alerts = await db.Alerts.AsNoTracking().Where(a => a.CustomerId == id && (a.Status != AlertStatus.Resolved || a.ResolvedAt >= monthAgo))
            .OrderByDescending(a => a.CreatedAt).Take(2 * ListLength)
            .Select(a => new AlertLine(a.Id, a.Kind, a.Severity.ToString(), a.Status.ToString(), a.Impact, a.OwnerName, a.CreatedAt, a.ResolvedAt)).ToListAsync(ct);

        var kpis = (await db.KpiStates.AsNoTracking().Where(k => k.CustomerId == id).OrderBy(k => k.Name).ToListAsync(ct))
            .Select(k =>
            {
                var o = alertOptions.Kpis.GetValueOrDefault(k.Name);
                return new Kpi(k.Name, k.LastValue, o?.Unit ?? "", k.Level.ToString(), o?.Warning, o?.Critical, k.LastAt);
            }).ToList();

        return new Customer360(
            id, customer.Number, customer.Name, customer.LegalName, customer.Segment.ToString(), customer.Industry, customer.Restricted, customer.NeedsReview,
            customer.OwnerName ?? customer.OwnerId, sponsors,
            identifiers.Select(i => $"{CustomerIdentifiers.Prefix(i.Kind)}:{i.Value}").ToList(),
            family.Where(f => f.Id == customer.ParentId).Select(f => new Related(f.Number, f.Name, f.Country)).FirstOrDefault(),
            family.Where(f => f.Id != customer.ParentId).OrderBy(f => f.Country).ThenBy(f => f.Name).Select(f => new Related(f.Number, f.Name, f.Country)).ToList(),
            sites.GroupBy(s => string.IsNullOrWhiteSpace(s.Country) ? "No country" : s.Country!)
                .Select(g => new Region(g.Key, g.Select(s => new Site(SiteLabel(s.Kind), s.Name, s.TimeZone)).ToList())).ToList(),
            contacts,
            commitments.Select(c => new OpenCommitment(c.OpportunityId, c.CustomerPoNumber, c.CommittedValue, c.Currency, c.RequestedDeliveryDate,
                c.Forms.OrderBy(f => f.Kind).Select(f => new FormState(f.Kind.ToString(), f.Role.ToString(), f.Status.ToString(), f.DueAt, f.Status == FormStatus.Open && f.DueAt < now)).ToList())).ToList(),
            new ComplaintSummary(counts?.Open ?? 0, counts?.Year ?? 0, counts is { Answered: > 0 } ? Math.Round((double)counts.Satisfied / counts.Answered, 2) : null,
                openComplaints.Select(c => new ComplaintLine(EscalationRef(c.Id), c.Summary, c.Status.ToString(), c.AssigneeId is null ? null : names.GetValueOrDefault(c.AssigneeId, c.AssigneeId), c.CreatedAt)).ToList()),
            alerts.Where(a => a.Status != nameof(AlertStatus.Resolved)).Take(ListLength).ToList(),
            alerts.Where(a => a.Status == nameof(AlertStatus.Resolved)).Take(ListLength).ToList(),
            kpis,
            await TimelineAsync(db, id, ct));
    }

    private static string EscalationRef(long id) => "ESC-" + id.ToString(CultureInfo.InvariantCulture);

    public static string SiteLabel(SiteKind kind) => kind switch
    {
        SiteKind.ShipTo => "Ship-to",
        SiteKind.BillTo => "Bill-to",
        _ => "Service",
    };

    /// <summary>The last <see cref="TimelineLength"/> events of the customer's commitments, complaints and alerts, newest first.</summary>
    private static async Task<List<Event>> TimelineAsync(OpsBotDbContext db, int id, CancellationToken ct)
    {
        var captured = await db.Commitments.AsNoTracking().Where(c => c.CustomerId == id).OrderByDescending(c => c.CreatedAt).Take(TimelineLength)
            .Select(c => new { c.CreatedAt, c.OpportunityId, c.CustomerPoNumber, c.CreatedByName }).ToListAsync(ct);
        var enriched = await db.Enrichments.AsNoTracking().Where(e => db.Commitments.Any(c => c.Id == e.CommitmentId && c.CustomerId == id))
            .OrderByDescending(e => e.At).Take(TimelineLength).Select(e => new { e.At, e.OpportunityId, e.Field, e.ByName }).ToListAsync(ct);
        var complaintEvents = await db.EscalationEvents.AsNoTracking().Where(e => db.Escalations.Any(x => x.Id == e.EscalationId && x.CustomerId == id))
            .OrderByDescending(e => e.At).Take(TimelineLength).Select(e => new { e.At, e.EscalationId, e.Kind, e.ActorName }).ToListAsync(ct);
        var alertEvents = await db.AlertEvents.AsNoTracking().Where(e => db.Alerts.Any(a => a.Id == e.AlertId && a.CustomerId == id))
            .OrderByDescending(e => e.At).Take(TimelineLength).Select(e => new { e.At, e.AlertId, e.Action, e.ActorName }).ToListAsync(ct);
        return captured.Select(c => new Event(c.CreatedAt, "Commitment", $"{c.OpportunityId} (PO {c.CustomerPoNumber}) captured by {c.CreatedByName}"))
            .Concat(enriched.Select(e => new Event(e.At, "Commitment", $"{e.OpportunityId}: {e.Field} changed by {e.ByName}")))
            .Concat(complaintEvents.Select(e => new Event(e.At, "Complaint", $"{EscalationRef(e.EscalationId)} {Words(e.Kind.ToString())} by {e.ActorName}")))
            .Concat(alertEvents.Select(e => new Event(e.At, "Alert", $"Alert #{e.AlertId} {e.Action} by {e.ActorName}")))
            .OrderByDescending(e => e.At).Take(TimelineLength).ToList();
    }

    /// <summary>"ContactLogged" → "contact logged".</summary>
    private static string Words(string pascal) =>
        string.Concat(pascal.Select((ch, i) => char.IsUpper(ch) && i > 0 ? " " + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));
}
