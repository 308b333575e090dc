using System.Text.Json.Nodes;

namespace OpsBot.BotFramework.Schema;

/// <summary>Bodies of <c>adaptiveCard/action</c> answers (protocol doc §6.2). Always sent with HTTP 200 unless the invoke itself was malformed.</summary>
public static class AdaptiveCardInvoke
{
    public const string CardType = "application/vnd.microsoft.card.adaptive";
    public const string MessageType = "application/vnd.microsoft.activity.message";
    public const string ErrorType = "application/vnd.microsoft.error";

    public static InvokeResponse Card(JsonObject card) =>
        new(200, new JsonObject { ["statusCode"] = 200, ["type"] = CardType, ["value"] = card });

    public static InvokeResponse Message(string text) =>
        new(200, new JsonObject { ["statusCode"] = 200, ["type"] = MessageType, ["value"] = text });

    /// <summary>A business error: HTTP 200 carrying the logical status.</summary>
    public static InvokeResponse Error(int statusCode, string code, string message) =>
        new(200, ErrorBody(statusCode, code, message));

    /// <summary>A malformed invoke: the HTTP status itself is 400.</summary>
    public static InvokeResponse BadRequest(string code, string message) =>
        new(400, ErrorBody(400, code, message));

    private static JsonObject ErrorBody(int statusCode, string code, string message) => new()
    {
        ["statusCode"] = statusCode,
        ["type"] = ErrorType,
        ["value"] = new JsonObject { ["code"] = code, ["message"] = message },
    };
}
