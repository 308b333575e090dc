using System.Globalization;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using OpsBot.Audit;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Commitments;

/// <summary><c>GET /api/erp/commitments?since=&amp;limit=</c> (the ERP feed, <see cref="ErpFeed"/>) and <c>GET /api/commitments/{opportunityId}</c>.</summary>
public static class CommitmentsApi
{
    public sealed record FormView(string Kind, string Role, DateTime DueAt, string Status, string? ConfirmedByName, DateTime? ConfirmedAt);
    public sealed record CommitmentDetail(CommitmentView Commitment, IEnumerable<FormView> Forms);

    public static RouteGroupBuilder MapCommitmentsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/erp/commitments", FeedAsync)
            .WithName("ReadErpFeed")
            .WithTags("Commitments")
            .WithSummary("The ERP feed: commitment versions in commit order")
            .WithDescription("Pass the 'next' of the previous page as 'since' (empty to start); 'limit' is 1 to 500 (default 100). "
                + "Entries of accounts the client may not see are skipped, and the cursor still moves past them.")
            .Produces<ErpFeed.FeedPage>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/commitments/{opportunityId}", GetAsync)
            .WithName("GetCommitment")
            .WithTags("Commitments")
            .WithSummary("A commitment and its downstream forms")
            .Produces<CommitmentDetail>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> FeedAsync(HttpContext http, OpsBotDbContext db, CustomerAccess customers, TimeProvider time, string? since, int? limit, CancellationToken ct)
    {
        var cursor = 0L;
        if (!string.IsNullOrEmpty(since) && !long.TryParse(since, NumberStyles.None, CultureInfo.InvariantCulture, out cursor))
            return Results.Problem(statusCode: 400, title: "Bad cursor", detail: "'since' is the 'next' value of a previous page (or empty to start).");
        var viewer = customers.ApiViewer(http.User);
        var page = await ErpFeed.ReadAsync(db, cursor, Math.Clamp(limit ?? 100, 1, 500), viewer, ct);
        if (page.Items.Count > 0)
        {
            db.Audit(time.GetUtcNow().UtcDateTime, viewer.Id, viewer.Name, "erp-pull", "ErpFeed", page.Next,
                note: $"{page.Items.Count} entries after {cursor}: {string.Join(", ", page.Items.Select(i => $"{i.OpportunityId} v{i.Version}"))}");
            await db.SaveChangesAsync(ct);
        }
        return Results.Ok(page);
    }

    private static async Task<IResult> GetAsync(HttpContext http, string opportunityId, CommitmentQueries queries, CustomerAccess customers, TimeProvider time, CancellationToken ct)
    {
        var viewer = customers.ApiViewer(http.User);
        var c = await queries.FindAsync(opportunityId, viewer, time.GetUtcNow().UtcDateTime, "api", ct);
        return c is null
            ? Results.Problem(statusCode: 404, title: "Not found", detail: CustomerAccess.NotFound("commitment", opportunityId))
            : Results.Ok(new CommitmentDetail(CommitmentView.Of(c), c.Forms.OrderBy(f => f.Kind)
                .Select(f => new FormView(f.Kind.ToString(), f.Role.ToString(), f.DueAt, f.Status.ToString(), f.ConfirmedByName, f.ConfirmedAt)).ToList()));
    }
}
