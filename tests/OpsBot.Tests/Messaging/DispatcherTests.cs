using System.Collections.Concurrent;
using System.Net;
using Microsoft.EntityFrameworkCore;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Messaging;

/// <summary>The outbox dispatcher against the loopback connector, on SQLite and on PostgreSQL.</summary>
public abstract class DispatcherTests(DatabaseProvider provider) : IAsyncLifetime
{
    protected FakeConnector Connector { get; private set; } = null!;
    protected string? ConnectionString { get; private set; }

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        Connector = await FakeConnector.StartAsync();
        ConnectionString = await ConnectionStringAsync();
    }

    public async Task DisposeAsync()
    {
        await Connector.DisposeAsync();
        // Every test has its own database: its idle pooled connections would otherwise outlive it.
        if (provider == DatabaseProvider.Postgres) Npgsql.NpgsqlConnection.ClearAllPools();
    }

    protected OpsBotFactory NewApp(double perTenant = 200, double perConversation = 7, string? instance = null)
    {
        var app = new OpsBotFactory(provider, ConnectionString);
        app.Settings["Messaging:PerTenantPerSecond"] = perTenant.ToString(System.Globalization.CultureInfo.InvariantCulture);
        app.Settings["Messaging:PerConversationPerSecond"] = perConversation.ToString(System.Globalization.CultureInfo.InvariantCulture);
        app.Settings["Messaging:PollInterval"] = "00:00:00.050";
        app.Settings["Messaging:BackoffBase"] = "00:00:00.050";
        app.Settings["Messaging:BackoffCap"] = "00:00:00.200";
        if (instance is not null) app.Settings["Messaging:InstanceId"] = instance;
        return app;
    }

    internal static async Task EnqueueAsync(OpsBotFactory app, IEnumerable<(DeliveryTarget Target, string Text)> messages)
    {
        await app.WithDbAsync(async db =>
        {
            var now = DateTime.UtcNow;
            foreach (var (target, text) in messages) db.EnqueueSend(target, Activity.CreateMessage(text), "test:" + text, now, "test", text);
            return await db.SaveChangesAsync();
        });
    }

    internal static async Task<List<OutboxMessage>> WaitUntilSettledAsync(OpsBotFactory app, int expected, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var rows = await app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().OrderBy(m => m.Id).ToListAsync());
            if (rows.Count >= expected && rows.All(r => r.Status is not (OutboxStatus.Queued or OutboxStatus.InFlight))) return rows;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Outbox not settled: {string.Join(", ", rows.GroupBy(r => r.Status).Select(g => $"{g.Key}={g.Count()}"))}");
            await Task.Delay(100);
        }
    }

    private DeliveryTarget.Conversation Conv(string id) => new(Connector.ServiceUrl, Activities.TenantId, id);

    [Fact]
    public async Task Every_message_is_delivered_exactly_once_and_the_answer_is_recorded()
    {
        await using var app = NewApp();
        _ = app.Services;
        var messages = Enumerable.Range(0, 60).Select(i => ((DeliveryTarget)Conv($"a:conv-{i}"), $"m{i}"))
            .Append((new DeliveryTarget.Person(Connector.ServiceUrl, Activities.TenantId, "29:exec-one"), "personal"))
            .Append((new DeliveryTarget.ChannelThread(Connector.ServiceUrl, Activities.TenantId, "19:ops@thread.tacv2"), "channel"))
            .ToList();
        await EnqueueAsync(app, messages);

        var rows = await WaitUntilSettledAsync(app, messages.Count);

        Assert.All(rows, r => Assert.Equal(OutboxStatus.Sent, r.Status));
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.ResultActivityId)));
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.ResultConversationId)));
        var counts = Connector.Delivered.Where(c => FakeConnector.TextOf(c) is not null).GroupBy(c => FakeConnector.TextOf(c)!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(messages.Count, counts.Count);
        Assert.All(counts.Values, n => Assert.Equal(1, n));
        var personal = rows.Single(r => r.Kind == OutboxKind.CreatePersonal);
        Assert.StartsWith("a:created-", personal.ResultConversationId, StringComparison.Ordinal);
        var create = Connector.Calls.Single(c => c.Body?["members"] is not null);
        Assert.Equal("29:exec-one", create.Body!["members"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(Activities.TenantId, create.Body!["tenantId"]!.GetValue<string>());
        var thread = Connector.Calls.Single(c => c.Body?["channelData"]?["channel"] is not null);
        Assert.True(thread.Body!["isGroup"]!.GetValue<bool>());
        Assert.Equal("channel", thread.Body!["activity"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_429_storm_keeps_to_the_configured_rates_and_loses_nothing()
    {
        Connector.EnforceLimits(perConversation: 7, perTenant: 20);
        for (var i = 0; i < 15; i++) Connector.Respond(HttpStatusCode.TooManyRequests, """{"error":{"code":"Throttled","message":"slow down"}}""", ("Retry-After", "1"));
        await using var app = NewApp(perTenant: 20, perConversation: 7);
        _ = app.Services;
        var messages = Enumerable.Range(0, 60).Select(i => ((DeliveryTarget)Conv($"a:storm-{i % 40}"), $"s{i}"))
            .Concat(Enumerable.Range(0, 20).Select(i => ((DeliveryTarget)Conv("a:busy-chat"), $"b{i}")))
            .ToList();
        await EnqueueAsync(app, messages);

        var rows = await WaitUntilSettledAsync(app, messages.Count);

        Assert.All(rows, r => Assert.Equal(OutboxStatus.Sent, r.Status));
        var delivered = Connector.Delivered.GroupBy(c => FakeConnector.TextOf(c)!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(messages.Count, delivered.Count);
        Assert.All(delivered.Values, n => Assert.Equal(1, n));
        // The dispatcher sends with ConnectorRetry.None, so it sees every 429 itself, pauses in the store and tries again.
        Assert.Contains(rows, r => r.Attempts > 1);
        Assert.InRange(Connector.Posts.Count(), messages.Count + 15, int.MaxValue);
        // Every call, the rejected ones included, stays within the limits. Slack of 20 %: the fake stamps arrival times in the
        // test process, which stalls now and then on the shared 2-core machine and then records several calls together.
        Assert.InRange(FakeConnector.MaxPerSecond(Connector.Calls), 1, 24);
        Assert.InRange(FakeConnector.MaxPerSecond(Connector.Calls, FakeConnector.ConversationOf), 1, 8);
    }

    [Fact]
    public async Task A_429_for_one_conversation_pauses_that_conversation_and_not_the_tenant()
    {
        var hotCalls = 0;
        Connector.RespondWhen(c => c.Path.Contains("a%3Ahot", StringComparison.Ordinal) && Interlocked.Increment(ref hotCalls) == 1,
            HttpStatusCode.TooManyRequests, """{"error":{"code":"Throttled","message":"slow down"}}""", ("Retry-After", "3"));
        await using var app = NewApp(perTenant: 20);
        _ = app.Services;
        // The hot conversation is throttled before the others are queued, so the whole pause overlaps their fan-out
        // (queued together, the dispatcher may reach the hot row only near the end of the fan-out).
        await EnqueueAsync(app, [(Conv("a:hot"), "hot")]);
        var throttledBy = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Volatile.Read(ref hotCalls) == 0 && DateTime.UtcNow < throttledBy) await Task.Delay(10);
        Assert.Equal(1, Volatile.Read(ref hotCalls));
        var cool = Enumerable.Range(0, 60).Select(i => ((DeliveryTarget)Conv($"a:cool-{i}"), $"c{i}")).ToList();
        await EnqueueAsync(app, cool);

        var rows = await WaitUntilSettledAsync(app, cool.Count + 1);

        Assert.All(rows, r => Assert.Equal(OutboxStatus.Sent, r.Status));
        Assert.All(Connector.Delivered.GroupBy(c => FakeConnector.TextOf(c)), g => Assert.Single(g));
        var hot = Connector.Calls.Where(c => c.Path.Contains("a%3Ahot", StringComparison.Ordinal)).Select(c => c.At).Order().ToList();
        Assert.Equal(2, hot.Count);
        Assert.True(hot[1] - hot[0] >= TimeSpan.FromSeconds(2.9), $"the throttled conversation was retried after {(hot[1] - hot[0]).TotalMilliseconds} ms");
        // The other conversations kept the tenant's pace while the throttled one waited (a tenant-wide pause sends nothing for 3 s).
        var during = Connector.Calls.Count(c => c.At > hot[0] && c.At < hot[0] + TimeSpan.FromSeconds(2.5) && !c.Path.Contains("a%3Ahot", StringComparison.Ordinal));
        Assert.True(during >= 10, $"only {during} other sends while the conversation was paused (hot retried after {(hot[1] - hot[0]).TotalMilliseconds} ms)");
    }

    [Fact]
    public async Task Most_calls_throttled_across_conversations_pause_the_whole_tenant()
    {
        // Every call of the first second is refused, as when the tenant's limit is spent elsewhere.
        var stormUntil = DateTimeOffset.MaxValue;
        var firstCall = DateTimeOffset.MaxValue;
        Connector.RespondWhen(c =>
            {
                lock (Connector) { if (firstCall == DateTimeOffset.MaxValue) (firstCall, stormUntil) = (c.At, c.At + TimeSpan.FromSeconds(1)); }
                return c.At < stormUntil;
            },
            HttpStatusCode.TooManyRequests, """{"error":{"code":"Throttled","message":"slow down"}}""", ("Retry-After", "3"));
        await using var app = NewApp(perTenant: 20);
        _ = app.Services;
        var messages = Enumerable.Range(0, 40).Select(i => ((DeliveryTarget)Conv($"a:cool-{i}"), $"c{i}")).ToList();
        await EnqueueAsync(app, messages);

        var rows = await WaitUntilSettledAsync(app, messages.Count);

        Assert.All(rows, r => Assert.Equal(OutboxStatus.Sent, r.Status));
        Assert.All(Connector.Delivered.GroupBy(c => FakeConnector.TextOf(c)), g => Assert.Single(g));
        // Once five conversations were refused, the tenant waits Retry-After: no call between then and the pause's end but
        // the few already on the wire.
        var refused = Connector.Calls.Where(c => c.At < stormUntil).OrderBy(c => c.At).ToList();
        var paused = refused[OutboxDispatcher.TenantThrottleConversations - 1].At;
        var during = Connector.Calls.Count(c => c.At > paused + TimeSpan.FromMilliseconds(300) && c.At < paused + TimeSpan.FromSeconds(2.8));
        Assert.True(during <= 1, $"{during} sends while the tenant was paused");
        Assert.All(rows, r => Assert.False(r.RepeatedAfterAmbiguousFailure));
    }

    [Fact]
    public async Task Scattered_429s_pause_only_their_conversations_and_never_fail_a_message()
    {
        var calls = 0;
        Connector.RespondWhen(c => Interlocked.Increment(ref calls) % 3 == 0, HttpStatusCode.TooManyRequests,
            """{"error":{"code":"Throttled","message":"slow down"}}""", ("Retry-After", "1"));
        await using var app = NewApp(perTenant: 20);
        _ = app.Services;
        var messages = Enumerable.Range(0, 60).Select(i => ((DeliveryTarget)Conv($"a:scatter-{i % 30}"), $"s{i}")).ToList();
        await EnqueueAsync(app, messages);

        var rows = await WaitUntilSettledAsync(app, messages.Count);

        Assert.All(rows, r => Assert.Equal(OutboxStatus.Sent, r.Status));
        Assert.All(Connector.Delivered.GroupBy(c => FakeConnector.TextOf(c)), g => Assert.Single(g));
        Assert.Contains(rows, r => r.Throttles > 0);
        Assert.All(rows, r => Assert.Equal(r.Throttles + 1, r.Attempts));
        // A third of the calls refused is not the tenant's limit: the tenant keeps its pace (60 sends + ~30 refusals at 20/s).
        var span = Connector.Calls.Max(c => c.At) - Connector.Calls.Min(c => c.At);
        Assert.True(span < TimeSpan.FromSeconds(8), $"took {span.TotalSeconds:0.0} s");
        Assert.InRange(FakeConnector.MaxPerSecond(Connector.Calls), 1, 20);
    }

    [Fact]
    public async Task Proactive_sends_use_the_serviceUrl_Teams_gave_for_the_tenant_and_the_default_only_before()
    {
        await using var app = NewApp();
        var client = app.CreateClient();
        // Never heard from the tenant: the row's own serviceUrl (here a closed loopback port standing in for the default).
        const string unused = "http://127.0.0.1:9/default/";
        await EnqueueAsync(app, [(new DeliveryTarget.Conversation(unused, Activities.TenantId, "a:before"), "before")]);
        await WaitForRowAsync(app, "test:before", r => r.Attempts > 0);
        Assert.DoesNotContain(Connector.Calls, c => FakeConnector.TextOf(c) == "before");

        // Teams writes from the tenant: its serviceUrl is learned and used for every proactive send of the tenant.
        Assert.True((await client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "help"))).IsSuccessStatusCode);
        await EnqueueAsync(app, [(new DeliveryTarget.Conversation(unused, Activities.TenantId, "a:after"), "after")]);

        var after = await WaitForRowAsync(app, "test:after", r => r.Status == OutboxStatus.Sent, TimeSpan.FromSeconds(45));
        Assert.Single(Connector.Delivered, c => FakeConnector.TextOf(c) == "after");
        Assert.Equal("a:after", after.ResultConversationId);
    }

    private static async Task<OutboxMessage> WaitForRowAsync(OpsBotFactory app, string dedupeKey, Func<OutboxMessage, bool> condition, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var row = await app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().SingleOrDefaultAsync(m => m.DedupeKey == dedupeKey));
            if (row is not null && condition(row)) return row;
            if (DateTime.UtcNow > until) throw new TimeoutException($"{dedupeKey}: {row?.Status} attempts {row?.Attempts} {row?.Error}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Permanent_errors_are_recorded_with_their_reason_and_not_retried()
    {
        Connector.RespondWhen(c => c.Path.Contains("blocked", StringComparison.Ordinal), HttpStatusCode.Forbidden,
            """{"error":{"code":"ConversationBlockedByUser","message":"User blocked the conversation with the bot."}}""");
        Connector.RespondWhen(c => c.Path.Contains("gone", StringComparison.Ordinal), HttpStatusCode.NotFound,
            """{"error":{"code":"ConversationNotFound","message":"Conversation not found."}}""");
        Connector.RespondWhen(c => c.Path.Contains("huge", StringComparison.Ordinal), HttpStatusCode.RequestEntityTooLarge,
            """{"error":{"code":"MessageSizeTooBig","message":"Message size too big."}}""");
        await using var app = NewApp();
        _ = app.Services;
        await EnqueueAsync(app, [(Conv("a:blocked"), "x1"), (Conv("a:gone"), "x2"), (Conv("a:huge"), "x3"), (Conv("a:fine"), "x4")]);

        var rows = (await WaitUntilSettledAsync(app, 4)).ToDictionary(r => r.ConversationId!);

        Assert.Equal(OutboxStatus.Failed, rows["a:blocked"].Status);
        Assert.StartsWith("403 ConversationBlockedByUser", rows["a:blocked"].Error, StringComparison.Ordinal);
        Assert.Equal(OutboxStatus.Failed, rows["a:gone"].Status);
        Assert.StartsWith("404 ConversationNotFound", rows["a:gone"].Error, StringComparison.Ordinal);
        Assert.Equal(OutboxStatus.Failed, rows["a:huge"].Status);
        Assert.StartsWith("413 MessageSizeTooBig", rows["a:huge"].Error, StringComparison.Ordinal);
        Assert.Equal(OutboxStatus.Sent, rows["a:fine"].Status);
        Assert.Single(Connector.Calls, c => c.Path.Contains("blocked", StringComparison.Ordinal));
        Assert.Single(Connector.Calls, c => c.Path.Contains("gone", StringComparison.Ordinal));
        var unreachable = await app.WithDbAsync(db => db.UnreachableRecipients.AsNoTracking().ToListAsync());
        Assert.Contains(unreachable, u => u.Key == "a:blocked" && u.Reason.Contains("ConversationBlockedByUser", StringComparison.Ordinal));
        Assert.Contains(unreachable, u => u.Key == "a:gone");
        Assert.DoesNotContain(unreachable, u => u.Key == "a:huge");
    }

    [Fact]
    public async Task Slow_answers_and_gateway_errors_still_deliver_each_message_once_and_record_the_ambiguity()
    {
        Connector.ResponseDelay = TimeSpan.FromMilliseconds(150);
        Connector.RespondWhen(c => c.Path.Contains("flaky", StringComparison.Ordinal) && Connector.Calls.Count(x => x.Path.Contains("flaky", StringComparison.Ordinal)) == 1,
            HttpStatusCode.GatewayTimeout);
        await using var app = NewApp();
        _ = app.Services;
        var messages = Enumerable.Range(0, 20).Select(i => ((DeliveryTarget)Conv($"a:slow-{i}"), $"w{i}")).Append((Conv("a:flaky"), "flaky")).ToList();
        await EnqueueAsync(app, messages);

        var rows = await WaitUntilSettledAsync(app, messages.Count);

        Assert.All(rows, r => Assert.Equal(OutboxStatus.Sent, r.Status));
        Assert.Equal(21, Connector.Delivered.Count);
        var flaky = rows.Single(r => r.ConversationId == "a:flaky");
        Assert.Equal(2, flaky.Attempts);
        Assert.True(flaky.RepeatedAfterAmbiguousFailure);
    }

    [Fact]
    public async Task Rows_left_in_flight_by_a_dead_instance_are_reconciled()
    {
        await using var app = NewApp();
        app.Settings["Messaging:InstanceTimeout"] = "00:00:02";
        app.Settings["Messaging:HeartbeatInterval"] = "00:00:00.250";
        var past = DateTime.UtcNow.AddMinutes(-5);
        await app.WithDbAsync(async db =>
        {
            db.Database.Migrate();
            var mid = db.EnqueueSend(Conv("a:mid-post"), Activity.CreateMessage("mid"), "test:mid", past);
            mid.Status = OutboxStatus.InFlight; mid.LeaseOwner = "dead"; mid.AttemptStartedAt = past; mid.Attempts = 1;
            var claimedOnly = db.EnqueueSend(Conv("a:claimed-only"), Activity.CreateMessage("claimed"), "test:claimed", past);
            claimedOnly.Status = OutboxStatus.InFlight; claimedOnly.LeaseOwner = "dead"; claimedOnly.Attempts = 1;
            var update = db.EnqueueUpdate(Conv("a:mid-update"), "77", Activity.CreateMessage("update"), "test:update", past);
            update.Status = OutboxStatus.InFlight; update.LeaseOwner = "dead"; update.AttemptStartedAt = past; update.Attempts = 1;
            return await db.SaveChangesAsync();
        });

        var rows = (await WaitUntilSettledAsync(app, 3)).ToDictionary(r => r.ConversationId!);

        // The POST that had started may have arrived: it is sent again, flagged; the others are not ambiguous.
        Assert.Equal(OutboxStatus.Sent, rows["a:mid-post"].Status);
        Assert.True(rows["a:mid-post"].RepeatedAfterAmbiguousFailure);
        Assert.Equal(OutboxStatus.Sent, rows["a:claimed-only"].Status);
        Assert.False(rows["a:claimed-only"].RepeatedAfterAmbiguousFailure);
        Assert.Equal(OutboxStatus.Sent, rows["a:mid-update"].Status);
        Assert.False(rows["a:mid-update"].RepeatedAfterAmbiguousFailure);
        Assert.Single(Connector.Calls, c => c.Path.Contains("mid-post", StringComparison.Ordinal));
        Assert.Single(Connector.Calls, c => c.Method == "PUT" && c.Path.EndsWith("a%3Amid-update/activities/77", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_process_killed_mid_fan_out_delivers_every_message_after_restart_and_flags_only_the_cut_off_calls()
    {
        const int total = 150;
        var heldAtKill = 0;
        string? dataDir = null;
        var connection = ConnectionString;
        if (connection is null)
        {
            dataDir = Path.Combine(Path.GetTempPath(), "opsbot-kill-" + Guid.NewGuid().ToString("n"));
            Directory.CreateDirectory(dataDir);
            connection = $"Data Source={Path.Combine(dataDir, "opsbot.db")}";
        }
        try
        {
            var env = new Dictionary<string, string>
            {
                ["Database__Provider"] = provider.ToString(),
                ["Database__ConnectionString"] = connection,
                ["Database__MigrateOnStartup"] = "true",
                ["Messaging__PerTenantPerSecond"] = "100",
                ["Messaging__PollInterval"] = "00:00:00.050",
                ["Messaging__MaxInFlight"] = "8",
                ["Messaging__InstanceId"] = "kill-test",
                ["Messaging__InstanceTimeout"] = "00:00:03",
                ["Messaging__HeartbeatInterval"] = "00:00:00.500",
            };
            await using (var first = await OpsBotProcess.StartAsync(env))
            {
                await using var writer = new OpsBotFactory(provider, connection);
                writer.Settings["Messaging:DispatcherEnabled"] = "false";
                await EnqueueAsync(writer, Enumerable.Range(0, total).Select(i => ((DeliveryTarget)Conv($"a:kill-{i}"), $"k{i}")));
                await WaitForAsync(() => Connector.Delivered.Count >= total / 3);
                Connector.Hold();
                // Kill while the connector holds every started POST: the crash lands between "connector accepted" and "result recorded".
                var stable = 0;
                while (stable < 3)
                {
                    await Task.Delay(100);
                    var started = await writer.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.Status == OutboxStatus.InFlight && m.AttemptStartedAt != null));
                    stable = started > 0 && started == Connector.HeldCount ? stable + 1 : 0;
                }
                heldAtKill = Connector.HeldCount;
                first.Kill();
            }
            Assert.InRange(Connector.Delivered.Count, total / 3, total - 1);
            Connector.Release();

            await using (await OpsBotProcess.StartAsync(env))
            {
                await using var reader = new OpsBotFactory(provider, connection);
                reader.Settings["Messaging:DispatcherEnabled"] = "false";
                var rows = await WaitUntilSettledAsync(reader, total, TimeSpan.FromSeconds(90));

                var counts = Connector.Delivered.GroupBy(c => FakeConnector.TextOf(c)!).ToDictionary(g => g.Key, g => g.Count());
                Assert.Equal(total, counts.Count);
                Assert.All(rows, r => Assert.Equal(OutboxStatus.Sent, r.Status));
                // The calls cut off by the kill (accepted by the connector, answer never recorded) are sent again by the
                // restarted instance (same id: at once), flagged; every other message arrived exactly once.
                var flagged = rows.Where(r => r.RepeatedAfterAmbiguousFailure).Select(r => r.ActivityJson).ToList();
                var twice = counts.Where(kv => kv.Value > 1).Select(kv => kv.Key).ToList();
                Assert.All(counts.Values, n => Assert.InRange(n, 1, 2));
                Assert.True(heldAtKill == flagged.Count, $"held {heldAtKill}, flagged {flagged.Count}");
                Assert.All(twice, text => Assert.Contains(flagged, json => json.Contains($"\"{text}\"", StringComparison.Ordinal)));
                Assert.InRange(heldAtKill, 1, 8);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (dataDir is not null) try { Directory.Delete(dataDir, true); } catch (IOException) { }
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("Condition not reached.");
            await Task.Delay(10);
        }
    }
}

public sealed class SqliteDispatcherTests() : DispatcherTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);

    [Fact]
    public void An_instance_timeout_too_short_for_the_heartbeat_stops_the_start_with_a_clear_message()
    {
        using var app = new OpsBotFactory();
        app.Settings["Messaging:InstanceTimeout"] = "00:00:02";
        app.Settings["Messaging:HeartbeatInterval"] = "00:00:01";

        var error = Assert.ThrowsAny<Exception>(() => app.Services);

        Assert.Contains("Messaging:InstanceTimeout must be at least 4 × Messaging:HeartbeatInterval", error.ToString(), StringComparison.Ordinal);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresDispatcherTests(PostgresServer server) : DispatcherTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();

    [Fact]
    public async Task Two_instances_on_one_database_deliver_a_2000_message_fan_out_exactly_once_from_the_tenant_owner()
    {
        const int total = 2000;
        await using var writer = NewApp(instance: "writer");
        writer.Settings["Messaging:DispatcherEnabled"] = "false";
        await EnqueueAsync(writer, Enumerable.Range(0, total).Select(i => ((DeliveryTarget)new DeliveryTarget.Conversation(Connector.ServiceUrl, Activities.TenantId, $"a:fan-{i}"), $"f{i}")));
        await using var one = NewApp(perTenant: 2000, instance: "instance-one");
        await using var two = NewApp(perTenant: 2000, instance: "instance-two");
        await Task.WhenAll(Task.Run(() => one.Services), Task.Run(() => two.Services));

        var rows = await WaitUntilSettledAsync(two, total, TimeSpan.FromSeconds(90));

        Assert.All(rows, r => Assert.Equal(OutboxStatus.Sent, r.Status));
        var counts = Connector.Delivered.GroupBy(c => FakeConnector.TextOf(c)!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(total, counts.Count);
        Assert.All(counts, kv => Assert.Equal(1, kv.Value));
        // One instance at a time sends for a tenant, so the tenant's pace is the deployment's.
        Assert.Single(rows.Select(r => r.SentBy).Distinct());
    }
}
