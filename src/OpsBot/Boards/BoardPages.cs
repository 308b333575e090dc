using System.Globalization;
using System.Net;
using System.Text;
using OpsBot.Data;

namespace OpsBot.Boards;

/// <summary>
/// The board pages, rendered on the server: <see cref="Content"/> is what every pushed event carries (the page script only
/// swaps it in and rotates long lists), <see cref="Page"/> the TV page around it, <see cref="Message"/> the 401/404 pages.
/// Severity and KPI level are always shown by colour, icon and word. Sized for 1920×1080 seen from 5 m: no text under 24 px.
/// </summary>
public static class BoardPages
{
    public const string RevokedMessage = "This display's access was revoked. Ask an OpsBot admin for a new board link (board token create).";
    public const int AlertsPerPage = 7;
    public const int ComplaintsPerPage = 7;
    public const int CommitmentsPerPage = 4;
    public const int KpiTiles = 6;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>The TV page (and the tab's shell when <paramref name="tab"/>): the current content, the script, the stream it listens to.</summary>
    public static string Page(BoardSnapshot snapshot, BoardOptions options, string eventsUrl, bool tab = false) => $$"""
        <!DOCTYPE html>
        <html lang="en" class="{{(tab ? "tab" : "tv")}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(snapshot.Title)}} · OpsBot board</title>
        <link rel="stylesheet" href="/boards/assets/board.css">
        <script src="/boards/assets/board.js" defer></script>
        </head>
        <body data-events="{{E(eventsUrl)}}" data-rotate="{{options.RotateSeconds}}">
        <div id="offline" class="offline" role="alert" hidden>Not live since <span id="offline-since"></span>: reconnecting…</div>
        <main id="board" aria-live="polite">{{Content(snapshot, options)}}</main>
        </body>
        </html>
        """;

    /// <summary>A page with only a message (unknown board, no or revoked access): no data.</summary>
    public static string Message(string title, string message) => $$"""
        <!DOCTYPE html>
        <html lang="en" class="tv">
        <head>
        <meta charset="utf-8">
        <title>{{E(title)}} · OpsBot board</title>
        <link rel="stylesheet" href="/boards/assets/board.css">
        </head>
        <body>
        <main class="message"><h1>{{E(title)}}</h1><p>{{E(message)}}</p></main>
        </body>
        </html>
        """;

    public static string Content(BoardSnapshot s, BoardOptions options)
    {
        var zone = Zone(options.TimeZone);
        var local = TimeZoneInfo.ConvertTimeFromUtc(s.GeneratedAt, zone);
        var html = new StringBuilder(16 * 1024);
        html.Append(CultureInfo.InvariantCulture, $"""
            <header class="top"><h1>{E(s.Title)}</h1><p class="scope">{E(s.Scope)}</p>
            <p class="updated" data-version="{s.Version}">Updated <time datetime="{s.GeneratedAt:O}">{local:HH:mm:ss}</time> {E(ZoneLabel(zone))}</p></header>
            """);

        html.Append("<section class=\"kpis\" aria-label=\"KPIs\">");
        if (s.Kpis.Count == 0) html.Append("<p class=\"empty\">No KPI readings yet.</p>");
        foreach (var page in Pages(s.Kpis, KpiTiles))
        {
            html.Append("<div class=\"page kpi-page\">");
            foreach (var k in page) html.Append(KpiTile(k));
            html.Append("</div>");
        }
        html.Append("</section><div class=\"columns\">");

        html.Append(CultureInfo.InvariantCulture, $"<section class=\"alerts\" aria-label=\"Open alerts\"><h2>Open interruption alerts <span class=\"count\">{s.OpenAlerts}</span></h2><ul class=\"severities\">");
        foreach (var c in s.OpenAlertsBySeverity)
            html.Append(CultureInfo.InvariantCulture, $"<li class=\"sev sev-{c.Severity}\">{SeverityIcon(c.Severity)} {E(c.Name)} <b>{c.Count}</b></li>");
        html.Append("</ul>");
        if (s.Alerts.Count == 0) html.Append("<p class=\"empty\">✔ No open alerts.</p>");
        foreach (var page in Pages(s.Alerts, AlertsPerPage))
        {
            html.Append("<ol class=\"page rows\">");
            foreach (var a in page)
                html.Append(CultureInfo.InvariantCulture, $"""
                    <li class="row sev-{a.Severity}" data-alert="{a.Id}"><span class="badge">{SeverityIcon(a.Severity)} {E(a.SeverityName)}</span>
                    <span class="what"><b>{E(a.Customer)}</b> · {E(Kind(a.Kind))}{("")}<br><span class="sub">{E(Clip(a.Impact, 70))}</span></span>
                    <span class="meta">{Age(s.GeneratedAt - a.OpenedAt)}<br><span class="sub">{E(a.Owner ?? "no owner")}</span></span></li>
                    """);
            html.Append("</ol>");
        }
        html.Append("</section>");

        html.Append(CultureInfo.InvariantCulture, $"<section class=\"complaints\" aria-label=\"Complaints in progress\"><h2>Complaints in progress <span class=\"count\">{s.Complaints.Count}</span></h2>");
        if (s.Complaints.Count == 0) html.Append("<p class=\"empty\">✔ No complaints in progress.</p>");
        foreach (var page in Pages(s.Complaints, ComplaintsPerPage))
        {
            html.Append("<ol class=\"page rows\">");
            foreach (var c in page)
            {
                var left = c.DueAt - s.GeneratedAt;
                var clock = c.Overdue ? $"⏰ {c.Clock} overdue {Age(-left)}" : $"◷ {c.Clock} in {Age(left)}";
                html.Append(CultureInfo.InvariantCulture, $"""
                    <li class="row {(c.Overdue ? "overdue" : left < TimeSpan.FromHours(1) ? "soon" : "ontrack")}"><span class="what"><b>{E(c.Number)}</b> {E(c.Customer)}<br><span class="sub">{E(c.Assignee)} · {E(c.Status)}</span></span>
                    <span class="meta clock">{E(clock)}</span></li>
                    """);
            }
            html.Append("</ol>");
        }
        html.Append("</section>");

        html.Append(CultureInfo.InvariantCulture, $"<section class=\"commitments\" aria-label=\"Commitments\"><h2>Due this week <span class=\"count\">{s.CommitmentsDue.Count}</span></h2>");
        if (s.CommitmentsDue.Count == 0) html.Append("<p class=\"empty\">No deliveries due this week.</p>");
        foreach (var page in Pages(s.CommitmentsDue, CommitmentsPerPage))
        {
            html.Append("<ol class=\"page rows\">");
            foreach (var c in page)
                html.Append(CultureInfo.InvariantCulture, $"""
                    <li class="row"><span class="what"><b>{E(c.Customer)}</b><br><span class="sub">{E(c.Opportunity)} · PO {E(c.PoNumber)}</span></span>
                    <span class="meta">{c.DeliveryDate:ddd d MMM}<br><span class="sub">{c.Value.ToString("#,0", Invariant)} {E(c.Currency)}</span></span></li>
                    """);
            html.Append("</ol>");
        }
        html.Append("<h2>Overdue forms</h2>");
        if (s.OverdueForms.Count == 0) html.Append("<p class=\"empty\">✔ No form overdue.</p>");
        else
        {
            html.Append("<ul class=\"roles\">");
            foreach (var r in s.OverdueForms)
                html.Append(CultureInfo.InvariantCulture, $"<li class=\"row overdue\"><span class=\"what\">⏰ <b>{E(Role(r.Role))}</b><br><span class=\"sub\">oldest: {E(r.Oldest[0].Customer)} · {Age(s.GeneratedAt - r.Oldest[0].DueAt)} late</span></span><span class=\"meta\"><b>{r.Count}</b> overdue</span></li>");
            html.Append("</ul>");
        }
        html.Append("</section></div>");
        return html.ToString();
    }

    private static string KpiTile(BoardKpi k)
    {
        var level = k.Level.ToLowerInvariant();
        var icon = k.Level switch { "Critical" => "✖", "Warning" => "⚠", _ => "✔" };
        var target = k.Warning is { } w ? $"target {(k.Direction == "Below" ? "≥" : "≤")} {w.ToString("0.##", Invariant)}{E(k.Unit)}" : "no target set";
        return $"""
            <div class="tile level-{level}" data-kpi="{E(k.Name)}"><p class="name">{E(k.Name)}</p><p class="customer">{E(k.Customer)}</p>
            <p class="value">{k.Value.ToString("0.##", Invariant)}<small>{E(k.Unit)}</small></p>
            <p class="level">{icon} {E(k.Level)} · {target}</p>{Sparkline(k.Spark)}</div>
            """;
    }

    /// <summary>The last 24 hours as an inline SVG line (no chart library on the page).</summary>
    private static string Sparkline(IReadOnlyList<decimal> values)
    {
        if (values.Count < 2) return "<p class=\"spark-empty\">—</p>";
        var min = values.Min();
        var max = values.Max();
        var span = max == min ? 1 : max - min;
        var points = string.Join(' ', values.Select((v, i) =>
            string.Create(Invariant, $"{i * 300.0 / (values.Count - 1):0.#},{48 - (double)((v - min) / span) * 44:0.#}")));
        return $"<svg class=\"spark\" viewBox=\"0 0 300 52\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"last 24 hours\"><polyline points=\"{points}\"/></svg>";
    }

    private static IEnumerable<IReadOnlyList<T>> Pages<T>(IReadOnlyList<T> items, int size) => items.Chunk(size);

    public static string SeverityIcon(int severity) => severity switch { 1 => "✖", 2 => "▲", 3 => "◆", _ => "●" };

    private static string Kind(string kind) => kind.Replace('-', ' ');

    private static string Role(string role) => role switch
    {
        "OrderDesk" => "Order desk",
        "SalesOps" => "Sales ops",
        "SupplyChain" => "Supply chain",
        _ => role,
    };

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        return age.TotalDays >= 1 ? $"{(int)age.TotalDays}d {age.Hours}h"
            : age.TotalHours >= 1 ? $"{(int)age.TotalHours}h {age.Minutes:00}m"
            : $"{Math.Max(0, (int)age.TotalMinutes)}m";
    }

    private static TimeZoneInfo Zone(string id) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    private static string ZoneLabel(TimeZoneInfo zone) => zone == TimeZoneInfo.Utc ? "UTC" : zone.Id;
}
