using System.Net;
using System.Text.Json.Nodes;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.BotFramework;

/// <summary>What the app's router answers through the protocol layer (protocol doc §6.2).</summary>
public sealed class InboundAppTests : IAsyncLifetime
{
    private FakeConnector _connector = null!;
    private readonly OpsBotFactory _app = new();

    public async Task InitializeAsync() => _connector = await FakeConnector.StartAsync();

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    [Fact]
    public async Task I4_an_unknown_verb_answers_http_200_carrying_a_400_error()
    {
        var response = await _app.CreateClient().PostActivityAsync(InboundActivities.Invoke(_connector.ServiceUrl, "no.such.verb"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, body["statusCode"]!.GetValue<int>());
        Assert.Equal("application/vnd.microsoft.error", body["type"]!.GetValue<string>());
    }
}
