using System.ComponentModel;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Alerts;

/// <summary>
/// <c>POST /api/alerts</c> (with <c>Idempotency-Key</c>), <c>GET /api/alerts/{id}</c> (alert + delivery per recipient) and
/// <c>POST /api/kpis/{name}/readings</c> for other systems. Errors are RFC 9457 problem details.
/// </summary>
public static class AlertsApi
{
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary><see cref="Customer"/> (or its older name <see cref="Account"/>) is any identifier: a number, <c>ERP:100234</c>, a domain, a CRM id, a name.</summary>
    public sealed record AlertRequest(string? Account, string? Kind, string? Impact, int? Severity, string? Reference = null, string? Description = null, string? Customer = null);
    public sealed record KpiReadingRequest(decimal? Value);

    public static RouteGroupBuilder MapAlertsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/alerts", CreateAsync)
            .WithName("RaiseAlert")
            .WithTags("Alerts")
            .WithSummary("Raise an alert")
            .WithDescription("Routes the alert to its channels and people like an alert raised in chat. With an Idempotency-Key (at most 100 "
                + "characters) a retry of the same request answers 200 with the alert it created; the same key with a different body is a 422.")
            .Accepts<AlertRequest>("application/json")
            .Produces<AlertView>(StatusCodes.Status201Created)
            .Produces<AlertView>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/alerts/{id:long}", GetAsync)
            .WithName("GetAlert")
            .WithTags("Alerts")
            .WithSummary("An alert and the delivery of each of its copies")
            .Produces<AlertView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/kpis/{name}/readings", KpiAsync)
            .WithName("RecordKpiReading")
            .WithTags("Alerts")
            .WithSummary("Record a KPI reading")
            .WithDescription("Compares the reading with the KPI's configured levels (Alerts:Kpis) and raises, escalates or clears its alert.")
            .Accepts<KpiReadingRequest>("application/json")
            .Produces<KpiResult>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, AlertService alerts, OpsBotDbContext db, CustomerResolver resolver, CustomerAccess customers,
        [FromHeader(Name = "Idempotency-Key"), Description("At most 100 characters; a retry with the same key answers with the alert the first request created.")]
        string? idempotencyKey, CancellationToken ct)
    {
        var (request, raw, problem) = await ReadAsync<AlertRequest>(http, ct);
        if (problem is not null) return problem;
        var input = new AlertInput(request!.Customer ?? request.Account, request.Reference, request.Kind, request.Impact, request.Severity, request.Description);
        var errors = AlertService.Validate(input);
        var client = ClientOf(http);
        var resolved = errors.ContainsKey("account") ? CustomerResolution.None : await resolver.ResolveAsync(input.Account, customers.ApiViewer(client), ct);
        if (!errors.ContainsKey("account") && resolved.Customer is null) errors["account"] = CustomerResolver.NotFoundText(input.Account!.Trim(), resolved.Suggestions);
        if (errors.Count > 0) return Results.ValidationProblem(errors.ToDictionary(e => e.Key, e => new[] { e.Value }), title: "The alert is not valid.");

        var key = idempotencyKey ?? "";
        if (key.Length > 100) return Results.Problem(statusCode: 400, title: "Idempotency-Key too long", detail: "Use at most 100 characters.");
        var hash = Convert.ToHexStringLower(SHA256.HashData(raw!));
        if (key.Length > 0 && await ReplayAsync(db, client, key, hash, ct) is { } replay) return replay;
        try
        {
            var alert = await alerts.RaiseAsync(input, resolved.Customer, AlertSource.Api, new Actor("api:" + client, client), alerts.DefaultServiceUrl, null,
                client, key.Length > 0 ? key : null, hash, ct: ct);
            return Results.Created($"/api/alerts/{alert.Id}", await ViewAsync(db, alert, ct));
        }
        catch (DbUpdateException) when (key.Length > 0)
        {
            // A concurrent retry with the same key won the race.
            db.ChangeTracker.Clear();
            return await ReplayAsync(db, client, key, hash, ct) ?? Results.Problem(statusCode: 409, title: "Concurrent request", detail: "Retry the request.");
        }
    }

    private static async Task<IResult?> ReplayAsync(OpsBotDbContext db, string client, string key, string hash, CancellationToken ct)
    {
        var existing = await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.ApiClient == client && a.IdempotencyKey == key, ct);
        if (existing is null) return null;
        if (existing.RequestHash != hash)
            return Results.Problem(statusCode: 422, title: "Idempotency-Key reused",
                detail: $"The key '{key}' was already used for a different request (alert #{existing.Id}). Use a new key for a new alert.");
        return Results.Ok(await ViewAsync(db, existing, ct));
    }

    private static string ClientOf(HttpContext http) => http.User.FindFirst("client")?.Value ?? http.User.Identity?.Name ?? "api";

    private static async Task<IResult> GetAsync(long id, HttpContext http, OpsBotDbContext db, CustomerAccess customers, CancellationToken ct)
    {
        var alert = await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
        if (alert is not null && !await customers.MaySeeAsync(alert.CustomerId, customers.ApiViewer(ClientOf(http)), ct)) alert = null;
        return alert is null ? Results.Problem(statusCode: 404, title: "No such alert", detail: $"There is no alert #{id}.") : Results.Ok(await ViewAsync(db, alert, ct));
    }

    private static async Task<IResult> KpiAsync(string name, HttpContext http, KpiMonitor monitor, CancellationToken ct)
    {
        var (request, _, problem) = await ReadAsync<KpiReadingRequest>(http, ct);
        if (problem is not null) return problem;
        if (request!.Value is not { } value)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["value"] = ["Give the reading as a number, e.g. {\"value\": 93.5}."] });
        if (StoreLimits.AmountProblem("The value", value) is { } tooLarge)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["value"] = [tooLarge] });
        var result = await monitor.RecordAsync(name, value, ct);
        return result is null
            ? Results.Problem(statusCode: 404, title: "Unknown KPI", detail: $"No alert levels are configured for KPI '{name}' (Alerts:Kpis).")
            : Results.Ok(result);
    }

    /// <summary>
    /// One routed copy. <see cref="Status"/>: Sent (the connector accepted the post; a card update may still be queued), Queued,
    /// Failed (given up; <see cref="Error"/> says why), PossiblySent (rows from before ADR 0005, not retried) or NotPosted.
    /// <see cref="PossiblyDuplicated"/>: the post was repeated after an attempt that may have arrived. <see cref="Text"/> says it in words.
    /// </summary>
    public sealed record DeliveryView(string Target, string Status, string Text, bool PossiblyDuplicated, int Throttles, string? Error, DateTime? SentAt, int Attempts);
    public sealed record AlertView(long Id, int Version, string Account, string? Reference, string Kind, int Severity, string Impact, string Status,
        string? Owner, DateTime CreatedAt, long? ThreadAlertId, IReadOnlyList<DeliveryView> Deliveries);

    private static async Task<AlertView> ViewAsync(OpsBotDbContext db, Alert a, CancellationToken ct)
    {
        var rows = await AlertDeliveries.Copies(db, a.Id).OrderBy(m => m.Id).ToListAsync(ct);
        return new AlertView(a.Id, a.Version, a.Account, a.Reference, a.Kind, a.Severity.Number(), a.Impact, a.Status.ToString(), a.OwnerName, a.CreatedAt, a.ThreadAlertId,
            rows.Select(m => new DeliveryView(m.UserId ?? m.ChannelId ?? m.ConversationId ?? "", AlertDeliveries.State(m), AlertDeliveries.Describe(m),
                m.RepeatedAfterAmbiguousFailure, m.Throttles, m.Error, m.SentAt, m.Attempts)).ToList());
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowReadingFromString };

    private static async Task<(T? Value, byte[]? Raw, IResult? Problem)> ReadAsync<T>(HttpContext http, CancellationToken ct) where T : class
    {
        if (http.Request.ContentLength > MaxBodyBytes)
            return (null, null, Results.Problem(statusCode: 413, title: "Request too large", detail: $"The body must be at most {MaxBodyBytes / 1024} KB."));
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxBodyBytes)
                return (null, null, Results.Problem(statusCode: 413, title: "Request too large", detail: $"The body must be at most {MaxBodyBytes / 1024} KB."));
        }
        var raw = buffer.ToArray();
        try
        {
            var value = JsonSerializer.Deserialize<T>(raw, Json);
            return value is null
                ? (null, null, Results.Problem(statusCode: 400, title: "Malformed request", detail: "The body must be a JSON object."))
                : (value, raw, null);
        }
        catch (JsonException ex)
        {
            return (null, null, Results.Problem(statusCode: 400, title: "Malformed request", detail: "The body is not valid JSON for this endpoint: " + ex.Message.Split('.')[0] + "."));
        }
    }

}
