using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework.Auth;
using OpsBot.BotFramework.Connector;
using OpsBot.BotFramework.Schema;
using Polly.Timeout;

namespace OpsBot.BotFramework;

/// <summary>
/// Bot Connector REST v3 client (protocol doc §4). One instance serves every serviceUrl. Writes are paced by
/// <see cref="ConnectorRateLimiter"/>, retried per §4.5, and authenticated per §3; failures throw <see cref="ConnectorException"/>.
/// With credentials configured, a serviceUrl that is not trusted is refused with <see cref="UntrustedServiceUrlException"/>;
/// without them, one that is neither loopback nor allow-listed with a <see cref="ConnectorException"/> (400, <c>UntrustedServiceUrl</c>).
/// </summary>
public sealed class ConnectorClient(
    HttpClient http,
    IOptions<ConnectorOptions>? options = null,
    BotCredentials? credentials = null,
    TrustedServiceUrls? trusted = null,
    [FromKeyedServices(ConnectorClient.ClockKey)] TimeProvider? clock = null,
    ILogger<ConnectorClient>? log = null)
{
    /// <summary>
    /// DI key of the clock used for pacing and retry delays. Rate limits are the remote service's wall-clock limits, so this
    /// is <see cref="TimeProvider.System"/> unless a test registers its own under this key.
    /// </summary>
    public const string ClockKey = "OpsBot.BotFramework.Connector";

    private static readonly MediaTypeHeaderValue JsonContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");

    private readonly ConnectorOptions _options = options?.Value ?? new ConnectorOptions();
    private readonly BotCredentials _credentials = credentials ?? BotCredentials.Anonymous;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ILogger _log = log ?? (ILogger)NullLogger.Instance;

    public Task<ResourceResponse> SendToConversationAsync(string serviceUrl, Activity activity, CancellationToken ct = default) =>
        SendToConversationAsync(serviceUrl, activity, ConnectorRetry.All, ct);

    /// <summary><c>POST v3/conversations/{id}/activities</c>; use <see cref="ConnectorRetry.RejectedOnly"/> when a duplicate must be avoided.</summary>
    public async Task<ResourceResponse> SendToConversationAsync(string serviceUrl, Activity activity, ConnectorRetry retry, CancellationToken ct = default)
    {
        var conversationId = Required(activity.Conversation?.Id, "activity.conversation.id");
        return await SendAsync<ResourceResponse>(HttpMethod.Post, serviceUrl, $"v3/conversations/{E(conversationId)}/activities",
            Checked(activity), Write(conversationId, TenantOf(activity), retry), ct) ?? new ResourceResponse();
    }

    public Task<ResourceResponse> ReplyToActivityAsync(string serviceUrl, string activityId, Activity activity, CancellationToken ct = default) =>
        ReplyToActivityAsync(serviceUrl, activityId, activity, ConnectorRetry.All, ct);

    /// <summary><c>POST v3/conversations/{id}/activities/{activityId}</c>: a thread reply in channels, a plain send in 1:1.</summary>
    public async Task<ResourceResponse> ReplyToActivityAsync(string serviceUrl, string activityId, Activity activity, ConnectorRetry retry, CancellationToken ct = default)
    {
        var conversationId = Required(activity.Conversation?.Id, "activity.conversation.id");
        activity.ReplyToId ??= Required(activityId, nameof(activityId));
        return await SendAsync<ResourceResponse>(HttpMethod.Post, serviceUrl, $"v3/conversations/{E(conversationId)}/activities/{E(activityId)}",
            Checked(activity), Write(conversationId, TenantOf(activity), retry), ct) ?? new ResourceResponse();
    }

    /// <summary><c>PUT v3/conversations/{id}/activities/{activity.id}</c>: replaces a message the bot posted (safe to retry).</summary>
    public Task<ResourceResponse> UpdateActivityAsync(string serviceUrl, Activity activity, CancellationToken ct = default) =>
        UpdateActivityAsync(serviceUrl, activity, ConnectorRetry.All, ct);

    public async Task<ResourceResponse> UpdateActivityAsync(string serviceUrl, Activity activity, ConnectorRetry retry, CancellationToken ct = default)
    {
        var conversationId = Required(activity.Conversation?.Id, "activity.conversation.id");
        var activityId = Required(activity.Id, "activity.id");
        activity.Type ??= ActivityTypes.Message;
        return await SendAsync<ResourceResponse>(HttpMethod.Put, serviceUrl, $"v3/conversations/{E(conversationId)}/activities/{E(activityId)}",
            Checked(activity), Write(conversationId, TenantOf(activity), retry), ct) ?? new ResourceResponse();
    }

    public async Task DeleteActivityAsync(string serviceUrl, string conversationId, string activityId, CancellationToken ct = default) =>
        await SendAsync<ResourceResponse>(HttpMethod.Delete, serviceUrl, $"v3/conversations/{E(conversationId)}/activities/{E(activityId)}",
            null, Write(conversationId, null, ConnectorRetry.All), ct);

    public Task<ConversationResourceResponse> CreateConversationAsync(string serviceUrl, ConversationParameters parameters, CancellationToken ct = default) =>
        CreateConversationAsync(serviceUrl, parameters, ConnectorRetry.All, ct);

    /// <summary><c>POST v3/conversations</c> with <see cref="ConversationParameters"/> (protocol doc §4.3).</summary>
    public async Task<ConversationResourceResponse> CreateConversationAsync(string serviceUrl, ConversationParameters parameters, ConnectorRetry retry, CancellationToken ct = default)
    {
        if (parameters.Activity is not null) Mentions.EnsureResolvable(parameters.Activity);
        var channelData = parameters.ChannelData as JsonObject;
        var target = Text(channelData?["channel"]?["id"]) is { } channel ? "channel:" + channel
            : parameters.Members?.FirstOrDefault()?.Id is { } user ? "user:" + user
            : "create";
        var tenant = parameters.TenantId ?? Text(channelData?["tenant"]?["id"]);
        return await SendAsync<ConversationResourceResponse>(HttpMethod.Post, serviceUrl, "v3/conversations", parameters,
            Write(target, tenant, retry), ct) ?? new ConversationResourceResponse();
    }

    /// <summary>
    /// Creates (or finds) the 1:1 chat with a user who has the app; <paramref name="userId"/> is the <c>29:</c> id or the
    /// Entra object id. Idempotent on the service side, so fully retried. The answer's <c>id</c> is the conversation to send to.
    /// </summary>
    public Task<ConversationResourceResponse> CreatePersonalConversationAsync(string serviceUrl, string tenantId, string userId, CancellationToken ct = default) =>
        CreateConversationAsync(serviceUrl, new ConversationParameters
        {
            IsGroup = false,
            Bot = _credentials.BotId is { } botId ? new ChannelAccount { Id = botId } : null,
            Members = [new ChannelAccount { Id = Required(userId, nameof(userId)) }],
            TenantId = Required(tenantId, nameof(tenantId)),
            ChannelData = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId } },
        }, ConnectorRetry.All, ct);

    /// <summary>
    /// Posts <paramref name="activity"/> as the root of a new thread in a channel. The answer's <c>id</c> is
    /// <c>{channelId};messageid={rootId}</c> (replies go there) and <c>activityId</c> the root message id.
    /// </summary>
    public Task<ConversationResourceResponse> CreateChannelThreadAsync(string serviceUrl, string tenantId, string channelId, Activity activity,
        ConnectorRetry retry = ConnectorRetry.All, CancellationToken ct = default)
    {
        activity.Type ??= ActivityTypes.Message;
        return CreateConversationAsync(serviceUrl, new ConversationParameters
        {
            IsGroup = true,
            ChannelData = new JsonObject
            {
                ["channel"] = new JsonObject { ["id"] = Required(channelId, nameof(channelId)) },
                ["tenant"] = new JsonObject { ["id"] = Required(tenantId, nameof(tenantId)) },
            },
            Activity = activity,
        }, retry, ct);
    }

    /// <summary>All members, following <c>continuationToken</c> through <c>pagedmembers</c> until the last page.</summary>
    public async Task<IReadOnlyList<TeamsChannelAccount>> GetConversationMembersAsync(string serviceUrl, string conversationId, CancellationToken ct = default)
    {
        var members = new List<TeamsChannelAccount>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var page = await GetConversationPagedMembersAsync(serviceUrl, conversationId, _options.MembersPageSize, token, ct);
            members.AddRange(page.Members);
            token = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
            if (token is not null && !seen.Add(token))
                throw new ConnectorException(HttpStatusCode.BadGateway, "RepeatedContinuationToken", null,
                    $"Connector returned the same continuationToken twice while paging members of {conversationId}.");
        }
        while (token is not null);
        return members;
    }

    /// <summary><c>GET v3/conversations/{id}/pagedmembers?pageSize=&amp;continuationToken=</c>: one page.</summary>
    public async Task<PagedMembersResult> GetConversationPagedMembersAsync(string serviceUrl, string conversationId, int? pageSize = null,
        string? continuationToken = null, CancellationToken ct = default)
    {
        var query = new List<string>();
        if (pageSize is { } size) query.Add("pageSize=" + size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(continuationToken)) query.Add("continuationToken=" + E(continuationToken));
        var path = $"v3/conversations/{E(conversationId)}/pagedmembers" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty);
        return await SendAsync<PagedMembersResult>(HttpMethod.Get, serviceUrl, path, null, null, ct) ?? new PagedMembersResult();
    }

    /// <summary><c>GET v3/conversations/{id}/members/{memberId}</c>; memberId = <c>29:</c> id, Entra object id or UPN. 404 → MemberNotFoundInConversation.</summary>
    public async Task<TeamsChannelAccount> GetConversationMemberAsync(string serviceUrl, string conversationId, string memberId, CancellationToken ct = default) =>
        await SendAsync<TeamsChannelAccount>(HttpMethod.Get, serviceUrl, $"v3/conversations/{E(conversationId)}/members/{E(memberId)}", null, null, ct)
        ?? throw new ConnectorException(HttpStatusCode.NotFound, "MemberNotFoundInConversation", null, $"Connector returned no member {memberId}.");

    /// <summary>Sends <c>{"type":"typing"}</c> (paced like any send).</summary>
    public async Task SendTypingAsync(string serviceUrl, string conversationId, CancellationToken ct = default) =>
        await SendAsync<ResourceResponse>(HttpMethod.Post, serviceUrl, $"v3/conversations/{E(conversationId)}/activities",
            new Activity { Type = ActivityTypes.Typing }, Write(conversationId, null, ConnectorRetry.All), ct);

    /// <summary>serviceUrl with its path kept: a missing trailing '/' is added before <paramref name="relative"/> (protocol doc §4.1).</summary>
    internal static Uri BuildUri(string serviceUrl, string relative) =>
        new(new Uri(serviceUrl.EndsWith('/') ? serviceUrl : serviceUrl + "/"), relative);

    private sealed record WriteFacts(string ConversationKey, string? TenantKey, ConnectorRetry Retry);

    private static WriteFacts Write(string conversationKey, string? tenantKey, ConnectorRetry retry) => new(conversationKey, tenantKey, retry);

    private async Task<T?> SendAsync<T>(HttpMethod method, string serviceUrl, string path, object? body, WriteFacts? write, CancellationToken ct)
    {
        Required(serviceUrl, nameof(serviceUrl));
        if (_credentials.IsConfigured && (trusted is null || !trusted.IsTrusted(serviceUrl)))
        {
            _log.LogError("Refused connector {Method} to untrusted serviceUrl {ServiceUrl}", method, serviceUrl);
            throw new UntrustedServiceUrlException(serviceUrl);
        }
        if (!_credentials.IsConfigured && trusted is not null && !trusted.IsAllowedWithoutAuthentication(serviceUrl))
        {
            _log.LogWarning("Refused connector {Method} to {ServiceUrl}: with authentication off only loopback and Bot:TrustedServiceUrlHosts may be called", method, serviceUrl);
            throw new ConnectorException(HttpStatusCode.BadRequest, ConnectorException.UntrustedServiceUrlCode, null,
                $"Refused to call '{serviceUrl}': with authentication off (no MicrosoftAppId) only loopback and the hosts in Bot:TrustedServiceUrlHosts may be called.");
        }

        using var request = new HttpRequestMessage(method, BuildUri(serviceUrl, path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), BotJson.Options));
            request.Content.Headers.ContentType = JsonContentType;
        }
        if (write is not null)
        {
            request.Options.Set(ConnectorRequest.ConversationKey, write.ConversationKey);
            if (write.TenantKey is not null) request.Options.Set(ConnectorRequest.TenantKey, write.TenantKey);
            request.Options.Set(ConnectorRequest.Retry, write.Retry);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        }
        catch (TimeoutRejectedException ex)
        {
            _log.LogWarning("Connector {Method} {Path} timed out", method, path);
            throw new ConnectorException(HttpStatusCode.GatewayTimeout, ConnectorException.TimeoutCode, null,
                $"Connector {method} {path} timed out.", innerException: ex) { MayHaveBeenDelivered = ConnectorRequest.PossiblyDelivered(request) };
        }
        catch (HttpRequestException ex)
        {
            _log.LogWarning("Connector {Method} {Path} failed in transport: {Error}", method, path, ex.HttpRequestError);
            throw new ConnectorException(HttpStatusCode.ServiceUnavailable, ConnectorException.TransportErrorCode, ex.HttpRequestError.ToString(),
                $"Connector {method} {path} failed: {ex.Message}", innerException: ex)
            {
                MayHaveBeenDelivered = ConnectorRequest.PossiblyDelivered(request),
            };
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var error = ConnectorErrors.ToException(method, path, response.StatusCode, text, ConnectorPipeline.RetryAfter(response, _clock),
                    ConnectorRequest.PossiblyDelivered(request));
                // Throttling is routine under load (the caller waits Retry-After); anything else is worth a warning.
                _log.Log(response.StatusCode == HttpStatusCode.TooManyRequests ? LogLevel.Information : LogLevel.Warning,
                    "Connector {Method} {Path} answered {Status} {Code} {SubCode}", method, path, (int)response.StatusCode, error.Code, error.SubCode);
                throw error;
            }
            return string.IsNullOrWhiteSpace(text) ? default : JsonSerializer.Deserialize<T>(text, BotJson.Options);
        }
    }

    private static Activity Checked(Activity activity)
    {
        Mentions.EnsureResolvable(activity);
        return activity;
    }

    private static string? TenantOf(Activity activity) => activity.Conversation?.TenantId ?? activity.TeamsData?.Tenant?.Id;

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrEmpty(s) ? s : null;

    private static string E(string segment) => Uri.EscapeDataString(segment);

    private static string Required(string? value, string name) =>
        string.IsNullOrEmpty(value) ? throw new ArgumentException($"{name} is required for this connector call.", name) : value;
}
