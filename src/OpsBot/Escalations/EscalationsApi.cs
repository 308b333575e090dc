namespace OpsBot.Escalations;

/// <summary><c>GET /api/escalations/report.csv?month=yyyy-MM</c> for BI tools and leadership downloads.</summary>
public static class EscalationsApi
{
    public static RouteGroupBuilder MapEscalationsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/escalations/report.csv", ReportAsync)
            .WithName("GetEscalationReport")
            .WithTags("Escalations")
            .WithSummary("The monthly escalation report as CSV")
            .WithDescription("'month' is yyyy-MM, from 2000-01 to 2999-12; without it, the current month.")
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    private static async Task<IResult> ReportAsync(string? month, HttpContext http, EscalationReports reports, OpsBot.Customers.CustomerAccess customers, CancellationToken ct)
    {
        if (!EscalationReports.TryParseMonth(month, out var m, out var error))
            return Results.Problem(statusCode: 400, title: "Invalid month", detail: error);
        var report = await reports.BuildAsync(m, customers.ApiViewer(http.User), ct);
        return Results.Text(EscalationReports.Csv(report), "text/csv; charset=utf-8");
    }
}
