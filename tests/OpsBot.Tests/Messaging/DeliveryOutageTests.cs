using Microsoft.EntityFrameworkCore;
using OpsBot.Data;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Messaging;

/// <summary>
/// Issue 18 for the outbox: two OpsBot processes fan an alert out while their PostgreSQL server restarts (fast and immediate)
/// or stays away for a while. Nothing is lost, duplicated or flagged because of the outage alone, and sending resumes within
/// seconds of the server being back (no row waits out a lease).
/// </summary>
[Collection(PostgresOutageCollection.Name)]
public sealed class DeliveryOutageTests(PostgresServer server) : IAsyncLifetime
{
    private const int Channels = 120;
    private FakeConnector _connector = null!;
    private OpsBotCluster? _cluster;

    public async Task InitializeAsync() => _connector = await FakeConnector.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        await _connector.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    [Theory]
    [InlineData("fast", 0)]
    [InlineData("immediate", 0)]
    [InlineData("fast", 8)]
    public async Task A_fan_out_rides_through_a_database_restart(string mode, int downSeconds)
    {
        var settings = AlertFanout.Settings(_connector.ServiceUrl, Channels);
        var cluster = _cluster = await OpsBotCluster.StartAsync(DatabaseProvider.Postgres, await server.CreateDatabaseAsync(), settings, perTenantPerSecond: 20);
        var id = await cluster.RaiseAlertAsync(0, "Line 3 down");
        await OpsBotCluster.WaitUntilAsync(() => _connector.Processed.Count >= Channels / 3, TimeSpan.FromSeconds(60), () => cluster.Output);

        if (downSeconds == 0) await server.RestartAsync(mode);
        else
        {
            await server.StopAsync(mode);
            await Task.Delay(TimeSpan.FromSeconds(downSeconds));
            await server.StartAsync();
        }
        var back = DateTimeOffset.UtcNow;

        await using var reader = cluster.NewReader();
        var key = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        List<OutboxMessage> rows = [];
        await OpsBotCluster.WaitUntilAsync(() =>
        {
            try
            {
                rows = reader.WithDbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.CorrelationType == "alert" && m.CorrelationId == key).ToListAsync())
                    .GetAwaiter().GetResult();
            }
            catch (Exception ex) when (StoreErrors.IsUnavailable(ex)) { return false; }
            return rows.Count == Channels && rows.All(r => r.Status is not (OutboxStatus.Queued or OutboxStatus.InFlight));
        }, TimeSpan.FromSeconds(90), () => string.Join(", ", rows.GroupBy(r => r.Status).Select(g => $"{g.Key}={g.Count()}")) + "\n" + cluster.Output);

        Assert.All(rows, r => Assert.Equal(OutboxStatus.Sent, r.Status));
        Assert.All(rows, r => Assert.False(r.RepeatedAfterAmbiguousFailure, $"{r.ChannelId} flagged by the outage alone: {r.Error}"));
        var posts = _connector.PostsPer(w => w.Conversation);
        Assert.Equal(Channels, posts.Count);
        Assert.All(posts, p => Assert.Equal(1, p.Value));
        // Sending resumed within 5 s of the server being back, and went on at the pace (no row waited for a lease).
        var resumed = _connector.Processed.Where(w => w.At > back).Select(w => w.At).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        Assert.True(resumed - back < TimeSpan.FromSeconds(5), $"first send {(resumed - back).TotalSeconds:0.0} s after the server was back");
        var remaining = _connector.Processed.Count(w => w.At > back);
        var finished = _connector.Processed.Max(w => w.At);
        Assert.True(finished - back < TimeSpan.FromSeconds(remaining / 20.0 + 5), $"{remaining} sends took {(finished - back).TotalSeconds:0.0} s after the server was back");
        Assert.True(_connector.MaxTenantCalls(1) <= 20, _connector.BusiestWindow(1));
    }
}
