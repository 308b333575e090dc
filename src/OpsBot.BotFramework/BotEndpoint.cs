using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework;

public static class BotEndpoint
{
    public const int MaxBodyBytes = 256 * 1024;

    public static IServiceCollection AddBotFramework(this IServiceCollection services)
    {
        services.AddBotConnector();
        return services;
    }

    /// <summary>Maps <c>POST /api/messages</c>: parse, authenticate, run the bot, answer as the SDK would.</summary>
    public static IEndpointConventionBuilder MapBotMessages(this IEndpointRouteBuilder endpoints, string pattern = "/api/messages") =>
        endpoints.MapPost(pattern, HandleAsync);

    private static async Task<IResult> HandleAsync(HttpContext http, IBot bot, ConnectorClient connector, CancellationToken ct)
    {
        Activity? activity;
        try
        {
            activity = await JsonSerializer.DeserializeAsync<Activity>(http.Request.Body, BotJson.Options, ct);
        }
        catch (JsonException)
        {
            return Results.Problem(statusCode: 400, title: "Malformed activity", detail: "The body is not a JSON activity object.");
        }
        if (activity is null || string.IsNullOrEmpty(activity.Type))
            return Results.Problem(statusCode: 400, title: "Malformed activity", detail: "The activity has no 'type'.");

        var turn = new TurnContext(activity, connector, CallerIdentity.Anonymous);
        await bot.OnTurnAsync(turn, ct);

        if (turn.ExpectReplies)
        {
            var body = new JsonObject { ["activities"] = JsonSerializer.SerializeToNode(turn.BufferedReplies, BotJson.Options) };
            if (turn.InvokeResponse?.Body is { } invokeBody) body["body"] = invokeBody.DeepClone();
            return Results.Json(body, statusCode: 200);
        }
        if (activity.Type == ActivityTypes.Invoke)
        {
            if (turn.InvokeResponse is null) return Results.StatusCode(501);
            return turn.InvokeResponse.Body is null
                ? Results.StatusCode(turn.InvokeResponse.Status)
                : Results.Json(turn.InvokeResponse.Body, BotJson.Options, statusCode: turn.InvokeResponse.Status);
        }
        return Results.Ok();
    }
}
