using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Messaging;

/// <summary>The hostile fake connector itself, seen through a plain HttpClient: each fault does what it says and the record matches.</summary>
public sealed class HostileConnectorTests : IAsyncLifetime
{
    private FakeConnector _connector = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_connector.ServiceUrl), Timeout = TimeSpan.FromSeconds(20) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _connector.DisposeAsync();
    }

    private static StringContent Activity(string text, int? version = null)
    {
        var body = new JsonObject { ["type"] = "message", ["text"] = text };
        if (version is { } v)
            body["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["content"] = new JsonObject
                {
                    ["type"] = "AdaptiveCard", ["version"] = "1.5",
                    ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.Execute", ["verb"] = "alert.ack", ["data"] = new JsonObject { ["alertId"] = "7", ["version"] = v.ToString(System.Globalization.CultureInfo.InvariantCulture) } }),
                },
            });
        return new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
    }

    private Task<HttpResponseMessage> PostAsync(string conversation, string text, int? version = null) =>
        _http.PostAsync($"v3/conversations/{Uri.EscapeDataString(conversation)}/activities", Activity(text, version));

    private Task<HttpResponseMessage> PutAsync(string conversation, string activityId, string text, int version) =>
        _http.PutAsync($"v3/conversations/{Uri.EscapeDataString(conversation)}/activities/{activityId}", Activity(text, version));

    private static async Task<string> IdOf(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

    [Fact]
    public async Task A_friendly_connector_records_each_write_with_its_conversation_text_and_card_version()
    {
        var posted = await PostAsync("a:chat-1", "card", version: 1);
        var id = await IdOf(posted);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("a:chat-1", id, "card", 3)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync("a:chat-1", id, "card", 2)).StatusCode);
        var thread = await _http.PostAsync("v3/conversations", new StringContent(
            """{"isGroup":true,"channelData":{"channel":{"id":"19:ops@thread.tacv2"}},"activity":{"type":"message","text":"thread root"}}""", Encoding.UTF8, "application/json"));
        var threadId = JsonNode.Parse(await thread.Content.ReadAsStringAsync())!["activityId"]!.GetValue<string>();

        var writes = _connector.Processed.ToList();
        Assert.Equal(["POST", "PUT", "PUT", "POST"], writes.Select(w => w.Method));
        Assert.Equal(["a:chat-1", "a:chat-1", "a:chat-1", "19:ops@thread.tacv2"], writes.Select(w => w.Conversation));
        Assert.Equal([1, 3, 2, null], writes.Select(w => w.CardVersion));
        Assert.All(writes, w => Assert.Equal(Fault.None, w.Fault));
        Assert.Equal("thread root", writes[3].Text);
        var latest = _connector.LatestPerActivity();
        Assert.Equal([id, threadId], latest.Keys.Order(StringComparer.Ordinal));
        // The last update processed wins, even when it carries an older version: that is what a stale update does to a card.
        Assert.Equal(2, latest[id].CardVersion);
        Assert.Equal(new Dictionary<string, int> { ["card"] = 1, ["thread root"] = 1 }, _connector.PostsPer(w => w.Text));
    }

    [Fact]
    public async Task Throttling_answers_429_with_the_configured_Retry_After_and_processes_nothing()
    {
        _connector.Faults = new FaultProfile { Throttle429Rate = 1, RetryAfterSeconds = 3 };
        var response = await PostAsync("a:chat-1", "m1");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter!.Delta);
        Assert.Empty(_connector.Processed);
        Assert.Single(_connector.Writes);
        Assert.Equal(1, _connector.Answered(Fault.Throttle429));
    }

    [Fact]
    public async Task A_storm_answers_every_write_429_until_its_end_and_then_lets_them_through()
    {
        _connector.Faults = new FaultProfile { StormUntil = DateTimeOffset.UtcNow.AddSeconds(1.5), RetryAfterSeconds = 1 };
        var during = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) during.Add((await PostAsync("a:chat-1", $"storm-{i}")).StatusCode);
        Assert.All(during, s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        await Task.Delay(1600);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("a:chat-1", "after")).StatusCode);
        Assert.Equal(["after"], _connector.Processed.Select(w => w.Text));
        Assert.Equal(5, _connector.Answered(Fault.Storm));
    }

    [Fact]
    public async Task Bad_gateway_and_unavailable_are_not_processed_and_gateway_timeout_is()
    {
        _connector.Faults = new FaultProfile { BadGateway502Rate = 1 };
        Assert.Equal(HttpStatusCode.BadGateway, (await PostAsync("a:chat-1", "502")).StatusCode);
        _connector.Faults = new FaultProfile { Unavailable503Rate = 1, Unavailable503RetryAfterSeconds = 4 };
        var unavailable = await PostAsync("a:chat-1", "503");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(4), unavailable.Headers.RetryAfter!.Delta);
        _connector.Faults = new FaultProfile { GatewayTimeout504Rate = 1 };
        Assert.Equal(HttpStatusCode.GatewayTimeout, (await PostAsync("a:chat-1", "504")).StatusCode);

        var processed = Assert.Single(_connector.Processed);
        Assert.Equal("504", processed.Text);
        Assert.Equal(Fault.GatewayTimeout504, processed.Fault);
    }

    [Fact]
    public async Task A_reset_gives_the_client_an_exception_and_is_processed_only_when_after_processing()
    {
        _connector.Faults = new FaultProfile { ResetBeforeProcessingRate = 1 };
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync("a:chat-1", "before"));
        _connector.Faults = new FaultProfile { ResetAfterProcessingRate = 1 };
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync("a:chat-1", "after"));

        Assert.Equal(["after"], _connector.Processed.Select(w => w.Text));
        Assert.Equal(["before", "after"], _connector.Writes.Select(FakeConnector.TextOf));
        Assert.Equal(1, _connector.Answered(Fault.ResetBeforeProcessing));
        Assert.Equal(1, _connector.Answered(Fault.ResetAfterProcessing));
    }

    [Fact]
    public async Task A_slow_answer_comes_late_but_the_write_is_processed_on_arrival()
    {
        _connector.Faults = new FaultProfile { SlowRate = 1, SlowDelay = TimeSpan.FromSeconds(1.5) };
        var sw = Stopwatch.StartNew();
        var response = await PostAsync("a:chat-1", "slow");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(1.4), $"answered after {sw.Elapsed.TotalMilliseconds} ms");

        // A client that gives up first still delivered its message.
        using var impatient = new HttpClient { BaseAddress = _http.BaseAddress, Timeout = TimeSpan.FromSeconds(0.3) };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient.PostAsync("v3/conversations/a%3Achat-1/activities", Activity("gave up")));
        Assert.Equal(["slow", "gave up"], _connector.Processed.Select(w => w.Text));
        Assert.All(_connector.Processed, w => Assert.Equal(Fault.Slow, w.Fault));
    }

    [Fact]
    public async Task A_hang_holds_the_answer_until_released_and_the_write_counts_as_delivered()
    {
        _connector.Hold();
        var pending = PostAsync("a:chat-1", "held");
        await OpsBotCluster.WaitUntilAsync(() => _connector.HeldCount == 1, TimeSpan.FromSeconds(10));
        Assert.False(pending.IsCompleted);
        Assert.Equal(["held"], _connector.Processed.Select(w => w.Text));

        _connector.Release();
        Assert.Equal(HttpStatusCode.OK, (await pending).StatusCode);
    }

    [Fact]
    public async Task Mixed_faults_follow_their_rates_and_the_seed_and_the_processed_record_matches_what_the_client_saw()
    {
        var profile = new FaultProfile
        {
            Throttle429Rate = 0.3, BadGateway502Rate = 0.05, Unavailable503Rate = 0.05, ResetBeforeProcessingRate = 0.05,
            GatewayTimeout504Rate = 0.04, ResetAfterProcessingRate = 0.04, SlowRate = 0.02, SlowDelay = TimeSpan.FromMilliseconds(50),
        };
        async Task<List<string>> RunAsync()
        {
            _connector.Reseed(42);
            _connector.Faults = profile;
            var seen = new List<string>();
            for (var i = 0; i < 400; i++)
            {
                try { seen.Add(((int)(await PostAsync($"a:mixed-{i % 20}", $"m{i}")).StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)); }
                catch (HttpRequestException) { seen.Add("reset"); }
            }
            return seen;
        }

        var first = await RunAsync();
        var processedFirst = _connector.Processed.Select(w => w.Text!).ToHashSet(StringComparer.Ordinal);
        var second = await RunAsync();

        Assert.Equal(first, second);
        var counts = first.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        // 400 draws: each count within about four standard deviations of its rate.
        Assert.InRange(counts.GetValueOrDefault("429"), 90, 150);
        Assert.InRange(counts.GetValueOrDefault("502"), 5, 40);
        Assert.InRange(counts.GetValueOrDefault("503"), 5, 40);
        Assert.InRange(counts.GetValueOrDefault("504"), 3, 35);
        Assert.InRange(counts.GetValueOrDefault("reset"), 12, 60);
        for (var i = 0; i < first.Count; i++)
        {
            var text = $"m{i}";
            if (first[i] is "200" or "504") Assert.Contains(text, processedFirst);
            if (first[i] is "429" or "502" or "503") Assert.DoesNotContain(text, processedFirst);
        }
        Assert.Equal(_connector.Answered(Fault.ResetAfterProcessing), 2 * processedFirst.Count(t => first[int.Parse(t[1..], System.Globalization.CultureInfo.InvariantCulture)] == "reset"));
        Assert.Equal(2 * 400, _connector.Writes.Count());
    }

    [Fact]
    public async Task Enforced_limits_refuse_the_ninth_write_to_a_conversation_within_two_seconds()
    {
        _connector.EnforceLimits(perConversation: 100, perTenant: 100, perConversationPer2s: 8);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++) statuses.Add((await PostAsync("a:busy", $"b{i}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("a:quiet", "q")).StatusCode);

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 8).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 2)), statuses);
        Assert.Equal(2, _connector.Throttled);
        // Refused calls count toward the windows, as Teams counts them.
        Assert.Equal(10, _connector.MaxConversationCalls(2));
        Assert.Equal(11, _connector.MaxTenantCalls(2));
    }

    [Fact]
    public void Window_counts_take_every_call_in_any_window_per_tenant_and_per_conversation()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        RecordedCall At(double seconds, string conversation) => new("POST", $"/_connector/v3/conversations/{conversation}/activities", "", null, t0.AddSeconds(seconds));
        var calls = new[] { At(0, "a"), At(0.5, "a"), At(0.99, "b"), At(1.0, "a"), At(1.5, "a"), At(1.99, "a"), At(3.2, "b") };

        Assert.Equal(3, FakeConnector.MaxPerWindow(calls, TimeSpan.FromSeconds(1)));
        Assert.Equal(6, FakeConnector.MaxPerWindow(calls, TimeSpan.FromSeconds(2)));
        Assert.Equal(3, FakeConnector.MaxPerWindow(calls, TimeSpan.FromSeconds(1), FakeConnector.ConversationOf));
        Assert.Equal(5, FakeConnector.MaxPerWindow(calls, TimeSpan.FromSeconds(2), FakeConnector.ConversationOf));
    }
}

/// <summary>Two OpsBot processes on one database, one alert raised through instance A's API, fanned out through a friendly connector.</summary>
public abstract class TwoInstanceFanoutTests(DatabaseProvider provider) : IAsyncLifetime
{
    private const int Channels = 30;
    private FakeConnector _connector = null!;
    private OpsBotCluster? _cluster;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _cluster = await OpsBotCluster.StartAsync(provider, await ConnectionStringAsync(), AlertFanout.Settings(_connector.ServiceUrl, Channels));
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        await _connector.DisposeAsync();
    }

    [Fact]
    public async Task One_alert_raised_on_instance_A_reaches_every_channel_exactly_once()
    {
        var cluster = _cluster!;
        var id = await cluster.RaiseAlertAsync(0, "Line 3 down");
        var channels = Enumerable.Range(0, Channels).Select(AlertFanout.Channel).ToHashSet(StringComparer.Ordinal);

        await OpsBotCluster.WaitUntilAsync(() => channels.IsSubsetOf(_connector.PostsPer(w => w.Conversation).Keys), TimeSpan.FromSeconds(30),
            () => $"{_connector.Processed.Count} writes; {cluster.Output}");
        await Task.Delay(500);

        var posts = _connector.PostsPer(w => w.Conversation);
        Assert.Equal(channels.Order(StringComparer.Ordinal), posts.Keys.Order(StringComparer.Ordinal));
        Assert.All(posts.Values, n => Assert.Equal(1, n));
        var alert = await AlertFanout.GetAsync(cluster[1].Url, id);
        var version = alert["version"]!.GetValue<int>();
        Assert.All(_connector.LatestPerActivity().Values, w => Assert.Equal(version, w.CardVersion));

        // The harness stops an instance as an orchestrator does (SIGTERM, graceful exit) and starts it again under the same id.
        var stopping = Stopwatch.StartNew();
        Assert.True(await cluster.StopAsync(1), cluster.Output);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(15), $"SIGTERM took {stopping.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(0, cluster[1].ExitCode);
        var restarted = await cluster.RestartAsync(1);
        Assert.Equal(id, (await AlertFanout.GetAsync(restarted.Url, id))["id"]!.GetValue<long>());
    }
}

public sealed class SqliteTwoInstanceFanoutTests() : TwoInstanceFanoutTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresTwoInstanceFanoutTests(PostgresServer server) : TwoInstanceFanoutTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
