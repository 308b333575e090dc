using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework.Tests;

public sealed class InboundHttpFixture : IAsyncLifetime
{
    public FakeConnector Connector { get; private set; } = null!;
    public BotHost App { get; } = new();
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Connector = await FakeConnector.StartAsync();
        Client = App.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Connector.DisposeAsync();
    }
}

/// <summary>Protocol doc §5.1 answers of <c>/api/messages</c> (vectors R1–R9, I1–I4), authentication off.</summary>
public sealed class InboundHttpTests(InboundHttpFixture f) : IClassFixture<InboundHttpFixture>
{
    private string ServiceUrl => f.Connector.ServiceUrl;

    private IEnumerable<RecordedCall> CallsFor(Activity a) =>
        f.Connector.Calls.Where(c => c.Path.Contains(Uri.EscapeDataString(a.Conversation!.Id!), StringComparison.Ordinal));

    private Task<HttpResponseMessage> PostRawAsync(string body, string contentType = "application/json") =>
        f.Client.PostAsync("/api/messages", new StringContent(body, Encoding.UTF8, contentType));

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task R1_methods_other_than_post_get_405(string method)
    {
        var response = await f.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/api/messages"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("{\"type\": 5}")]
    [InlineData("{\"text\":\"no type\"}")] // R3
    [InlineData("{\"type\":\"\"}")]
    public async Task R2_R3_malformed_bodies_get_400_problem_details(string body)
    {
        var response = await PostRawAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, problem["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Bodies_over_256_KB_get_413_by_content_length()
    {
        var activity = InboundActivities.Message(ServiceUrl, "echo " + new string('x', 300 * 1024));
        var response = await f.Client.PostActivityAsync(activity);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(CallsFor(activity));
    }

    [Fact]
    public async Task Bodies_over_256_KB_get_413_when_streamed_without_content_length()
    {
        var activity = InboundActivities.Message(ServiceUrl, "echo " + new string('x', 300 * 1024));
        var bytes = JsonSerializer.SerializeToUtf8Bytes(activity, BotJson.Options);
        var content = new StreamContent(new UnknownLengthStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await f.Client.PostAsync("/api/messages", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(CallsFor(activity));
    }

    [Fact]
    public async Task A_body_just_under_256_KB_is_accepted()
    {
        var activity = InboundActivities.Message(ServiceUrl, "probe ");
        var size = JsonSerializer.SerializeToUtf8Bytes(activity, BotJson.Options).Length;
        activity.Text += new string('y', BotEndpoint.MaxBodyBytes - size - 16);
        Assert.Equal(HttpStatusCode.OK, (await f.Client.PostActivityAsync(activity)).StatusCode);
        Assert.True(f.App.Probe.Saw(activity.Id));
    }

    [Fact]
    public async Task R4_unknown_types_and_fields_are_accepted_with_200_and_kept_on_round_trip()
    {
        const string body = """
            {"type":"fooBar","id":"r4","channelId":"msteams","serviceUrl":"https://smba.example.test/",
             "conversation":{"id":"a:r4","futureField":{"deep":[1,2]}},"fromTheFuture":{"x":true}}
            """;
        var response = await PostRawAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());

        var roundTrip = JsonNode.Parse(JsonSerializer.Serialize(JsonSerializer.Deserialize<Activity>(body, BotJson.Options), BotJson.Options))!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"x":true}"""), roundTrip["fromTheFuture"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"deep":[1,2]}"""), roundTrip["conversation"]!["futureField"]));
    }

    [Theory]
    [InlineData("conversationUpdate")]
    [InlineData("messageReaction")]
    [InlineData("typing")]
    [InlineData("event")]
    public async Task Other_known_activity_types_get_200_empty(string type)
    {
        var activity = InboundActivities.Message(ServiceUrl, "");
        activity.Type = type;
        var response = await f.Client.PostActivityAsync(activity);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("composeExtension/query")]
    [InlineData("signin/verifyState")]
    [InlineData(null)]
    public async Task R6_unhandled_invokes_get_501_with_an_empty_body(string? name)
    {
        var activity = InboundActivities.Invoke(ServiceUrl, "test.count");
        activity.Name = name;
        var response = await f.Client.PostActivityAsync(activity);
        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task R7_expectReplies_invoke_returns_the_replies_and_the_invoke_body_without_connector_calls()
    {
        var activity = InboundActivities.Invoke(ServiceUrl, "test.twice");
        activity.DeliveryMode = DeliveryModes.ExpectReplies;
        var response = await f.Client.PostActivityAsync(activity);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var replies = body["activities"]!.AsArray();
        Assert.Equal(["first", "second"], replies.Select(r => r!["text"]!.GetValue<string>()));
        Assert.All(replies, r => Assert.Equal("message", r!["type"]!.GetValue<string>()));
        Assert.Equal("sent two", body["body"]!["value"]!.GetValue<string>());
        Assert.Empty(CallsFor(activity));
    }

    [Fact]
    public async Task R8_expectReplies_message_returns_the_replies_without_connector_calls()
    {
        var activity = InboundActivities.Message(ServiceUrl, "echo hello");
        activity.DeliveryMode = DeliveryModes.ExpectReplies;
        var response = await f.Client.PostActivityAsync(activity);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var reply = Assert.Single(body["activities"]!.AsArray());
        Assert.StartsWith("echo hello", reply!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(body["body"]);
        Assert.Empty(CallsFor(activity));
    }

    [Fact]
    public async Task I1_adaptive_card_action_answers_200_with_a_card()
    {
        var response = await f.Client.PostActivityAsync(InboundActivities.Invoke(ServiceUrl, "test.ack", new JsonObject { ["alertId"] = "A-42" }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(200, body["statusCode"]!.GetValue<int>());
        Assert.Equal("application/vnd.microsoft.card.adaptive", body["type"]!.GetValue<string>());
        Assert.Equal("AdaptiveCard", body["value"]!["type"]!.GetValue<string>());
        Assert.Contains("A-42", body["value"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task I2_a_card_action_value_of_the_wrong_json_type_gets_http_400_with_an_error_body_before_the_bot_runs()
    {
        var activity = InboundActivities.Invoke(ServiceUrl, "test.ack");
        activity.Value = JsonNode.Parse("\"just a string\"");
        var response = await f.Client.PostActivityAsync(activity);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, body["statusCode"]!.GetValue<int>());
        Assert.Equal("application/vnd.microsoft.error", body["type"]!.GetValue<string>());
        Assert.Equal("BadRequest", body["value"]!["code"]!.GetValue<string>());
        Assert.False(f.App.Probe.Saw(activity.Id));
    }

    [Fact]
    public async Task I4_an_unknown_verb_answers_http_200_carrying_a_400_error()
    {
        var response = await f.Client.PostActivityAsync(InboundActivities.Invoke(ServiceUrl, "no.such.verb"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, body["statusCode"]!.GetValue<int>());
        Assert.Equal("application/vnd.microsoft.error", body["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task R9_a_slow_message_is_answered_before_its_work_ends_with_a_typing_indicator_and_finishes_in_the_background()
    {
        var app = new BotHost();
        app.Settings["Bot:MessageInlineWait"] = "00:00:01";
        await using var _ = app;
        var client = app.CreateClient();
        var activity = InboundActivities.Message(ServiceUrl, "slow");

        var response = await client.PostActivityAsync(activity).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(app.Probe.SlowFinished);
        Assert.Equal(1, app.Services.GetRequiredService<BackgroundTurns>().InFlight);

        await WaitUntilAsync(() => CallsFor(activity).Any());
        var typing = Assert.Single(CallsFor(activity));
        Assert.Equal("typing", typing.Body!["type"]!.GetValue<string>());

        app.Probe.Gate.SetResult();
        await WaitUntilAsync(() => app.Probe.SlowFinished);
        Assert.Contains(CallsFor(activity), c => c.Body!["text"]?.GetValue<string>() == "slow done");
    }

    [Fact]
    public async Task Graceful_shutdown_waits_for_turns_still_running()
    {
        var app = new BotHost();
        app.Settings["Bot:MessageInlineWait"] = "00:00:01";
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostActivityAsync(InboundActivities.Message(ServiceUrl, "slow"))).StatusCode);
        await app.Probe.SlowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var stopping = app.DisposeAsync().AsTask();
        await Task.Delay(300);
        Assert.False(stopping.IsCompleted, "shutdown must wait for the running turn");
        app.Probe.Gate.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(app.Probe.SlowFinished);
    }

    [Fact]
    public async Task Handler_exceptions_give_500_for_invokes_and_200_for_messages_and_a_failed_invoke_can_be_redelivered()
    {
        var app = new BotHost();
        var bot = new ThrowingBot();
        app.ServiceOverrides.Add(s => s.AddSingleton<IBot>(bot));
        await using var _ = app;
        var client = app.CreateClient();

        var message = await client.PostActivityAsync(InboundActivities.Message(ServiceUrl, "anything"));
        Assert.Equal(HttpStatusCode.OK, message.StatusCode);

        var invoke = InboundActivities.Invoke(ServiceUrl, "test.count");
        var failed = await client.PostActivityAsync(invoke);
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("", await failed.Content.ReadAsStringAsync());

        var again = await client.PostActivityAsync(invoke.Clone());
        Assert.Equal(HttpStatusCode.InternalServerError, again.StatusCode);
        Assert.Equal(3, bot.Calls);
    }

    private sealed class ThrowingBot : IBot
    {
        private int _calls;
        public int Calls => _calls;

        public Task OnTurnAsync(TurnContext turn, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("handler bug");
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition()) await Task.Delay(20, timeout.Token);
    }

    /// <summary>A request body whose length is unknown up front (chunked), so only counting while reading can stop it.</summary>
    private sealed class UnknownLengthStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 4096));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
