using System.ComponentModel;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OpsBot.Alerts;
using OpsBot.Data;

namespace OpsBot.Customers;

/// <summary>
/// <c>GET /api/customers/{key}</c> (the customer 360) and <c>POST /api/customers/import</c> (a CSV file) for other systems,
/// under the same access rule as chat: a restricted customer the client may not see is answered like a missing one.
/// </summary>
public static class CustomersApi
{
    /// <summary>An import file may be large (100,000 customers is about 20 MB); it is spooled to disk, never held in memory.</summary>
    public const long MaxImportBytes = 256L * 1024 * 1024;

    public sealed record ImportResult(ImportSummary Summary, string Message, IReadOnlyList<ImportLine> Lines);

    public static RouteGroupBuilder MapCustomersApi(this RouteGroupBuilder api)
    {
        api.MapGet("/customers/{key}", GetAsync)
            .WithName("GetCustomer")
            .WithTags("Customers")
            .WithSummary("The customer 360")
            .WithDescription("The key is anything that names one customer exactly: its number, a typed identifier (ERP:100234, DOMAIN:acme.com), "
                + "a contact's e-mail or the exact name. Identity, sites, open commitments with their downstream forms, complaints, alerts, KPIs and the last events.")
            .Produces<Customer360>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/customers/import", ImportAsync)
            .WithName("ImportCustomers")
            .WithTags("Customers")
            .WithSummary("Create and update customers from a CSV file")
            .WithDescription("The body is the CSV file (text/csv, UTF-8): a header with number,name and any of legal_name, segment, industry, owner, parent, "
                + "restricted, members, erp, crm, domains, phones, tenant, tax, country, timezone (several values in one cell separated by ';'). "
                + "Answers what happened to each line. Nothing is written on a dry run, or when a line is invalid unless partial=true; "
                + "importing the same file again changes nothing. When lines were invalid and nothing was written: a 422 problem with the same summary and lines.")
            .Accepts<string>("text/csv")
            .Produces<ImportResult>()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return api;
    }

    private static async Task<IResult> GetAsync(string key, HttpContext http, OpsBotDbContext db, CustomerResolver resolver, CustomerAccess access,
        IOptions<AlertOptions> alertOptions, TimeProvider time, CancellationToken ct)
    {
        var viewer = access.ApiViewer(http.User);
        var resolution = await resolver.ResolveAsync(key, viewer, ct);
        if (resolution.Customer is not { } customer)
            return Results.Problem(statusCode: 404, title: "No such customer", detail: CustomerResolver.NotFoundText(key.Length > 100 ? key[..100] : key, resolution.Suggestions));
        return Results.Ok(await Customer360.LoadAsync(db, customer, viewer, alertOptions.Value, time.GetUtcNow().UtcDateTime, ct));
    }

    private static async Task<IResult> ImportAsync(HttpContext http, CustomerImport import, CustomerAccess access,
        [Description("true: check and report every line, write nothing.")] bool? dryRun,
        [Description("true: save the valid lines even when some are invalid.")] bool? partial,
        CancellationToken ct)
    {
        var type = http.Request.ContentType ?? "";
        if (!type.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) && !type.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase)
            && !type.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            return Results.Problem(statusCode: 415, title: "Unsupported media type", detail: "Send the CSV file as the body with Content-Type: text/csv.");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxImportBytes;
        if (http.Request.ContentLength > MaxImportBytes) return TooLarge();

        var spool = Path.GetTempFileName();
        var report = Path.GetTempFileName();
        try
        {
            await using (var file = File.Create(spool))
            {
                var buffer = new byte[81920];
                int n;
                while ((n = await http.Request.Body.ReadAsync(buffer, ct)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                    if (file.Length > MaxImportBytes) return TooLarge();
                }
            }
            ImportSummary summary;
            await using (var lines = new StreamWriter(report))
                summary = await import.RunAsync(() => File.OpenRead(spool), dryRun == true, partial == true, access.ApiViewer(http.User),
                    async line => await lines.WriteLineAsync(JsonSerializer.Serialize(line, Json)), ct);
            var refused = summary.Invalid > 0 && !summary.Applied && !summary.DryRun;
            http.Response.StatusCode = refused ? 422 : 200;
            http.Response.ContentType = refused ? "application/problem+json; charset=utf-8" : "application/json; charset=utf-8";
            var body = http.Response.BodyWriter;
            using (var writer = new Utf8JsonWriter(body))
            {
                writer.WriteStartObject();
                if (refused)
                {
                    writer.WriteString("type", "https://tools.ietf.org/html/rfc9110#section-15.5.21");
                    writer.WriteString("title", "Invalid lines");
                    writer.WriteNumber("status", 422);
                    writer.WriteString("detail", summary.ToString());
                }
                writer.WritePropertyName("summary");
                JsonSerializer.Serialize(writer, summary, Json);
                writer.WriteString("message", summary.ToString());
                writer.WriteStartArray("lines");
                foreach (var line in File.ReadLines(report))
                {
                    writer.WriteRawValue(line, skipInputValidation: true);
                    if (writer.BytesPending < 65536) continue;
                    writer.Flush();
                    await body.FlushAsync(ct);
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            await body.FlushAsync(ct);
            return Results.Empty;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == 413)
        {
            return TooLarge();
        }
        finally
        {
            File.Delete(spool);
            File.Delete(report);
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static IResult TooLarge() =>
        Results.Problem(statusCode: 413, title: "Request too large", detail: $"An import file is at most {MaxImportBytes / 1024 / 1024} MB: split it into several files.");
}
