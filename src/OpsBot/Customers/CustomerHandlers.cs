using System.Globalization;
using Microsoft.Extensions.Options;
using OpsBot.Alerts;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.Setup;

namespace OpsBot.Customers;

/// <summary><c>customer &lt;anything&gt;</c>: the customer 360 card, or the customers it might have meant.</summary>
public sealed class CustomerHandlers(OpsBotDbContext db, CustomerResolver resolver, IOptions<AlertOptions> alertOptions, TimeProvider time)
{
    public const string Usage = "customer <name, number, ERP:…, domain, e-mail or phone>";

    public async Task ShowAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var key = args.Trim();
        if (key.Length == 0)
        {
            await turn.SendTextAsync($"Which customer? Usage: {Usage}", ct);
            return;
        }
        var viewer = Viewer.Of(turn);
        var resolution = await resolver.ResolveAsync(key, viewer, ct);
        if (resolution.Customer is { } customer)
        {
            var view = await Customer360.LoadAsync(db, customer, viewer, alertOptions.Value, time.GetUtcNow().UtcDateTime, ct);
            await turn.SendCardAsync("customer-360", Customer360Card.Build(view), $"{view.Name} ({view.Number})", ct);
        }
        else if (resolution.Suggestions.Count > 0)
            await turn.SendCardAsync("customer-suggestions", new SuggestionsCardModel($"I couldn't find customer '{key.Truncate(100)}'.",
                resolution.Suggestions.Select(s => new SuggestionModel($"{s.Name} ({s.Number})", s.Number)).ToList()), "Did you mean…", ct);
        else
            await turn.SendTextAsync(CustomerAccess.NotFound(key.Truncate(100)), ct);
    }

    public sealed record SuggestionsCardModel(string Title, IReadOnlyList<SuggestionModel> Suggestions);
    public sealed record SuggestionModel(string Title, string Number);
}

/// <summary>The <c>customer-360</c> card's data: severity and KPI levels in words and icons as well as colour.</summary>
public static class Customer360Card
{
    public sealed record Fact(string Label, string Value);
    public sealed record Line(string Text, string Color = "Default");
    public sealed record Item(string Title, string Forms);
    public sealed record Region(string Name, string Sites);
    public sealed record TimelineItem(string When, string Text);

    public sealed record Model(
        string Number, string Title, string Subtitle, bool HasBadges, string Badges, IReadOnlyList<Fact> Facts,
        bool HasSubsidiaries, IReadOnlyList<Line> Subsidiaries, bool HasSites, IReadOnlyList<Region> Regions,
        bool NoCommitments, IReadOnlyList<Item> Commitments, string Complaints, IReadOnlyList<Line> OpenComplaints,
        bool NoAlerts, IReadOnlyList<Line> Alerts, bool HasKpis, IReadOnlyList<Line> Kpis, bool NoEvents, IReadOnlyList<TimelineItem> Timeline);

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Model Build(Customer360 v)
    {
        var facts = new List<Fact>();
        if (v.LegalName is { Length: > 0 } legal && legal != v.Name) facts.Add(new("Legal name", legal));
        facts.Add(new("Owner", v.Owner ?? "—"));
        facts.Add(new("Sponsor", v.Sponsors.Count == 0 ? "—" : string.Join(", ", v.Sponsors)));
        if (v.Identifiers.Count > 0) facts.Add(new("Identifiers", string.Join(" · ", v.Identifiers)));
        if (v.Parent is { } parent) facts.Add(new("Parent", $"{parent.Name} ({parent.Number})"));
        if (v.Contacts.Count > 0) facts.Add(new("Contacts", string.Join(" · ", v.Contacts.Take(3).Select(c => c.Role is null ? $"{c.Name} {c.Email}" : $"{c.Name} ({c.Role}) {c.Email}"))));

        var badges = new List<string>();
        if (v.Restricted) badges.Add("🔒 Restricted: only named people and channels see this customer");
        if (v.NeedsReview) badges.Add("⚠ Needs review: created from a name nobody registered");

        var complaints = v.Complaints;
        var satisfied = complaints.SatisfiedShare is { } share ? string.Create(Inv, $", {share * 100:0}% of those answered satisfied") : "";
        var alerts = v.OpenAlerts.Select(a => new Line($"{SeverityIcon(a.Severity)} {a.Severity} · #{a.Id} {a.Kind}: {a.Impact} · {a.Status}{(a.Owner is null ? "" : ", " + a.Owner)} · since {Day(a.CreatedAt)}", SeverityColor(a.Severity)))
            .Concat(v.RecentAlerts.Select(a => new Line($"✓ Resolved {Day(a.ResolvedAt ?? a.CreatedAt)} · #{a.Id} {a.Kind}: {a.Impact}")))
            .ToList();
        return new Model(
            v.Number,
            v.Name,
            string.Join(" · ", new[] { v.Number, v.Segment, v.Industry }.Where(s => !string.IsNullOrEmpty(s))),
            badges.Count > 0, string.Join("\n\n", badges),
            facts,
            v.Subsidiaries.Count > 0, v.Subsidiaries.Select(s => new Line($"{s.Name} ({s.Number}){(s.Country is null ? "" : " · " + s.Country)}")).ToList(),
            v.Sites.Count > 0, v.Sites.Select(r => new Region(r.Name, string.Join(" · ", r.Sites.Select(s => $"{s.Kind}: {s.Name}{(s.TimeZone is null ? "" : $" ({s.TimeZone})")}")))).ToList(),
            v.OpenCommitments.Count == 0,
            v.OpenCommitments.Select(c => new Item(
                string.Create(Inv, $"{c.OpportunityId} · PO {c.PoNumber} · {c.Value:N2} {c.Currency} · delivery {c.Delivery:yyyy-MM-dd}"),
                c.Forms.Count == 0 ? "No downstream forms" : string.Join(" · ", c.Forms.Select(f => f.Status == "Confirmed" ? $"✓ {f.Form}" : f.Overdue ? $"⚠ {f.Form} overdue ({f.Role})" : $"○ {f.Form} due {Day(f.DueAt)} ({f.Role})")))).ToList(),
            $"{complaints.Open} open · {complaints.Last12Months} in the last 12 months{satisfied}",
            complaints.OpenItems.Select(c => new Line($"{c.Id} {c.Summary.Truncate(80)} · {c.Status}{(c.Assignee is null ? "" : ", " + c.Assignee)}")).ToList(),
            alerts.Count == 0, alerts,
            v.Kpis.Count > 0, v.Kpis.Select(k => new Line(string.Create(Inv, $"{LevelIcon(k.Level)} {k.Name}: {k.Value:0.##}{k.Unit} · {k.Level}{Thresholds(k)}"), LevelColor(k.Level))).ToList(),
            v.Timeline.Count == 0, v.Timeline.Select(e => new TimelineItem(e.At.ToString("yyyy-MM-dd HH:mm", Inv), $"{e.Feature}: {e.Text}")).ToList());
    }

    private static string Day(DateTime at) => at.ToString("yyyy-MM-dd", Inv);

    private static string Thresholds(Customer360.Kpi k) =>
        k.Warning is null && k.Critical is null ? "" : string.Create(Inv, $" (warning {k.Warning:0.##}, critical {k.Critical:0.##})");

    private static string SeverityIcon(string severity) => severity switch { "Critical" or "High" => "🔴", "Medium" => "🟠", _ => "🟡" };
    private static string SeverityColor(string severity) => severity switch { "Critical" or "High" => "Attention", "Medium" => "Warning", _ => "Default" };
    private static string LevelIcon(string level) => level switch { "Critical" => "🔴", "Warning" => "🟠", _ => "🟢" };
    private static string LevelColor(string level) => level switch { "Critical" => "Attention", "Warning" => "Warning", _ => "Good" };
}
