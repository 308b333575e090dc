namespace OpsBot.Tests.Playground;

/// <summary>The real Agents Playground (headless) chatting with a running OpsBot.</summary>
public sealed class PlaygroundTests(PlaygroundFixture playground) : IClassFixture<PlaygroundFixture>
{
    [Fact]
    public async Task Playground_sends_help_and_receives_the_help_card()
    {
        var sent = await playground.SendTextAsync("help");

        var reply = await playground.WaitForBotActivityAsync(m => PlaygroundFixture.CardOf(m)?.ToJsonString().Contains("Show what OpsBot can do", StringComparison.Ordinal) == true);

        var card = PlaygroundFixture.CardOf(reply)!;
        Assert.Equal("AdaptiveCard", card["type"]!.GetValue<string>());
        Assert.Equal("1.5", card["version"]!.GetValue<string>());
        var list = card["body"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == "Container")!["items"]!.AsArray();
        var usages = list.Select(c => c!["items"]![0]!["text"]!.GetValue<string>()).ToList();
        Assert.Contains("help", usages);
        Assert.Contains("escalate [account]", usages);
        Assert.DoesNotContain("ping", usages);
        Assert.NotEqual(sent, reply["messageId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Playground_ping_gets_pong_as_text()
    {
        await playground.SendTextAsync("ping");

        var reply = await playground.WaitForBotActivityAsync(m => m["text"]?.GetValue<string>() == "pong");

        Assert.Empty(reply["attachments"]?.AsArray() ?? []);
    }

    [Fact]
    public async Task The_playground_conversation_reference_is_stored_with_its_connector_as_serviceUrl()
    {
        await playground.SendTextAsync("ping");
        await playground.WaitForBotActivityAsync(m => m["text"]?.GetValue<string>() == "pong");

        var reference = await playground.App.WithDbAsync(db => Task.FromResult(db.ConversationReferences.Single(r => r.ConversationId == playground.PersonalConversationId)));

        Assert.Equal($"{playground.PlaygroundUrl.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)}/_connector", reference.ServiceUrl);
        Assert.Equal("personal", reference.ConversationType);
        Assert.Equal(playground.UserId, reference.UserId);
        Assert.True(reference.IsActive);
    }
}
