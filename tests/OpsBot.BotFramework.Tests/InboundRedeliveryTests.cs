using System.Net;
using System.Text.Json.Nodes;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework.Tests;

/// <summary>
/// Protocol doc §5.4 / vector R5 within one process, on the protocol layer's own <see cref="MemoryInboundActivityLog"/>: a
/// redelivered activity has one effect and gets the first answer. The app's durable log (across restarts, on SQLite and
/// PostgreSQL) is tested in OpsBot.Tests.
/// </summary>
public sealed class InboundRedeliveryTests : IAsyncLifetime
{
    private FakeConnector _connector = null!;
    private readonly List<BotHost> _apps = [];

    public async Task InitializeAsync() => _connector = await FakeConnector.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    private BotHost StartApp()
    {
        var app = new BotHost();
        _apps.Add(app);
        return app;
    }

    private string ServiceUrl => _connector.ServiceUrl;

    private int RepliesIn(Activity a) =>
        _connector.Posts.Count(c => c.Path.Contains(Uri.EscapeDataString(a.Conversation!.Id!), StringComparison.Ordinal) && c.Body?["type"]?.GetValue<string>() == "message");

    private static async Task<string> BodyAsync(HttpResponseMessage r) => await r.Content.ReadAsStringAsync();

    [Fact]
    public async Task A_message_redelivered_after_completion_has_no_second_effect()
    {
        var app = StartApp();
        var client = app.CreateClient();
        var message = InboundActivities.Message(ServiceUrl, "echo once");

        Assert.Equal(HttpStatusCode.OK, (await client.PostActivityAsync(message)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostActivityAsync(message.Clone())).StatusCode);

        Assert.Equal(1, app.Probe.Calls);
        Assert.Equal(1, RepliesIn(message));
    }

    [Fact]
    public async Task R5_a_message_redelivered_while_the_first_still_runs_is_answered_200_without_a_second_turn()
    {
        var app = StartApp();
        app.Settings["Bot:MessageInlineWait"] = "00:00:01";
        var client = app.CreateClient();
        var message = InboundActivities.Message(ServiceUrl, "slow");

        Assert.Equal(HttpStatusCode.OK, (await client.PostActivityAsync(message)).StatusCode);
        await app.Probe.SlowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var second = await client.PostActivityAsync(message.Clone()).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        app.Probe.Gate.SetResult();
        await WaitUntilAsync(() => app.Probe.SlowFinished);
        Assert.Equal(1, app.Probe.Calls);
    }

    [Fact]
    public async Task An_invoke_redelivered_while_the_first_still_runs_waits_for_and_gets_the_first_answer()
    {
        var app = StartApp();
        var client = app.CreateClient();
        var invoke = InboundActivities.Invoke(ServiceUrl, "test.slow");

        var first = client.PostActivityAsync(invoke);
        await app.Probe.SlowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var second = client.PostActivityAsync(invoke.Clone());
        await Task.Delay(200);
        Assert.False(second.IsCompleted, "the duplicate must wait for the first answer");

        app.Probe.Gate.SetResult();
        var answers = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(await BodyAsync(answers[0]), await BodyAsync(answers[1]));
        Assert.Contains("slow call 1", await BodyAsync(answers[1]), StringComparison.Ordinal);
        Assert.Equal(1, app.Probe.Calls);
    }

    [Fact]
    public async Task An_invoke_redelivered_after_completion_gets_the_stored_answer_replayed()
    {
        var app = StartApp();
        var client = app.CreateClient();
        var invoke = InboundActivities.Invoke(ServiceUrl, "test.count");

        var first = await client.PostActivityAsync(invoke);
        var second = await client.PostActivityAsync(invoke.Clone());

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("application/json", second.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await BodyAsync(first)), JsonNode.Parse(await BodyAsync(second))));
        Assert.Equal("call 1", JsonNode.Parse(await BodyAsync(second))!["value"]!.GetValue<string>());
        Assert.Equal(1, app.Probe.Calls);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition()) await Task.Delay(20, timeout.Token);
    }
}
