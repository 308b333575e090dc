using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpsBot.BotFramework.Schema;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.BotFramework;

/// <summary>
/// Protocol doc §5.4 on the app's durable redelivery log (the <c>ProcessedActivities</c> table and its batch writer): a redelivered
/// activity has one effect and gets the first answer across a restart too. Runs on SQLite and PostgreSQL. The same rules within one
/// process, on the protocol layer's memory log, are tested in OpsBot.BotFramework.Tests.
/// </summary>
public abstract class InboundRedeliveryTests(DatabaseProvider provider) : IAsyncLifetime
{
    private FakeConnector _connector = null!;
    private readonly List<InboundFactory> _apps = [];
    private string? _connectionString;

    protected abstract Task<string> NewDatabaseAsync();

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _connectionString = await NewDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    /// <summary>An app instance over the test's database; two of them in a row are a restart.</summary>
    protected InboundFactory StartApp()
    {
        var app = new InboundFactory(provider, _connectionString);
        app.Settings["Database:ConnectionString"] = _connectionString;
        _apps.Add(app);
        return app;
    }

    protected string ServiceUrl => _connector.ServiceUrl;

    protected int RepliesIn(Activity a) =>
        _connector.Posts.Count(c => c.Path.Contains(Uri.EscapeDataString(a.Conversation!.Id!), StringComparison.Ordinal) && c.Body?["type"]?.GetValue<string>() == "message");

    private static async Task<string> BodyAsync(HttpResponseMessage r) => await r.Content.ReadAsStringAsync();

    [Fact]
    public async Task The_same_activity_id_in_another_conversation_or_channel_is_a_different_activity()
    {
        var app = StartApp();
        var client = app.CreateClient();
        var invoke = InboundActivities.Invoke(ServiceUrl, "test.count");
        var otherConversation = invoke.Clone();
        otherConversation.Conversation!.Id = "a:" + Guid.NewGuid().ToString("n");
        var otherChannel = invoke.Clone();
        otherChannel.ChannelId = "webchat";

        await client.PostActivityAsync(invoke);
        await client.PostActivityAsync(otherConversation);
        await client.PostActivityAsync(otherChannel);
        Assert.Equal(3, app.Probe.Calls);
    }

    [Fact]
    public async Task Redelivery_after_a_restart_has_no_second_effect_and_replays_the_first_answer()
    {
        var message = InboundActivities.Message(ServiceUrl, "echo before restart");
        var invoke = InboundActivities.Invoke(ServiceUrl, "test.count");
        var expectReplies = InboundActivities.Message(ServiceUrl, "echo buffered");
        expectReplies.DeliveryMode = DeliveryModes.ExpectReplies;

        string firstInvokeBody, firstBufferedBody;
        var before = StartApp();
        {
            var client = before.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.PostActivityAsync(message)).StatusCode);
            firstInvokeBody = await BodyAsync(await client.PostActivityAsync(invoke));
            firstBufferedBody = await BodyAsync(await client.PostActivityAsync(expectReplies));
            Assert.Equal(3, before.Probe.Calls);
        }
        await before.DisposeAsync();

        var after = StartApp();
        var restarted = after.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await restarted.PostActivityAsync(message.Clone())).StatusCode);
        var replayedInvoke = await restarted.PostActivityAsync(invoke.Clone());
        var replayedBuffered = await restarted.PostActivityAsync(expectReplies.Clone());

        Assert.Equal(0, after.Probe.Calls);
        Assert.Equal(1, RepliesIn(message));
        Assert.Equal(HttpStatusCode.OK, replayedInvoke.StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(firstInvokeBody), JsonNode.Parse(await BodyAsync(replayedInvoke))));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(firstBufferedBody), JsonNode.Parse(await BodyAsync(replayedBuffered))));

        var fresh = InboundActivities.Invoke(ServiceUrl, "test.count");
        Assert.Contains("call 1", await BodyAsync(await restarted.PostActivityAsync(fresh)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_deliveries_committed_in_batches_each_run_once_and_hold_across_a_restart()
    {
        var messages = Enumerable.Range(0, 30).Select(i => InboundActivities.Message(ServiceUrl, $"probe {i}")).ToList();
        var before = StartApp();
        var client = before.CreateClient();
        // Every message twice at once: the batch writer sees both claims, often in the same transaction.
        var answers = await Task.WhenAll(messages.SelectMany(m => new[] { client.PostActivityAsync(m), client.PostActivityAsync(m.Clone()) }));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        await WaitUntilAsync(() => before.Probe.Calls >= messages.Count);
        Assert.Equal(messages.Count, before.Probe.Calls);
        await before.DisposeAsync();

        var after = StartApp();
        var restarted = after.CreateClient();
        foreach (var m in messages) Assert.Equal(HttpStatusCode.OK, (await restarted.PostActivityAsync(m.Clone())).StatusCode);

        Assert.Equal(0, after.Probe.Calls);
        var recorded = await after.WithDbAsync(db => db.ProcessedActivities.Select(p => p.ActivityId).ToListAsync());
        Assert.Equal(messages.Select(m => m.Id).Order(), recorded.Where(id => messages.Any(m => m.Id == id)).Order());
    }

    [Fact]
    public async Task The_answer_of_a_turn_finishing_during_shutdown_is_committed_and_replayed_after_the_restart()
    {
        var invoke = InboundActivities.Invoke(ServiceUrl, "test.slow");
        var before = StartApp();
        var first = before.CreateClient().PostActivityAsync(invoke);
        await before.Probe.SlowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Graceful shutdown waits for the running turn, whose answer is stored after the turn ends.
        var stopping = before.Services.GetRequiredService<IHostApplicationLifetime>();
        stopping.StopApplication();
        await Task.Delay(200);
        before.Probe.Gate.SetResult();
        try
        {
            await first.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or InvalidOperationException)
        {
            // The test server may drop the in-flight request while stopping; the stored answer is what counts.
        }
        await before.DisposeAsync();

        var after = StartApp();
        var replayed = await after.CreateClient().PostActivityAsync(invoke.Clone());
        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.Contains("slow call 1", await BodyAsync(replayed), StringComparison.Ordinal);
        Assert.Equal(0, after.Probe.Calls);
    }

    [Fact]
    public async Task Records_older_than_the_retention_are_purged_and_newer_ones_kept()
    {
        var app = StartApp();
        var client = app.CreateClient();
        var recent = InboundActivities.Invoke(ServiceUrl, "test.count");
        await client.PostActivityAsync(recent);
        var now = DateTime.UtcNow;
        await app.WithDbAsync(async db =>
        {
            db.ProcessedActivities.Add(new ProcessedActivity
            {
                ChannelId = "msteams", ConversationId = "a:old", ActivityId = "old-1", CreatedAt = now.AddDays(-2), CompletedAt = now.AddDays(-2),
            });
            return await db.SaveChangesAsync();
        });

        var purged = await app.WithDbAsync(db => ProcessedActivityCleanup.PurgeAsync(db, now - ProcessedActivityCleanup.DefaultRetention, CancellationToken.None));

        Assert.Equal(1, purged);
        var left = await app.WithDbAsync(db => db.ProcessedActivities.Select(p => p.ActivityId).ToListAsync());
        Assert.Equal(new[] { recent.Id }, left);
    }

    protected static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition()) await Task.Delay(20, timeout.Token);
    }
}

public sealed class SqliteInboundRedeliveryTests() : InboundRedeliveryTests(DatabaseProvider.Sqlite), IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "opsbot-inbound-" + Guid.NewGuid().ToString("n"));

    protected override Task<string> NewDatabaseAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.FromResult($"Data Source={Path.Combine(_dir, "opsbot.db")}");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresInboundRedeliveryTests(PostgresServer server) : InboundRedeliveryTests(DatabaseProvider.Postgres)
{
    protected override Task<string> NewDatabaseAsync() => server.CreateDatabaseAsync();

    [Fact]
    public async Task The_batch_writer_reconnects_when_its_connection_was_dropped()
    {
        var app = StartApp();
        var client = app.CreateClient();
        var first = InboundActivities.Message(ServiceUrl, "echo before");
        Assert.Equal(HttpStatusCode.OK, (await client.PostActivityAsync(first)).StatusCode);

        // The server drops every other session, the writer's open one included (as after a failover or an idle timeout).
        await app.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"));
        Npgsql.NpgsqlConnection.ClearAllPools();

        var second = InboundActivities.Message(ServiceUrl, "echo after");
        Assert.Equal(HttpStatusCode.OK, (await client.PostActivityAsync(second)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostActivityAsync(second.Clone())).StatusCode);
        await WaitUntilAsync(() => RepliesIn(second) >= 1);

        Assert.Equal(2, app.Probe.Calls);
        Assert.Equal(1, RepliesIn(second));
        var recorded = await app.WithDbAsync(db => db.ProcessedActivities.CountAsync(p => p.ActivityId == second.Id));
        Assert.Equal(1, recorded);
    }
}
