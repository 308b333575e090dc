using System.Net;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Connector;

namespace OpsBot.BotFramework.Tests;

/// <summary>Connector error bodies become typed <see cref="ConnectorException"/>s (protocol doc §4.4).</summary>
public sealed class OutboundErrorTests
{
    private const string MessageWritesBlocked =
        """{"error":{"code":"Forbidden","message":"{\"errorCode\":209,\"message\":\"{\\r\\n  \\\"subCode\\\": \\\"MessageWritesBlocked\\\",\\r\\n  \\\"details\\\": \\\"Thread is blocked from message writes.\\\",\\r\\n  \\\"errorCode\\\": null\\r\\n}\"}"}}""";

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, """{"error":{"code":"ConversationBlockedByUser","message":"User blocked the conversation with the bot."}}""", "ConversationBlockedByUser", null)]
    [InlineData(HttpStatusCode.Forbidden, """{"error":{"code":"BotNotInConversationRoster","message":"The bot is not part of the conversation roster."}}""", "BotNotInConversationRoster", null)]
    [InlineData(HttpStatusCode.Forbidden, MessageWritesBlocked, "Forbidden", "MessageWritesBlocked")]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, """{"error":{"code":"MessageSizeTooBig","message":"Message size too large"}}""", "MessageSizeTooBig", null)]
    [InlineData(HttpStatusCode.NotFound, """{"error":{"code":"ConversationNotFound","message":"Conversation not found."}}""", "ConversationNotFound", null)]
    [InlineData(HttpStatusCode.NotFound, """{"error":{"code":"ActivityNotFoundInConversation","message":"x","innerHttpError":{"statusCode":404,"body":"{\"subCode\":\"ActivityGone\"}"}}}""", "ActivityNotFoundInConversation", "ActivityGone")]
    public async Task Error_answers_carry_code_and_sub_code(HttpStatusCode status, string body, string code, string? subCode)
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(status, body);

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.Equal(status, error.Status);
        Assert.Equal(code, error.Code);
        Assert.Equal(subCode, error.SubCode);
        Assert.True(error.RecipientUnreachable || status == HttpStatusCode.RequestEntityTooLarge);
        Assert.False(error.MayHaveBeenDelivered);
        Assert.Contains(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Single(h.Connector.Calls);
    }

    [Fact]
    public void Nested_json_message_yields_the_innermost_details()
    {
        var (code, subCode, message) = ConnectorErrors.Parse(MessageWritesBlocked);

        Assert.Equal("Forbidden", code);
        Assert.Equal("MessageWritesBlocked", subCode);
        Assert.Equal("Thread is blocked from message writes.", message);
    }

    [Theory]
    [InlineData(null, null, null, null)]
    [InlineData("", null, null, null)]
    [InlineData("<html>Bad Gateway</html>", null, null, "<html>Bad Gateway</html>")]
    [InlineData("""{"error":{"code":"BadSyntax","message":"isGroup without channel"}}""", "BadSyntax", null, "isGroup without channel")]
    [InlineData("""{"error":{"code":"Throttled","subCode":"TooManyThreadWrites","message":"{not json"}}""", "Throttled", "TooManyThreadWrites", "{not json")]
    [InlineData("""{"error":{"code":42}}""", null, null, null)]
    public void Parse_is_robust_to_odd_bodies(string? body, string? code, string? subCode, string? message)
    {
        Assert.Equal((code, subCode, message), ConnectorErrors.Parse(body));
    }

    [Fact]
    public async Task A_500_on_a_post_is_flagged_as_possibly_delivered()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(HttpStatusCode.InternalServerError, """{"error":{"code":"ServiceError","message":"boom"}}""");

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.True(error.MayHaveBeenDelivered);
        Assert.False(error.IsTransient);
    }
}
