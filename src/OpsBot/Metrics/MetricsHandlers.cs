using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Audit;
using OpsBot.Conversations;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Messaging;

namespace OpsBot.Metrics;

public sealed record MetricsRow(string Name, string Value, string Previous, string Trend, string Color);

public sealed record MetricsGroup(string Title, List<MetricsRow> Rows);

public sealed record MetricsCardModel(string Title, string Intro, bool Empty, string EmptyText, List<MetricsGroup> Groups, bool HasTrend, string TrendChart,
    bool HasPeople, string PeopleChart, string BelowMinimum, bool HasCsv, string CsvUrl);

/// <summary><c>metrics [me | @person | team &lt;name&gt; | customer &lt;name&gt; | exec | all] [period]</c> and <c>kudos @person &lt;reason&gt;</c>.</summary>
public sealed partial class MetricsHandlers(OpsBotDbContext db, MetricsService metrics, DownloadLinks links, CustomerResolver resolver, CustomerAccess access,
    IOptions<MetricsOptions> options, TimeProvider clock)
{
    public const string Usage = "metrics [me | @person | team <name> | customer <name> | exec | all] [week | month | quarter | last month | 2026-11 | 2026-Q4 | 2026-W48]";
    public const string KudosUsage = "kudos @person <reason> for ESC-12 | alert 42 | OPP-2026-001";

    public async Task ShowAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var now = clock.GetUtcNow().UtcDateTime;
        var (who, periodText) = SplitPeriod(args, now);
        var period = MetricsPeriod.Parse(periodText, now, metrics.Zone, out var periodError);
        if (period is null)
        {
            await turn.SendTextAsync(periodError!, ct);
            return;
        }
        var (scope, problem) = await ScopeAsync(turn, who, viewer, ct);
        if (scope is null)
        {
            await turn.SendTextAsync(problem!, ct);
            return;
        }
        if (!await metrics.MaySeeAsync(viewer, scope, ct))
        {
            db.Audit(now, viewer.Id, viewer.Name, "metrics-denied", "Metrics", scope.Kind, note: $"{scope.Kind} {scope.Label} {period.Key}");
            await db.SaveChangesAsync(ct);
            await turn.SendTextAsync($"You are not allowed to see the metrics of {scope.Label}: a person sees their own, a manager their team's, leadership everyone's.", ct);
            return;
        }
        var report = await metrics.ComputeAsync(scope, period, viewer, ct);
        var csv = report.Empty ? null : await links.CreateAsync(DownloadLinks.MetricsCsv,
            new DownloadQuery(scope.Kind, scope.Label, [.. scope.People], scope.CustomerId, scope.Team, period.Key), viewer, ct);
        await turn.SendCardAsync("metrics", Card(report, csv), $"Metrics: {scope.Label}, {period.Label}", ct);
    }

    public static MetricsCardModel Card(MetricsReport r, string? csvUrl)
    {
        var title = $"Metrics: {r.Scope.Label}";
        var intro = $"{r.Period.Label}, compared with {r.PreviousPeriod.Label}.";
        if (r.Empty)
            return new MetricsCardModel(title, intro, true, $"Nothing happened in {r.Period.Label} for {r.Scope.Label}: no commitments, forms, complaints, alerts or kudos to measure yet.",
                [], false, "", false, "", "", false, "");
        var groups = r.Lines.GroupBy(l => l.Group).Select(g => new MetricsGroup(g.Key, g.Select(Row).ToList())).ToList();
        var hasTrend = r.Trend.Any(t => t.CleanOrders is not null || t.FormsOnTime is not null || t.ComplaintsInSla is not null);
        var hasPeople = r.People.Count > 0;
        return new MetricsCardModel(title, intro, false, "", groups, hasTrend, hasTrend ? MetricsExport.DataUri(MetricsExport.TrendChart(r)) : "",
            hasPeople, hasPeople ? MetricsExport.DataUri(MetricsExport.PeopleChart(r)) : "",
            r.BelowMinimum.Count == 0 ? "" : "Below the monthly minimum: " + string.Join(", ", r.BelowMinimum),
            csvUrl is not null, csvUrl ?? "");
    }

    private static MetricsRow Row(MetricLine l)
    {
        static string F(double? v, string unit) => v is { } x ? x.ToString("0.#", CultureInfo.InvariantCulture) + (unit == "%" ? " %" : unit == "h" ? " h" : "") : "—";
        var (trend, color) = (l.Value, l.Previous) switch
        {
            (null, _) or (_, null) => ("", "Default"),
            var (v, p) when Math.Abs(v.Value - p.Value) < 0.05 => ("= same", "Default"),
            var (v, p) when (v > p) == l.HigherIsBetter => (v > p ? "▲ better" : "▼ better", "Good"),
            var (v, p) => (v > p ? "▲ worse" : "▼ worse", "Attention"),
        };
        return new MetricsRow(l.Name, F(l.Value, l.Unit), F(l.Previous, l.Unit), trend, color);
    }

    /// <summary>Splits "team north last month" into who ("team north") and the period ("last month").</summary>
    private (string Who, string Period) SplitPeriod(string args, DateTime now)
    {
        var words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var take = Math.Min(2, words.Length); take >= 1; take--)
        {
            var tail = string.Join(' ', words[^take..]);
            if (MetricsPeriod.Parse(tail, now, metrics.Zone, out _) is not null && !(take == 1 && words.Length == 1 && tail.Equals("me", StringComparison.OrdinalIgnoreCase)))
                return (string.Join(' ', words[..^take]), tail);
            if (take == 1 && LooksLikePeriod().IsMatch(tail)) return (string.Join(' ', words[..^1]), tail);
        }
        return (args, "");
    }

    private async Task<(MetricsScope? Scope, string? Problem)> ScopeAsync(BotTurn turn, string who, Viewer viewer, CancellationToken ct)
    {
        var text = who.Trim();
        var lower = text.ToLowerInvariant();
        if (lower is "" or "me") return (new MetricsScope(MetricsScope.Person, viewer.Name, Ids(viewer.Id, viewer.AadId)), null);
        if (lower is "exec" or "executives") return (new MetricsScope(MetricsScope.Executives, "executive participation", []), null);
        if (lower is "all" or "company") return (new MetricsScope(MetricsScope.All, "the whole company", []), null);
        if (Mention().Match(text) is { Success: true } at)
        {
            var mention = (turn.Activity.Entities ?? []).FirstOrDefault(e => e.Type == "mention" && e.Mentioned?.Id is { } id && id != turn.Activity.Recipient?.Id
                && (e.Text == at.Value || string.Equals(e.Mentioned.Name, at.Groups[1].Value, StringComparison.OrdinalIgnoreCase)));
            if (mention?.Mentioned?.Id is { } mentioned) return (new MetricsScope(MetricsScope.Person, mention.Mentioned.Name ?? mentioned, [mentioned]), null);
        }
        if (lower.StartsWith("team", StringComparison.Ordinal))
        {
            var name = text[4..].Trim();
            if (metrics.Team(name) is { } team) return (team, null);
            var names = options.Value.Teams.Keys.OrderBy(k => k).ToList();
            return (null, names.Count == 0
                ? $"There is no team '{Clip(name)}': no teams are configured yet (Metrics:Teams:<name>:Manager and :Members)."
                : $"There is no team '{Clip(name)}'. Teams: {string.Join(", ", Closest(name, names))}. {Usage}");
        }
        if (lower.StartsWith("customer", StringComparison.Ordinal))
        {
            var key = text[8..].Trim();
            var resolution = await resolver.ResolveAsync(key, viewer, ct);
            return resolution.Customer is { } customer
                ? (new MetricsScope(MetricsScope.Customer, customer.Name, [], customer.Id), null)
                : (null, CustomerResolver.NotFoundText(Clip(key), resolution.Suggestions));
        }
        var known = await KnownPeopleAsync(ct);
        var match = known.Where(p => p.Name.Equals(text, StringComparison.OrdinalIgnoreCase) || p.Id.Equals(text, StringComparison.OrdinalIgnoreCase)).ToList();
        if (match.Count == 1) return (new MetricsScope(MetricsScope.Person, match[0].Name, Ids(match[0].Id, match[0].Aad)), null);
        var suggestions = Closest(text, known.Select(p => p.Name).Distinct().ToList());
        return (null, $"I don't know '{Clip(text)}'. Mention the person (@name), or type me, team <name>, customer <name>, exec or all."
            + (suggestions.Count > 0 ? $" Did you mean: {string.Join(", ", suggestions)}?" : "") + $"\n\nUsage: {Usage}");
    }

    private async Task<List<(string Id, string? Aad, string Name)>> KnownPeopleAsync(CancellationToken ct)
    {
        var executives = await db.Executives.AsNoTracking().Select(e => new { e.UserId, e.AadObjectId, e.DisplayName }).ToListAsync(ct);
        return [.. options.Value.Teams.Values.SelectMany(t => t.Members).Select(m => (m.Id, (string?)null, m.Name.Length > 0 ? m.Name : m.Id)),
            .. executives.Select(e => (e.UserId, e.AadObjectId, e.DisplayName))];
    }

    /// <summary>Up to five names, those sharing the typed text's start or words first.</summary>
    private static List<string> Closest(string typed, List<string> names)
    {
        var t = typed.ToLowerInvariant();
        return names.OrderByDescending(n => n.StartsWith(t, StringComparison.OrdinalIgnoreCase) ? 3 : n.Contains(t, StringComparison.OrdinalIgnoreCase) ? 2
                : n.Split(' ').Any(w => t.Length > 0 && w.StartsWith(t[..1], StringComparison.OrdinalIgnoreCase)) ? 1 : 0)
            .ThenBy(n => n, StringComparer.OrdinalIgnoreCase).Take(5).ToList();
    }

    private static List<string> Ids(string id, string? aad) => aad is { Length: > 0 } ? [id, aad] : [id];

    private static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "…";

    /// <summary><c>kudos @person &lt;reason&gt;</c> with the customer result it is for (ESC-12, alert 42, an opportunity id): stored, audited, sent to the person and their manager.</summary>
    public async Task KudosAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var at = Mention().Match(args);
        var mention = at.Success ? (turn.Activity.Entities ?? []).FirstOrDefault(e => e.Type == "mention" && e.Mentioned?.Id is { } id && id != turn.Activity.Recipient?.Id) : null;
        if (mention?.Mentioned?.Id is not { } to)
        {
            await turn.SendTextAsync($"Mention the person you thank. Usage: {KudosUsage}", ct);
            return;
        }
        if (viewer.Is(to))
        {
            await turn.SendTextAsync("Kudos are for someone else's customer result.", ct);
            return;
        }
        var reason = Mention().Replace(args, " ").Trim();
        if (reason.Length is 0 or > 1000)
        {
            await turn.SendTextAsync($"Say what they did for the customer (at most 1000 characters). Usage: {KudosUsage}", ct);
            return;
        }
        var (type, reference, customerId, problem) = await ResultAsync(reason, viewer, ct);
        if (problem is not null)
        {
            await turn.SendTextAsync(problem, ct);
            return;
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var toName = mention.Mentioned.Name ?? to;
        var kudos = new Kudos { FromId = viewer.Id, FromName = viewer.Name, ToId = to, ToName = toName, Reason = reason, ResultType = type!, ResultRef = reference!, CustomerId = customerId, At = now };
        db.Kudos.Add(kudos);
        db.Audit(now, viewer.Id, viewer.Name, "kudos", type!, reference!, after: new { to, toName, reason });
        var message = $"🎉 Kudos from {viewer.Name}: {reason}";
        var key = Guid.NewGuid().ToString("N");
        var tenant = turn.TenantId ?? "";
        var serviceUrl = turn.Activity.ServiceUrl ?? "";
        db.EnqueueSend(new DeliveryTarget.Person(serviceUrl, tenant, to), BotFramework.Schema.Activity.CreateMessage(message), $"kudos:{key}:{to}", now, "kudos");
        foreach (var manager in options.Value.Teams.Values.Where(t => t.Members.Any(m => m.Id.Equals(to, StringComparison.OrdinalIgnoreCase))).Select(t => t.Manager).Where(m => m.Length > 0).Distinct())
            db.EnqueueSend(new DeliveryTarget.Person(serviceUrl, tenant, manager), BotFramework.Schema.Activity.CreateMessage($"🎉 {toName} got kudos from {viewer.Name}: {reason}"), $"kudos:{key}:{manager}", now, "kudos");
        await db.SaveChangesAsync(ct);
        await turn.SendTextAsync($"Thanks sent to {toName} for {reference}; it counts in their metrics.", ct);
    }

    /// <summary>The customer result a kudos names: ESC-n (a complaint), alert n / #n (an alert) or an opportunity id — one the giver may see.</summary>
    private async Task<(string? Type, string? Reference, int? CustomerId, string? Problem)> ResultAsync(string reason, Viewer viewer, CancellationToken ct)
    {
        var hidden = await access.HiddenFromAsync(viewer, ct);
        if (EscalationRef().Match(reason) is { Success: true } e && long.TryParse(e.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var escalationId))
        {
            var c = await db.Escalations.AsNoTracking().Where(x => x.Id == escalationId).Select(x => new { x.CustomerId }).FirstOrDefaultAsync(ct);
            return c is null || (c.CustomerId is { } h && hidden.Contains(h)) ? (null, null, null, $"I couldn't find complaint ESC-{escalationId}.") : ("Escalation", $"ESC-{escalationId}", c.CustomerId, null);
        }
        if (AlertRef().Match(reason) is { Success: true } a && long.TryParse(a.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var alertId))
        {
            var alert = await db.Alerts.AsNoTracking().Where(x => x.Id == alertId).Select(x => new { x.CustomerId }).FirstOrDefaultAsync(ct);
            return alert is null || (alert.CustomerId is { } h && hidden.Contains(h)) ? (null, null, null, $"I couldn't find alert {alertId}.") : ("Alert", $"alert {alertId}", alert.CustomerId, null);
        }
        foreach (var word in reason.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('.', ',', ';', ':', '!', '?', '(', ')')).Where(w => w.Length is > 2 and <= 100))
        {
            var c = await db.Commitments.AsNoTracking().Where(x => x.OpportunityId == word).Select(x => new { x.CustomerId }).FirstOrDefaultAsync(ct);
            if (c is not null && !hidden.Contains(c.CustomerId)) return ("Commitment", word, c.CustomerId, null);
        }
        return (null, null, null, $"Kudos are for a customer result: name the complaint (ESC-12), the alert (alert 42) or the commitment (its opportunity id) in the reason. Usage: {KudosUsage}");
    }

    [GeneratedRegex(@"<at>([^<]*)</at>")]
    private static partial Regex Mention();

    [GeneratedRegex(@"^(week|month|quarter|20\d\d-(q[1-4]|w\d{1,2}|\d{1,2}))$", RegexOptions.IgnoreCase)]
    private static partial Regex LooksLikePeriod();

    [GeneratedRegex(@"\bESC-(\d{1,12})\b", RegexOptions.IgnoreCase)]
    private static partial Regex EscalationRef();

    [GeneratedRegex(@"(?:\balert\s+#?|#)(\d{1,12})\b", RegexOptions.IgnoreCase)]
    private static partial Regex AlertRef();
}
