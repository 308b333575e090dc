using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.BotFramework.Schema;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Conversations;

/// <summary>Invoke values with a member of the wrong JSON type are malformed invokes: 400 with the §6.1 error body, never a 500.</summary>
public sealed class MalformedInvokeTests : IAsyncLifetime
{
    private FakeConnector _connector = null!;
    private OpsBotFactory _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _app = new OpsBotFactory();
        _client = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    private static JsonObject Execute(JsonNode? action, JsonNode? trigger = null) => new() { ["action"] = action, ["trigger"] = trigger ?? "manual" };

    private static JsonObject ValidAction() => new() { ["type"] = "Action.Execute", ["verb"] = "escalation.form", ["data"] = new JsonObject() };

    private static JsonObject With(JsonObject o, string key, JsonNode? value)
    {
        o[key] = value;
        return o;
    }

    private static JsonObject MessageActionValue() => new()
    {
        ["commandId"] = "escalateMessage",
        ["commandContext"] = "message",
        ["context"] = new JsonObject { ["theme"] = "default" },
        ["messagePayload"] = new JsonObject
        {
            ["id"] = "1733000000000",
            ["body"] = new JsonObject { ["contentType"] = "html", ["content"] = "<p>Late again</p>" },
            ["from"] = new JsonObject { ["user"] = new JsonObject { ["id"] = "aad-jane", ["displayName"] = "Jane Doe" } },
        },
    };

    private static JsonObject Payload(Action<JsonObject> change)
    {
        var value = MessageActionValue();
        change((JsonObject)value["messagePayload"]!);
        return value;
    }

    public static TheoryData<string, string, string> Cases()
    {
        var cases = new TheoryData<string, string, string>
        {
            { "adaptiveCard/action", Execute(With(ValidAction(), "verb", 42)).ToJsonString(), "value.action.verb" },
            { "adaptiveCard/action", Execute(With(ValidAction(), "type", new JsonObject { ["x"] = 1 })).ToJsonString(), "value.action.type" },
            { "adaptiveCard/action", Execute(With(ValidAction(), "data", "alertId=4")).ToJsonString(), "value.action.data" },
            { "adaptiveCard/action", Execute(With(ValidAction(), "id", new JsonArray(1))).ToJsonString(), "value.action.id" },
            { "adaptiveCard/action", Execute("Action.Execute").ToJsonString(), "value.action" },
            { "adaptiveCard/action", Execute(ValidAction(), 1).ToJsonString(), "value.trigger" },
            { "adaptiveCard/action", "\"alert.ack\"", "value" },
            { "composeExtension/fetchTask", With(MessageActionValue(), "commandId", 7).ToJsonString(), "value.commandId" },
            { "composeExtension/fetchTask", Payload(p => p["body"] = "Late again").ToJsonString(), "value.messagePayload.body" },
            { "composeExtension/fetchTask", Payload(p => p["body"]!["content"] = new JsonArray("a")).ToJsonString(), "value.messagePayload.body.content" },
            { "composeExtension/fetchTask", Payload(p => p["from"]!["user"]!["displayName"] = 5).ToJsonString(), "value.messagePayload.from.user.displayName" },
            { "composeExtension/fetchTask", Payload(p => p["from"] = "Jane").ToJsonString(), "value.messagePayload.from" },
            { "composeExtension/fetchTask", With(MessageActionValue(), "messagePayload", "hello").ToJsonString(), "value.messagePayload" },
            { "composeExtension/fetchTask", With(MessageActionValue(), "context", new JsonObject { ["theme"] = false }).ToJsonString(), "value.context.theme" },
            { "composeExtension/submitAction", With(MessageActionValue(), "data", "account=Initech").ToJsonString(), "value.data" },
            { "composeExtension/submitAction", With(MessageActionValue(), "botMessagePreviewAction", true).ToJsonString(), "value.botMessagePreviewAction" },
            { "composeExtension/submitAction", Payload(p => p["id"] = 1733000000000).ToJsonString(), "value.messagePayload.id" },
            { "task/fetch", new JsonObject { ["data"] = "open" }.ToJsonString(), "value.data" },
            { "task/submit", new JsonObject { ["data"] = new JsonObject(), ["context"] = 3 }.ToJsonString(), "value.context" },
        };
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_member_of_the_wrong_JSON_type_is_a_400_with_the_error_body(string name, string valueJson, string member)
    {
        var activity = Activities.Message(_connector.ServiceUrl, "", conversationId: "a:" + Guid.NewGuid().ToString("n"));
        activity.Type = ActivityTypes.Invoke;
        activity.Text = null;
        activity.Name = name;
        activity.Value = JsonNode.Parse(valueJson);

        var response = await _client.PostActivityAsync(activity);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name} {valueJson}: {(int)response.StatusCode} {text}");
        var body = JsonNode.Parse(text)!;
        Assert.Equal(400, body["statusCode"]!.GetValue<int>());
        Assert.Equal(AdaptiveCardInvoke.ErrorType, body["type"]!.GetValue<string>());
        Assert.Equal("BadRequest", body["value"]!["code"]!.GetValue<string>());
        Assert.Contains($"'{member}'", body["value"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Escalations.CountAsync()));
    }

    [Fact]
    public async Task A_well_formed_message_action_still_opens_the_dialog()
    {
        var activity = Activities.Message(_connector.ServiceUrl, "", conversationId: "19:chat@thread.v2");
        activity.Type = ActivityTypes.Invoke;
        activity.Text = null;
        activity.Name = "composeExtension/fetchTask";
        activity.Value = MessageActionValue();

        var response = await _client.PostActivityAsync(activity);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("continue", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["task"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_submit_whose_verb_is_not_a_string_gets_the_help_answer_not_an_error_card()
    {
        var activity = Activities.Message(_connector.ServiceUrl, "", conversationId: "a:" + Guid.NewGuid().ToString("n"));
        activity.Value = new JsonObject { ["verb"] = 12, ["alertId"] = "4" };

        var response = await _client.PostActivityAsync(activity);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = Assert.Single(_connector.Posts, p => p.Body?["conversation"]?["id"]?.GetValue<string>() == activity.Conversation!.Id);
        Assert.DoesNotContain("Something went wrong", reply.Body!.ToJsonString(), StringComparison.Ordinal);
    }
}
