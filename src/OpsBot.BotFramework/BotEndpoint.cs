using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpsBot.BotFramework.Auth;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework;

public static partial class BotEndpoint
{
    public const int MaxBodyBytes = 256 * 1024;

    public static IServiceCollection AddBotFramework(this IServiceCollection services)
    {
        services.AddHttpClient(OpenIdKeySet.HttpClientName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => BotAuthenticationOptions.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddBotConnector();
        services.TryAddSingleton<BotAuthenticator>();
        services.AddHostedService<BotAuthenticationStartup>();
        services.TryAddSingleton<IInboundActivityLog, MemoryInboundActivityLog>();
        services.TryAddSingleton<BackgroundTurns>();
        services.AddHostedService(sp => sp.GetRequiredService<BackgroundTurns>());
        services.TryAddSingleton(UnavailableErrors.None);
        services.TryAddSingleton<InboundTurns>();
        return services;
    }

    /// <summary>Maps <c>/api/messages</c>: parse, authenticate, run the bot, answer as the SDK would (protocol doc §5.1).</summary>
    public static IEndpointConventionBuilder MapBotMessages(this IEndpointRouteBuilder endpoints, string pattern = "/api/messages") =>
        endpoints.Map(pattern, HandleAsync);

    private static async Task<IResult> HandleAsync(HttpContext http, BotAuthenticator authenticator, InboundTurns turns, UnavailableErrors unavailable, ILoggerFactory logs)
    {
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            http.Response.Headers.Allow = "POST";
            return Results.StatusCode(StatusCodes.Status405MethodNotAllowed);
        }
        var ct = http.RequestAborted;
        var (activity, problem) = await ReadActivityAsync(http.Request, ct);
        if (problem is not null) return problem;

        var log = logs.CreateLogger(typeof(BotEndpoint));
        AuthResult auth;
        try
        {
            auth = await authenticator.AuthenticateAsync(http.Request.Headers.Authorization.ToString(), activity!, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // An authentication failure is a 401 whatever its cause, never a 500 (protocol doc §2.8).
            auth = AuthResult.Fail($"validator error {ex.GetType().Name}");
        }
        switch (auth.Status)
        {
            case AuthStatus.Unauthorized:
                LogRejected(log, auth.Reason, http.Connection.RemoteIpAddress?.ToString());
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            case AuthStatus.Unavailable:
                LogUnavailable(log, auth.Reason);
                http.Response.Headers.RetryAfter = "10";
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        activity!.CallerId = auth.Caller.CallerId; // a callerId on the wire is never trusted
        InvokeResponse answer;
        try
        {
            answer = await turns.ProcessAsync(activity, auth.Caller, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && unavailable.Matches(ex))
        {
            LogNotClaimed(log, activity.Id, ex.GetType().Name, ex.Message);
            answer = new InvokeResponse(StatusCodes.Status503ServiceUnavailable);
        }
        if (answer.Status == StatusCodes.Status503ServiceUnavailable)
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(unavailable.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return answer.Body is null
            ? Results.StatusCode(answer.Status)
            : Results.Json(answer.Body, BotJson.Options, statusCode: answer.Status);
    }

    /// <summary>Reads at most <see cref="MaxBodyBytes"/> (counted while reading, whatever Content-Length says) and parses the activity.</summary>
    private static async Task<(Activity? Activity, IResult? Problem)> ReadActivityAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes) return (null, TooLarge());
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 4096, MaxBodyBytes) + 1);
        while (true)
        {
            var read = await request.Body.ReadAsync(buffer.GetMemory(8192), ct);
            if (read == 0) break;
            buffer.Advance(read);
            if (buffer.WrittenCount > MaxBodyBytes) return (null, TooLarge());
        }

        Activity? activity;
        try
        {
            activity = JsonSerializer.Deserialize<Activity>(buffer.WrittenSpan, BotJson.Options);
        }
        catch (JsonException)
        {
            return (null, Results.Problem(statusCode: 400, title: "Malformed activity", detail: "The body is not a JSON activity object."));
        }
        if (activity is null || string.IsNullOrEmpty(activity.Type))
            return (null, Results.Problem(statusCode: 400, title: "Malformed activity", detail: "The activity has no 'type'."));
        return Unstorable(activity) is { } field
            ? (null, Results.Problem(statusCode: 400, title: "Malformed activity", detail: field,
                extensions: new Dictionary<string, object?> { ["field"] = field.Split(' ')[0] }))
            : (activity, null);
    }

    /// <summary>
    /// Ids address the activity and its redelivery record (protocol doc §5.4): one with a NUL character (which PostgreSQL cannot
    /// store) or longer than the record's column is refused here, alone, with 400 naming it — Teams never sends such ids. A NUL
    /// in the typed text or a display name carries no meaning and is dropped, so the message is still answered; card values
    /// are checked by the features (and, before any save, by the app's store limits), which answer in the chat naming the field.
    /// </summary>
    private static string? Unstorable(Activity a)
    {
        static string? Id(string name, string? value, int max) =>
            value is null ? null
            : value.Contains('\0', StringComparison.Ordinal) ? $"{name} contains a NUL character (\\u0000)."
            : value.Length > max ? $"{name} is longer than {max} characters."
            : null;
        var problem = Id("id", a.Id, InboundActivityKey.MaxActivityIdLength)
            ?? Id("channelId", a.ChannelId, InboundActivityKey.MaxChannelIdLength)
            ?? Id("conversation.id", a.Conversation?.Id, InboundActivityKey.MaxConversationIdLength)
            ?? Id("replyToId", a.ReplyToId, InboundActivityKey.MaxActivityIdLength)
            ?? Id("from.id", a.From?.Id, InboundActivityKey.MaxConversationIdLength)
            ?? Id("recipient.id", a.Recipient?.Id, InboundActivityKey.MaxConversationIdLength)
            ?? Id("serviceUrl", a.ServiceUrl, 2048);
        if (problem is not null) return problem;
        a.Text = WithoutNul(a.Text);
        if (a.From is { } from) from.Name = WithoutNul(from.Name);
        if (a.Recipient is { } recipient) recipient.Name = WithoutNul(recipient.Name);
        if (a.Conversation is { } conversation) conversation.Name = WithoutNul(conversation.Name);
        return null;
    }

    private static string? WithoutNul(string? text) => text?.Contains('\0', StringComparison.Ordinal) == true ? text.Replace("\0", "", StringComparison.Ordinal) : text;

    private static IResult TooLarge() =>
        Results.Problem(statusCode: 413, title: "Activity too large", detail: $"Activities are limited to {MaxBodyBytes / 1024} KB.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected inbound activity with 401 from {RemoteIp}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string? reason, string? remoteIp);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Activity {ActivityId} answered 503 for redelivery: its store is unavailable ({Error}: {Message})")]
    private static partial void LogNotClaimed(ILogger logger, string? activityId, string error, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Answered 503: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string? reason);
}
