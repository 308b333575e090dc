using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Escalations;

/// <summary>The monthly leadership view: per executive and per account, as a card (with a small chart) and as CSV.</summary>
public sealed class EscalationReports(OpsBotDbContext db, TimeProvider time, CustomerAccess customers)
{
    public static readonly DateOnly FirstMonth = new(2000, 1, 1);
    public static readonly DateOnly LastMonth = new(2999, 12, 1);

    /// <summary>
    /// <c>yyyy-MM</c> from <see cref="FirstMonth"/> to <see cref="LastMonth"/>; empty means the current month
    /// (<see cref="DateOnly.MinValue"/>). Otherwise false with a message that says what was wrong.
    /// </summary>
    public static bool TryParseMonth(string? text, out DateOnly month, out string error)
    {
        month = DateOnly.MinValue;
        error = "";
        var t = (text ?? "").Trim();
        if (t.Length == 0) return true;
        const string Expected = "Give the month as yyyy-MM, e.g. 2026-11";
        if (!DateOnly.TryParseExact(t + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var m))
        {
            error = $"'{t}' is not a month. {Expected}.";
            return false;
        }
        if (m < FirstMonth || m > LastMonth)
        {
            error = $"'{t}' is out of range. {Expected}, from {FirstMonth.ToString("yyyy-MM", CultureInfo.InvariantCulture)} to {LastMonth.ToString("yyyy-MM", CultureInfo.InvariantCulture)}.";
            return false;
        }
        month = m;
        return true;
    }

    /// <remarks>Complaints on customers hidden from <paramref name="viewer"/> are not counted (<see cref="CustomerAccess"/>).</remarks>
    public async Task<EscalationReport> BuildAsync(DateOnly month, Viewer viewer, CancellationToken ct)
    {
        if (month == DateOnly.MinValue)
        {
            var now = time.GetUtcNow().UtcDateTime;
            month = new DateOnly(now.Year, now.Month, 1);
        }
        var from = month.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var to = from.AddMonths(1);
        var hidden = (await customers.HiddenFromAsync(viewer, ct)).ToList();
        var rows = await db.Escalations.AsNoTracking().Where(c => c.CreatedAt >= from && c.CreatedAt < to && (c.CustomerId == null || !hidden.Contains(c.CustomerId.Value)))
            .Select(c => new { c.AssigneeId, c.Account, c.Status, c.AcknowledgedInSla, c.CreatedAt, c.ResolvedAt, c.CustomerSatisfied })
            .ToListAsync(ct);
        var names = await db.Executives.AsNoTracking().ToDictionaryAsync(e => e.Id, e => e.DisplayName, ct);
        var perExec = rows.GroupBy(r => r.AssigneeId ?? "")
            .Select(g => new ExecutiveLine(
                g.Key.Length == 0 ? "(unassigned)" : names.GetValueOrDefault(g.Key, g.Key),
                g.Count(), g.Count(r => r.AcknowledgedInSla), g.Count(r => r.Status == EscalationStatus.Resolved),
                Median(g.Where(r => r.ResolvedAt is not null).Select(r => (r.ResolvedAt!.Value - r.CreatedAt).TotalHours).ToList()),
                g.Count(r => r.CustomerSatisfied == true)))
            .OrderByDescending(l => l.Assigned).ThenBy(l => l.Executive, StringComparer.Ordinal).ToList();
        var perAccount = rows.GroupBy(r => r.Account, StringComparer.OrdinalIgnoreCase)
            .Select(g => new AccountLine(g.First().Account, g.Count(), g.Count(r => r.Status == EscalationStatus.Resolved), g.Count(r => r.CustomerSatisfied == true)))
            .OrderByDescending(l => l.Escalations).ThenBy(l => l.Account, StringComparer.Ordinal).ToList();
        return new EscalationReport(month.ToString("yyyy-MM", CultureInfo.InvariantCulture), rows.Count, perExec, perAccount);
    }

    public EscalationReportModel CardModel(EscalationReport r, string csvUrl)
    {
        var inv = CultureInfo.InvariantCulture;
        var execs = r.Executives.Select(e => new NameValue(e.Executive, string.Create(inv,
            $"{e.Assigned} assigned · {e.AcknowledgedInSla} acknowledged in SLA · {e.Resolved} resolved · median {Hours(e.MedianHoursToResolve)} · {e.Satisfied} satisfied"))).ToList();
        var accounts = r.Accounts.Take(10).Select(a => new NameValue(a.Account, string.Create(inv, $"{a.Escalations} complaints · {a.Resolved} resolved · {a.Satisfied} satisfied"))).ToList();
        var chart = r.Executives.Count == 0 ? "" : "data:image/png;base64," + Convert.ToBase64String(EscalationChart.Render(r));
        return new EscalationReportModel($"Escalations {r.Month}", string.Create(inv, $"{r.Total} complaint(s) raised in {r.Month}."),
            chart.Length > 0, chart, $"Bar chart of complaints assigned and resolved per executive in {r.Month}",
            execs.Count > 0 ? execs : [new NameValue("—", "No complaints this month.")], accounts.Count > 0 ? accounts : [new NameValue("—", "No complaints this month.")],
            csvUrl);
    }

    public static string Csv(EscalationReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("section,name,assigned,acknowledged_in_sla,resolved,median_hours_to_resolve,customer_satisfied\r\n");
        foreach (var e in r.Executives)
            sb.Append(inv, $"executive,{CsvSafe.Cell(e.Executive)},{e.Assigned},{e.AcknowledgedInSla},{e.Resolved},{e.MedianHoursToResolve?.ToString("0.0", inv) ?? ""},{e.Satisfied}\r\n");
        foreach (var a in r.Accounts)
            sb.Append(inv, $"account,{CsvSafe.Cell(a.Account)},{a.Escalations},,{a.Resolved},,{a.Satisfied}\r\n");
        return sb.ToString();
    }

    private static string Hours(double? h) => h is null ? "—" : h < 48 ? $"{h:0.0} h" : $"{h / 24:0.0} d";

    private static double? Median(List<double> values)
    {
        if (values.Count == 0) return null;
        values.Sort();
        var mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
}

public sealed record ExecutiveLine(string Executive, int Assigned, int AcknowledgedInSla, int Resolved, double? MedianHoursToResolve, int Satisfied);
public sealed record AccountLine(string Account, int Escalations, int Resolved, int Satisfied);
public sealed record EscalationReport(string Month, int Total, List<ExecutiveLine> Executives, List<AccountLine> Accounts);

public sealed record EscalationReportModel(string Title, string Intro, bool HasChart, string Chart, string ChartAlt,
    List<NameValue> Executives, List<NameValue> Accounts, string CsvUrl);

/// <summary>Server-side PNG chart (ScottPlot, no GUI): assigned vs resolved per executive.</summary>
public static class EscalationChart
{
    public static byte[] Render(EscalationReport r)
    {
        var plot = new ScottPlot.Plot();
        var assigned = ScottPlot.Color.FromHex("#5B5FC7");
        var resolved = ScottPlot.Color.FromHex("#2E8B57");
        var bars = new List<ScottPlot.Bar>();
        var ticks = new List<ScottPlot.Tick>();
        for (var i = 0; i < r.Executives.Count; i++)
        {
            var e = r.Executives[i];
            bars.Add(new ScottPlot.Bar { Position = i * 3, Value = e.Assigned, FillColor = assigned });
            bars.Add(new ScottPlot.Bar { Position = i * 3 + 1, Value = e.Resolved, FillColor = resolved });
            ticks.Add(new ScottPlot.Tick(i * 3 + 0.5, e.Executive.Length > 14 ? e.Executive[..14] : e.Executive));
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = "Assigned", FillColor = assigned });
        plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = "Resolved", FillColor = resolved });
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot.GetImageBytes(480, 220, ScottPlot.ImageFormat.Png);
    }
}
