using System.Net;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Conversations;

public sealed class HelpTests : IAsyncLifetime
{
    private FakeConnector _connector = null!;
    private OpsBotFactory _app = null!;

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _app = new OpsBotFactory();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    [Theory]
    [InlineData("help")]
    [InlineData("HELP")]
    [InlineData("/help")]
    [InlineData("no such command")]
    public async Task Help_and_unknown_commands_answer_with_the_help_card(string text)
    {
        var client = _app.CreateClient();
        var response = await client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, text));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var post = Assert.Single(_connector.Posts);
        Assert.Equal("/_connector/v3/conversations/a%3Apersonal-rep-one/activities", post.Path);
        var card = post.Body!["attachments"]![0]!["content"]!;
        Assert.Equal("AdaptiveCard", card["type"]!.GetValue<string>());
        Assert.Contains("help", card.ToJsonString(), StringComparison.Ordinal);
    }
}
