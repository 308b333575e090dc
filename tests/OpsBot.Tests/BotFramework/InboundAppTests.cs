using System.Net;
using System.Text.Json.Nodes;

namespace OpsBot.Tests.BotFramework;

/// <summary>
/// Answers the app's router gives through the protocol layer (protocol doc §6.1, §6.2): card actions without a value or an
/// action, or of another type than Action.Execute, and unknown verbs. (What the protocol layer answers by itself is tested in
/// OpsBot.BotFramework.Tests.)
/// </summary>
public sealed class InboundAppTests : IAsyncLifetime
{
    private FakeConnector _connector = null!;
    private readonly InboundFactory _app = new();

    private string ServiceUrl => _connector.ServiceUrl;

    public async Task InitializeAsync() => _connector = await FakeConnector.StartAsync();

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    [Theory]
    [InlineData(null, "BadRequest")] // I2 no value
    [InlineData("{\"trigger\":\"manual\"}", "BadRequest")] // no action
    [InlineData("{\"action\":{\"type\":\"Action.Submit\",\"data\":{}}}", "NotSupported")] // I3
    public async Task I2_I3_malformed_card_actions_get_http_400_with_an_error_body(string? value, string code)
    {
        var activity = InboundActivities.Invoke(ServiceUrl, "test.count");
        activity.Value = value is null ? null : JsonNode.Parse(value);
        var response = await _app.CreateClient().PostActivityAsync(activity);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, body["statusCode"]!.GetValue<int>());
        Assert.Equal("application/vnd.microsoft.error", body["type"]!.GetValue<string>());
        Assert.Equal(code, body["value"]!["code"]!.GetValue<string>());
        Assert.False(_app.Probe.Saw(activity.Id));
    }

    [Fact]
    public async Task I4_an_unknown_verb_answers_http_200_carrying_a_400_error()
    {
        var response = await _app.CreateClient().PostActivityAsync(InboundActivities.Invoke(ServiceUrl, "no.such.verb"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, body["statusCode"]!.GetValue<int>());
        Assert.Equal("application/vnd.microsoft.error", body["type"]!.GetValue<string>());
    }
}
