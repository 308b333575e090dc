using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;

namespace OpsBot.Api;

/// <summary>
/// The OpenAPI contract of the HTTP API at <c>/openapi/v1.json</c> (ASP.NET Core's built-in generator): the endpoints each feature
/// maps under <c>/api</c> with their problem answers, the two ways a caller authenticates, and <c>/api/messages</c> for Teams.
/// A copy is kept at <c>docs/openapi.json</c>; a test fails when the two differ, so a change to the API is reviewed.
/// </summary>
public static class ApiDocument
{
    public const string Pattern = "/openapi/{documentName}.json";
    public const string BotFrameworkScheme = "BotFramework";

    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                Describe(document);
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any(a => a.Policy == ApiAuthentication.Policy))
                    operation.Security = [Requirement(ApiKeyHandler.SchemeName, context.Document), Requirement(ApiAuthentication.EntraScheme, context.Document)];
                return Task.CompletedTask;
            });
        });

    private static OpenApiSecurityRequirement Requirement(string scheme, OpenApiDocument? document) =>
        new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };

    private static void Describe(OpenApiDocument document)
    {
        document.Info = new OpenApiInfo
        {
            Title = "OpsBot API",
            Version = "v1",
            Description = "For other systems: raise alerts and record KPI readings, read the ERP feed of commitments, download the escalation "
                + "report. Every error is RFC 9457 problem+json (application/problem+json) with a title, the status and a detail.",
        };
        document.Servers?.Clear(); // the document describes paths; the host is the deployment's
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKeyHandler.SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyHandler.HeaderName,
            Description = "A key issued per client; OpsBot stores only its SHA-256 (Api:Keys:<client>). 'Authorization: ApiKey <key>' works too.",
        };
        document.Components.SecuritySchemes[ApiAuthentication.EntraScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "Where Api:Entra is configured: an Entra ID access token (client credentials) issued by the tenant Api:Entra:TenantId "
                + "for the audience Api:Entra:Audience, to an application listed in Api:Entra:AllowedClients.",
        };
        document.Components.SecuritySchemes[BotFrameworkScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "The Bot Framework channel token Teams sends to /api/messages (issuer https://api.botframework.com, audience the bot's app id).",
        };
        document.Paths ??= [];
        document.Paths[ApiProblems.BotMessagesPath] = BotMessages(document);
    }

    /// <summary>
    /// <c>/api/messages</c> is mapped by the protocol layer for every method (405 for all but POST), so the generator does not see
    /// it; it is described here as the Bot Framework protocol defines it: a status, and a body only for invokes.
    /// </summary>
    private static OpenApiPathItem BotMessages(OpenApiDocument document) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Post] = new()
            {
                OperationId = "PostActivity",
                Summary = "An activity from Teams (Bot Framework protocol)",
                Description = "Messages are answered 200 with no body, invokes with the invoke's status and body. Errors have no body, as the "
                    + "Bot Framework SDK answers: 400 (not an activity), 401 (authentication), 405, 413 (over 256 KB), 501 (unknown invoke), 503 (retry).",
                Security = [Requirement(BotFrameworkScheme, document)],
                RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } } },
                },
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse { Description = "Handled; an invoke's result is the body." },
                    ["400"] = new OpenApiResponse { Description = "Not a JSON activity, or one without a type." },
                    ["401"] = new OpenApiResponse { Description = "The channel token is missing or not valid." },
                    ["413"] = new OpenApiResponse { Description = "The activity is larger than 256 KB." },
                    ["501"] = new OpenApiResponse { Description = "An invoke OpsBot does not handle." },
                    ["503"] = new OpenApiResponse { Description = "The store or the token keys are unavailable; Teams sends the activity again (Retry-After)." },
                },
            },
        },
    };
}
