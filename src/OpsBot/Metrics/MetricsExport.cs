using System.Globalization;
using System.Text;
using OpsBot.Customers;

namespace OpsBot.Metrics;

/// <summary>The metrics as CSV (one line per metric, then one per person) and as the PNG charts of the card.</summary>
public static class MetricsExport
{
    public static string Csv(MetricsReport r)
    {
        var csv = new StringBuilder("scope,period,group,metric,name,value,previous,unit\n");
        foreach (var l in r.Lines)
            csv.Append(CultureInfo.InvariantCulture, $"{Cell(r.Scope.Label)},{r.Period.Key},{Cell(l.Group)},{l.Key},{Cell(l.Name)},{l.Value},{l.Previous},{Cell(l.Unit)}\n");
        foreach (var p in r.People)
            csv.Append(CultureInfo.InvariantCulture, $"{Cell(r.Scope.Label)},{r.Period.Key},People,person,{Cell(p.Person)},{p.Resolved},{p.FormsOnTime},resolved/forms on time %\n");
        return csv.ToString();
    }

    private static string Cell(string text) => CsvSafe.Cell(text);

    /// <summary>The trend of three headline shares over the last periods (a line each; a period without data leaves a gap).</summary>
    public static byte[] TrendChart(MetricsReport r)
    {
        var plot = new ScottPlot.Plot();
        var xs = Enumerable.Range(0, r.Trend.Count).Select(i => (double)i).ToArray();
        void Line(Func<TrendPoint, double?> pick, string label, string color)
        {
            var ys = r.Trend.Select(p => pick(p) ?? double.NaN).ToArray();
            if (ys.All(double.IsNaN)) return;
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = label;
            line.Color = ScottPlot.Color.FromHex(color);
            line.LineWidth = 2;
            line.MarkerSize = 6;
        }
        Line(p => p.CleanOrders, "Clean orders %", "#5B5FC7");
        Line(p => p.FormsOnTime, "Forms on time %", "#2E8B57");
        Line(p => p.ComplaintsInSla, "Complaints in SLA %", "#C4314B");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(r.Trend.Select((p, i) => new ScottPlot.Tick(i, p.Label)).ToArray());
        plot.Axes.SetLimitsY(0, 105);
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        return plot.GetImageBytes(480, 220, ScottPlot.ImageFormat.Png);
    }

    /// <summary>Complaints resolved per executive, or forms on time per team member.</summary>
    public static byte[] PeopleChart(MetricsReport r)
    {
        var plot = new ScottPlot.Plot();
        var shown = r.People.Take(12).ToList();
        var resolvedMode = shown.Any(p => p.Resolved > 0) || shown.All(p => p.FormsOnTime is null);
        var bars = shown.Select((p, i) => new ScottPlot.Bar
        {
            Position = i,
            Value = resolvedMode ? p.Resolved : p.FormsOnTime ?? 0,
            FillColor = ScottPlot.Color.FromHex(resolvedMode ? "#5B5FC7" : "#2E8B57"),
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            shown.Select((p, i) => new ScottPlot.Tick(i, p.Person.Length > 12 ? p.Person[..12] : p.Person)).ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title(resolvedMode ? "Complaints resolved" : "Forms on time %", size: 12);
        return plot.GetImageBytes(480, 220, ScottPlot.ImageFormat.Png);
    }

    public static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);
}
