using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsBot.BotFramework.Schema;

/// <summary>
/// The JSON shape of the invoke values Teams sends for the invokes bots handle (protocol doc §6.1, §6.2, §6.4, §6.5). A member
/// of the wrong JSON type (a number for <c>action.verb</c>, a string for <c>messagePayload.body</c>…) makes the invoke
/// malformed: it is answered 400 with the error body of §6.1 before any handler reads the value. Absent and null members are
/// the handlers' business; members not listed here (form inputs in <c>data</c>) are read leniently by the handlers.
/// </summary>
public static class InvokeValues
{
    private static readonly (string Path, JsonValueKind Kind)[] CardAction =
    [
        ("action", JsonValueKind.Object), ("action.type", JsonValueKind.String), ("action.id", JsonValueKind.String),
        ("action.verb", JsonValueKind.String), ("action.data", JsonValueKind.Object), ("trigger", JsonValueKind.String),
        ("state", JsonValueKind.String), ("authentication", JsonValueKind.Object),
    ];

    private static readonly (string Path, JsonValueKind Kind)[] Dialog =
    [
        ("data", JsonValueKind.Object), ("context", JsonValueKind.Object), ("context.theme", JsonValueKind.String),
    ];

    private static readonly (string Path, JsonValueKind Kind)[] MessagingExtensionAction =
    [
        ("commandId", JsonValueKind.String), ("commandContext", JsonValueKind.String), ("requestId", JsonValueKind.String),
        ("botMessagePreviewAction", JsonValueKind.String), ("botActivityPreview", JsonValueKind.Array), .. Dialog,
        ("messagePayload", JsonValueKind.Object), ("messagePayload.id", JsonValueKind.String), ("messagePayload.replyToId", JsonValueKind.String),
        ("messagePayload.subject", JsonValueKind.String), ("messagePayload.summary", JsonValueKind.String),
        ("messagePayload.linkToMessage", JsonValueKind.String), ("messagePayload.body", JsonValueKind.Object),
        ("messagePayload.body.contentType", JsonValueKind.String), ("messagePayload.body.content", JsonValueKind.String),
        ("messagePayload.from", JsonValueKind.Object), ("messagePayload.from.user", JsonValueKind.Object),
        ("messagePayload.from.user.id", JsonValueKind.String), ("messagePayload.from.user.displayName", JsonValueKind.String),
        ("messagePayload.attachments", JsonValueKind.Array), ("messagePayload.mentions", JsonValueKind.Array),
    ];

    private static readonly Dictionary<string, (string Path, JsonValueKind Kind)[]> Shapes = new(StringComparer.Ordinal)
    {
        ["adaptiveCard/action"] = CardAction,
        ["composeExtension/fetchTask"] = MessagingExtensionAction,
        ["composeExtension/submitAction"] = MessagingExtensionAction,
        ["task/fetch"] = Dialog,
        ["task/submit"] = Dialog,
    };

    /// <summary>Null when the value of invoke <paramref name="name"/> has the protocol's shape; otherwise the 400 answer naming the member.</summary>
    public static InvokeResponse? Check(string? name, JsonNode? value)
    {
        if (name is null || value is null || !Shapes.TryGetValue(name, out var shape)) return null;
        if (value.GetValueKind() != JsonValueKind.Object) return Malformed("value", JsonValueKind.Object, value);
        foreach (var (path, kind) in shape)
        {
            var node = At(value, path, out var reachable);
            if (!reachable || node is null) continue;
            if (node.GetValueKind() != kind) return Malformed("value." + path, kind, node);
        }
        return null;
    }

    /// <summary>The node at <paramref name="path"/>; not reachable when a parent is missing or not an object (reported at the parent).</summary>
    private static JsonNode? At(JsonNode value, string path, out bool reachable)
    {
        JsonNode? node = value;
        foreach (var part in path.Split('.'))
        {
            if (node is not JsonObject o)
            {
                reachable = false;
                return null;
            }
            node = o[part];
        }
        reachable = true;
        return node;
    }

    private static InvokeResponse Malformed(string path, JsonValueKind expected, JsonNode actual) =>
        AdaptiveCardInvoke.BadRequest("BadRequest", $"Malformed invoke: '{path}' must be {Describe(expected)}, not {Describe(actual.GetValueKind())}.");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
