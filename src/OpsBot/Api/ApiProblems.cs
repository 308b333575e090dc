using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace OpsBot.Api;

/// <summary>
/// RFC 9457 problem details for every error of the HTTP API. Answers ASP.NET Core gives with a status alone (401 and 403 from the
/// <c>api</c> policy, 404 for an unknown route, 405, 415) and parameters it cannot bind get a body too, and a problem without a
/// detail gets one saying what to do. <c>/api/messages</c> is left alone: it answers as the Bot Framework does, with a status
/// and no body (protocol doc §2.8 and §5.1).
/// </summary>
public static class ApiProblems
{
    public const string BotMessagesPath = "/api/messages";

    public static bool Applies(HttpContext http) =>
        http.Request.Path.StartsWithSegments("/api") && !http.Request.Path.StartsWithSegments(BotMessagesPath);

    public static IServiceCollection AddApiProblems(this IServiceCollection services)
    {
        services.Configure<ProblemDetailsOptions>(o => o.CustomizeProblemDetails += Complete);
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestProblems>();
        return services;
    }

    /// <summary>Goes right after the exception handler, so that it sees the statuses authentication, routing and the endpoints set.</summary>
    public static WebApplication UseApiProblems(this WebApplication app)
    {
        app.UseWhen(Applies, api => api.UseStatusCodePages());
        return app;
    }

    private static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Detail ??= Detail(context.HttpContext, problem);
    }

    private static string Detail(HttpContext http, Microsoft.AspNetCore.Mvc.ProblemDetails problem)
    {
        var request = http.Request;
        return problem.Status switch
        {
            StatusCodes.Status401Unauthorized => Unauthenticated(request),
            StatusCodes.Status403Forbidden => "The caller is authenticated but not allowed to use this endpoint.",
            StatusCodes.Status404NotFound => $"OpsBot's API has no {request.Method} {request.Path}; /openapi/v1.json lists its endpoints.",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}; use {http.Response.Headers.Allow}.",
            StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
            StatusCodes.Status415UnsupportedMediaType => $"The body must be JSON, sent as Content-Type: application/json (it was '{request.ContentType}').",
            StatusCodes.Status400BadRequest when problem is HttpValidationProblemDetails => "Some values are not valid: 'errors' names each field and what to fix.",
            StatusCodes.Status400BadRequest => "The request could not be read; /openapi/v1.json describes each endpoint's parameters and body.",
            >= 500 => "OpsBot could not complete the request; the error is logged under this trace id.",
            _ => problem.Title ?? ReasonPhrases.GetReasonPhrase(problem.Status ?? http.Response.StatusCode),
        };
    }

    private static string Unauthenticated(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (request.Headers.ContainsKey(ApiKeyHandler.HeaderName) || authorization.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase))
            return "The API key is not known.";
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return "The bearer token was not accepted: it must be a current Entra ID token for OpsBot's API, issued to an allowed application.";
        return $"Send an API key in the {ApiKeyHandler.HeaderName} header, or an Entra ID bearer token in Authorization.";
    }

    /// <summary>A parameter that cannot be bound (e.g. <c>limit=many</c>) or a body the server refuses: the status it carries, with its message as the detail.</summary>
    private sealed class BadRequestProblems(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
        {
            if (exception is not BadHttpRequestException bad || !Applies(http) || http.Response.HasStarted) return false;
            http.Response.StatusCode = bad.StatusCode;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                Exception = exception,
                ProblemDetails = { Status = bad.StatusCode, Detail = bad.Message },
            });
        }
    }
}
