using System.ComponentModel;
using OpsBot.Customers;

namespace OpsBot.Metrics;

/// <summary><c>GET /api/metrics.csv</c>: the metrics of a scope and period for BI tools (API key; a card uses a download link instead).</summary>
public static class MetricsApi
{
    public static RouteGroupBuilder MapMetricsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/metrics.csv", CsvAsync)
            .WithName("GetMetricsCsv")
            .WithTags("Metrics")
            .WithSummary("Customer-centric metrics as CSV")
            .WithDescription("One line per metric (scope, period, group, metric, name, value, previous period's value, unit), then one per person. "
                + "Definitions: docs/metrics.md. Facts about restricted customers the client may not see are left out of every figure.")
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    private static async Task<IResult> CsvAsync(HttpContext http, MetricsService metrics, CustomerAccess access, CustomerResolver resolver, TimeProvider clock, CancellationToken ct,
        [Description("all (default), team:<name>, customer:<key> or person:<Teams user id or Entra object id>.")] string? scope = null,
        [Description("week, month (default), quarter, last week|month|quarter, 2026-11, 2026-Q4 or 2026-W48.")] string? period = null)
    {
        var p = MetricsPeriod.Parse(period, clock.GetUtcNow().UtcDateTime, metrics.Zone, out var error);
        if (p is null) return Results.Problem(statusCode: 400, title: "Unknown period", detail: error);
        var viewer = access.ApiViewer(http.User);
        var (kind, _, value) = (scope ?? "all").Partition(':');
        MetricsScope? s = kind.ToLowerInvariant() switch
        {
            "all" => new MetricsScope(MetricsScope.All, "the whole company", []),
            "person" when value.Length > 0 => new MetricsScope(MetricsScope.Person, value, [value]),
            "team" when metrics.Team(value) is { } team => team,
            "customer" when value.Length > 0 && (await resolver.ResolveAsync(value, viewer, ct)).Customer is { } c => new MetricsScope(MetricsScope.Customer, c.Name, [], c.Id),
            _ => null,
        };
        if (s is null) return Results.Problem(statusCode: 400, title: "Unknown scope", detail: "scope is all, team:<name>, customer:<key> or person:<id>; that team or customer was not found.");
        return Results.Text(MetricsExport.Csv(await metrics.ComputeAsync(s, p, viewer, ct)), "text/csv; charset=utf-8");
    }

    private static (string Kind, bool Found, string Value) Partition(this string text, char separator)
    {
        var i = text.IndexOf(separator, StringComparison.Ordinal);
        return i < 0 ? (text, false, "") : (text[..i], true, text[(i + 1)..]);
    }
}
