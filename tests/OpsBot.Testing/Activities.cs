using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OpsBot.BotFramework.Schema;

namespace OpsBot.Testing;

/// <summary>Builders for inbound activities as Teams sends them.</summary>
public static class Activities
{
    public const string BotId = "28:00000000-0000-0000-0000-00000000b075";
    public const string TenantId = "11111111-2222-3333-4444-555555555555";

    public static Activity Message(string serviceUrl, string text, string userId = "29:rep-one", string userName = "Rep One",
        string conversationId = "a:personal-rep-one", string? id = null) => new()
    {
        Type = ActivityTypes.Message,
        Id = id ?? Guid.NewGuid().ToString("n"),
        ChannelId = "msteams",
        ServiceUrl = serviceUrl,
        Timestamp = DateTimeOffset.UtcNow,
        From = new ChannelAccount { Id = userId, Name = userName, AadObjectId = AadId(userId) },
        Recipient = new ChannelAccount { Id = BotId, Name = "OpsBot" },
        Conversation = new ConversationAccount { Id = conversationId, ConversationType = "personal", TenantId = TenantId },
        ChannelData = new JsonObject { ["tenant"] = new JsonObject { ["id"] = TenantId } },
        Text = text,
        Locale = "en-US",
    };

    public static Activity Execute(string serviceUrl, string verb, JsonObject data, string userId = "29:rep-one", string? replyToId = null,
        string conversationId = "a:personal-rep-one")
    {
        var a = Message(serviceUrl, "", userId, conversationId: conversationId);
        a.Type = ActivityTypes.Invoke;
        a.Text = null;
        a.Name = "adaptiveCard/action";
        a.ReplyToId = replyToId;
        a.Value = new JsonObject
        {
            ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = verb, ["data"] = data },
            ["trigger"] = "manual",
        };
        return a;
    }

    /// <summary>A stable fake Entra object id derived from the Teams user id.</summary>
    public static string AadId(string userId) =>
        new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(userId))).ToString();

    public static Task<HttpResponseMessage> PostActivityAsync(this HttpClient client, Activity activity) =>
        client.PostAsJsonAsync("/api/messages", activity, BotJson.Options);
}

/// <summary>Inbound activities for protocol tests: each in a conversation of its own unless one is given.</summary>
public static class InboundActivities
{
    /// <summary>A message in a conversation of its own, so tests sharing an app and a connector do not see each other.</summary>
    public static Activity Message(string serviceUrl, string text, string? conversationId = null) =>
        Activities.Message(serviceUrl, text, conversationId: conversationId ?? "a:" + Guid.NewGuid().ToString("n"));

    public static Activity Invoke(string serviceUrl, string verb, JsonObject? data = null, string? conversationId = null) =>
        Activities.Execute(serviceUrl, verb, data ?? new JsonObject(), conversationId: conversationId ?? "a:" + Guid.NewGuid().ToString("n"));

    public static Activity Clone(this Activity activity) =>
        System.Text.Json.JsonSerializer.Deserialize<Activity>(System.Text.Json.JsonSerializer.Serialize(activity, BotJson.Options), BotJson.Options)!;

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);
}
