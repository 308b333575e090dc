using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsBot.BotFramework.Connector;

/// <summary>
/// Reads connector error bodies (protocol doc §4.4): <c>{"error":{"code","message","innerHttpError"}}</c>, where Teams may
/// nest JSON in strings, e.g. <c>{"errorCode":209,"message":"{\"subCode\":\"MessageWritesBlocked\",…}"}</c>.
/// </summary>
public static class ConnectorErrors
{
    private const int MaxDepth = 6;
    private const int MaxMessageLength = 500;

    public static (string? Code, string? SubCode, string? Message) Parse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return (null, null, null);
        var root = TryParseObject(body);
        if (root is null) return (null, null, Truncate(body.Trim()));
        var error = root["error"] as JsonObject ?? root;
        var code = String(error, "code");
        var message = String(error, "message");
        var subCode = String(error, "subCode") ?? FindSubCode(error, 0);
        return (code, subCode, Truncate(InnermostMessage(message) ?? message));
    }

    internal static ConnectorException ToException(HttpMethod method, string path, HttpStatusCode status, string? body, TimeSpan? retryAfter,
        bool earlierAttemptPossiblyDelivered = false)
    {
        var (code, subCode, message) = Parse(body);
        var label = code is null ? string.Empty : subCode is null ? $" {code}" : $" {code}/{subCode}";
        return new ConnectorException(status, code, subCode,
            $"Connector {method} {path} answered {(int)status}{label}{(message is null ? string.Empty : ": " + message)}", retryAfter)
        {
            MayHaveBeenDelivered = method == HttpMethod.Post && ((int)status >= 500 || earlierAttemptPossiblyDelivered),
        };
    }

    private static string? FindSubCode(JsonNode? node, int depth)
    {
        if (node is null || depth > MaxDepth) return null;
        switch (node)
        {
            case JsonObject o:
                if (String(o, "subCode") is { } found) return found;
                foreach (var (_, child) in o)
                    if (FindSubCode(child, depth + 1) is { } nested) return nested;
                return null;
            case JsonArray a:
                foreach (var child in a)
                    if (FindSubCode(child, depth + 1) is { } nested) return nested;
                return null;
            case JsonValue v when v.TryGetValue<string>(out var text) && TryParseObject(text) is { } inner:
                return FindSubCode(inner, depth + 1);
            default:
                return null;
        }
    }

    /// <summary>A message that is itself JSON yields its innermost <c>details</c> or <c>message</c> text.</summary>
    private static string? InnermostMessage(string? message, int depth = 0)
    {
        if (message is null || depth > MaxDepth || TryParseObject(message) is not { } inner) return null;
        var next = String(inner, "details") ?? String(inner, "message");
        return InnermostMessage(next, depth + 1) ?? next;
    }

    private static string? String(JsonObject o, string name)
    {
        foreach (var (key, value) in o)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) && value is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s))
                return s;
        return null;
    }

    private static JsonObject? TryParseObject(string text)
    {
        var trimmed = text.AsSpan().Trim();
        if (trimmed.Length < 2 || trimmed[0] != '{') return null;
        try { return JsonNode.Parse(text) as JsonObject; }
        catch (JsonException) { return null; }
    }

    private static string? Truncate(string? text) => text is null || text.Length <= MaxMessageLength ? text : text[..MaxMessageLength] + "…";
}
