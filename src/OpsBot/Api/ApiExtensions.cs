namespace OpsBot.Api;

/// <summary>What every feature's HTTP API shares: authentication, problem details and the OpenAPI document.</summary>
public static class ApiExtensions
{
    public static IServiceCollection AddHttpApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddApiAuthentication(configuration);
        services.AddApiProblems();
        services.AddApiDocument();
        return services;
    }

    /// <summary>
    /// Serves <c>/openapi/v1.json</c> and returns the one <c>/api</c> group each feature maps its endpoints into: the <c>api</c>
    /// policy and the problem answers every endpoint shares (401, 403, and 503 while the database is unavailable).
    /// </summary>
    public static RouteGroupBuilder MapHttpApi(this WebApplication app)
    {
        app.MapOpenApi(ApiDocument.Pattern);
        return app.MapGroup("/api")
            .RequireAuthorization(ApiAuthentication.Policy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }
}
