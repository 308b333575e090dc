using System.Net.Http.Json;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework;

/// <summary>Bot Connector REST v3 client (protocol doc §4). One instance serves every serviceUrl.</summary>
public sealed class ConnectorClient(HttpClient http)
{
    public async Task<ResourceResponse> SendToConversationAsync(string serviceUrl, Activity activity, CancellationToken ct = default)
    {
        var path = $"v3/conversations/{Uri.EscapeDataString(activity.Conversation!.Id!)}/activities";
        return await SendAsync<ResourceResponse>(HttpMethod.Post, serviceUrl, path, activity, ct) ?? new ResourceResponse();
    }

    public async Task<ResourceResponse> UpdateActivityAsync(string serviceUrl, Activity activity, CancellationToken ct = default)
    {
        var path = $"v3/conversations/{Uri.EscapeDataString(activity.Conversation!.Id!)}/activities/{Uri.EscapeDataString(activity.Id!)}";
        return await SendAsync<ResourceResponse>(HttpMethod.Put, serviceUrl, path, activity, ct) ?? new ResourceResponse();
    }

    public async Task DeleteActivityAsync(string serviceUrl, string conversationId, string activityId, CancellationToken ct = default)
    {
        var path = $"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities/{Uri.EscapeDataString(activityId)}";
        await SendAsync<ResourceResponse>(HttpMethod.Delete, serviceUrl, path, null, ct);
    }

    public async Task<ConversationResourceResponse> CreateConversationAsync(string serviceUrl, ConversationParameters parameters, CancellationToken ct = default) =>
        await SendAsync<ConversationResourceResponse>(HttpMethod.Post, serviceUrl, "v3/conversations", parameters, ct) ?? new ConversationResourceResponse();

    private static async Task<ConnectorException> ToExceptionAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        string? code = null, subCode = null, message = null;
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(text)?["error"] is System.Text.Json.Nodes.JsonObject error)
            {
                code = error["code"]?.ToString();
                message = error["message"]?.ToString();
                if (message is not null && message.TrimStart().StartsWith('{'))
                    subCode = System.Text.Json.Nodes.JsonNode.Parse(message)?["subCode"]?.ToString();
            }
        }
        catch (System.Text.Json.JsonException) { }
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } d } => d,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => (TimeSpan?)null,
        };
        return new ConnectorException(response.StatusCode, code, subCode,
            $"Connector answered {(int)response.StatusCode} {code}: {message}".TrimEnd(' ', ':'), retryAfter);
    }

    internal static Uri BuildUri(string serviceUrl, string relative) =>
        new(new Uri(serviceUrl.EndsWith('/') ? serviceUrl : serviceUrl + "/"), relative);

    private async Task<T?> SendAsync<T>(HttpMethod method, string serviceUrl, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, BuildUri(serviceUrl, path));
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: BotJson.Options);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) throw await ToExceptionAsync(response, ct);
        if (response.Content.Headers.ContentLength is 0) return default;
        var text = await response.Content.ReadAsStringAsync(ct);
        return string.IsNullOrWhiteSpace(text) ? default : System.Text.Json.JsonSerializer.Deserialize<T>(text, BotJson.Options);
    }
}
