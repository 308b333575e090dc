using System.Net;
using System.Text.Json.Nodes;

namespace OpsBot.Tests.Api;

/// <summary>RFC 9457: every error of the HTTP API is <c>application/problem+json</c> with a title, the status and a detail.</summary>
internal static class Problems
{
    public static async Task<JsonObject> AssertAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{(int)status} came as '{response.Content.Headers.ContentType}' with body '{text}'");
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal((int)status, body["status"]?.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(body["title"]?.GetValue<string>()), $"no title: {text}");
        Assert.False(string.IsNullOrWhiteSpace(body["detail"]?.GetValue<string>()), $"no detail: {text}");
        return body;
    }
}
