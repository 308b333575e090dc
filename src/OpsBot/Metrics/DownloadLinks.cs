using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Escalations;

namespace OpsBot.Metrics;

/// <summary>What a download link was made for, fixed when it was made.</summary>
public sealed record DownloadQuery(string? ScopeKind = null, string? ScopeLabel = null, List<string>? People = null, int? CustomerId = null, string? Team = null,
    string? Period = null, string? Month = null);

/// <summary>
/// Short-lived links a card can open without an API key (<c>GET /downloads/{token}</c>): a random 256-bit token, stored as its
/// SHA-256 with the person it was made for and exactly what it downloads; it expires after <see cref="MetricsOptions.LinkLifetime"/>.
/// The person's access rules are applied again when it is used.
/// </summary>
public sealed class DownloadLinks(OpsBotDbContext db, IOptions<MetricsOptions> options, TimeProvider clock, PublicAddress address)
{
    public const string MetricsCsv = "metrics-csv", EscalationReport = "escalation-report";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A link to <paramref name="kind"/> for <paramref name="viewer"/>; null when OpsBot does not know its public address.</summary>
    public async Task<string?> CreateAsync(string kind, DownloadQuery query, Viewer viewer, CancellationToken ct)
    {
        if (address.BaseUrl() is not { } baseUrl) return null;
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = clock.GetUtcNow().UtcDateTime;
        await db.DownloadLinks.Where(l => l.ExpiresAt < now.AddDays(-1)).ExecuteDeleteAsync(ct);
        db.DownloadLinks.Add(new DownloadLink
        {
            Hash = Hash(token), Kind = kind, QueryJson = JsonSerializer.Serialize(query, Json), ViewerId = viewer.Id, ViewerAadId = viewer.AadId,
            ViewerName = viewer.Name.Length > 256 ? viewer.Name[..256] : viewer.Name, CreatedAt = now, ExpiresAt = now + options.Value.LinkLifetime,
        });
        await db.SaveChangesAsync(ct);
        return $"{baseUrl}/downloads/{token}";
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary><c>GET /downloads/{token}</c>: the file the link was made for, or why not (404 unknown, 410 expired).</summary>
    public static async Task<IResult> DownloadAsync(string token, OpsBotDbContext db, MetricsService metrics, EscalationReports reports, TimeProvider clock, CancellationToken ct)
    {
        var hash = Hash(token);
        var link = await db.DownloadLinks.AsNoTracking().FirstOrDefaultAsync(l => l.Hash == hash, ct);
        if (link is null) return Results.Problem(statusCode: 404, title: "Unknown link", detail: "This download link is not valid. Open the card again for a fresh one.");
        if (link.ExpiresAt <= clock.GetUtcNow().UtcDateTime)
            return Results.Problem(statusCode: 410, title: "Link expired", detail: "This download link has expired (they work for a few minutes). Open the card again for a fresh one.");
        await db.DownloadLinks.Where(l => l.Id == link.Id).ExecuteUpdateAsync(u => u.SetProperty(l => l.Uses, l => l.Uses + 1), ct);
        var query = JsonSerializer.Deserialize<DownloadQuery>(link.QueryJson, Json)!;
        var viewer = new Viewer(link.ViewerId, link.ViewerAadId, link.ViewerName);
        switch (link.Kind)
        {
            case EscalationReport when EscalationReports.TryParseMonth(query.Month, out var month, out _):
                return File(EscalationReports.Csv(await reports.BuildAsync(month, viewer, ct)), $"escalations-{query.Month}.csv");
            case MetricsCsv:
                var period = MetricsPeriod.Parse(query.Period, clock.GetUtcNow().UtcDateTime, metrics.Zone, out _);
                var scope = new MetricsScope(query.ScopeKind ?? MetricsScope.Person, query.ScopeLabel ?? "", query.People ?? [], query.CustomerId, query.Team);
                if (period is null || !await metrics.MaySeeAsync(viewer, scope, ct))
                    return Results.Problem(statusCode: 404, title: "Unknown link", detail: "This download link is not valid. Open the card again for a fresh one.");
                var report = await metrics.ComputeAsync(scope, period, viewer, ct);
                return File(MetricsExport.Csv(report), $"metrics-{period.Key}.csv");
            default:
                return Results.Problem(statusCode: 404, title: "Unknown link", detail: "This download link is not valid.");
        }
    }

    private static IResult File(string csv, string name) =>
        Results.File(Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", name);
}

/// <summary>
/// OpsBot's public address, for links in cards and messages: <c>PublicUrl</c> (<c>https://opsbot.contoso.com</c>); without it the
/// address the current request came to (the Playground, local use); null for background work without either.
/// </summary>
public sealed class PublicAddress(IConfiguration configuration, IHttpContextAccessor http)
{
    public string? BaseUrl()
    {
        var configured = configuration["PublicUrl"] is { Length: > 0 } p ? p : configuration["Escalations:PublicBaseUrl"];
        if (configured is { Length: > 0 }) return configured.TrimEnd('/');
        return http.HttpContext?.Request is { } r && r.Host.HasValue ? $"{r.Scheme}://{r.Host}{r.PathBase}" : null;
    }
}
