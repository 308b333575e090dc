using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Connector;

namespace OpsBot.BotFramework.Tests;

/// <summary>Pacing of connector writes (protocol doc §9; vector O6).</summary>
public sealed class OutboundRateLimitTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void O6_hundred_sends_to_one_conversation_never_exceed_the_thread_windows()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new ConnectorRateLimiter(Options.Create(new RateLimitOptions()), time);

        var slots = Enumerable.Range(0, 100).Select(_ => Start + limiter.Reserve("19:thread", "tenant", TimeSpan.Zero)).ToList();

        AssertWindow(slots, TimeSpan.FromSeconds(1), 7);
        AssertWindow(slots, TimeSpan.FromSeconds(2), 8);
        AssertWindow(slots, TimeSpan.FromSeconds(30), 60);
        Assert.Equal(8, slots.Count(g => g < Start.AddSeconds(2)));
        Assert.Equal(60, slots.Count(g => g < Start.AddSeconds(30)));
        Assert.Equal(slots.Order(), slots);
    }

    [Fact]
    public async Task O6_sends_released_by_the_clock_keep_to_the_windows()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new ConnectorRateLimiter(Options.Create(new RateLimitOptions()), time);
        var released = new List<DateTimeOffset>();
        var sends = Enumerable.Range(0, 20).Select(async _ =>
        {
            await limiter.AcquireAsync("19:thread", "tenant", CancellationToken.None);
            lock (released) released.Add(time.GetUtcNow());
        }).ToList();

        // 7 per 1 s and 8 per 2 s: a burst of 7, then 1, then 7 again once the 2 s window has moved on.
        int[] expected = [7, 8, 15, 16, 20];
        foreach (var count in expected)
        {
            await WaitUntilAsync(() => { lock (released) return released.Count >= count; });
            await Task.Delay(50);
            lock (released) Assert.Equal(count, released.Count);
            time.Advance(TimeSpan.FromSeconds(1));
        }
        await Task.WhenAll(sends);
        AssertWindow(released, TimeSpan.FromSeconds(1), 7);
        AssertWindow(released, TimeSpan.FromSeconds(2), 8);
    }

    [Fact]
    public void Random_traffic_with_pauses_keeps_every_conversation_and_tenant_window()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new ConnectorRateLimiter(Options.Create(new RateLimitOptions { TenantPerSecond = 10 }), time);
        var random = new Random(7);
        var slots = new Dictionary<string, List<DateTimeOffset>>();

        for (var i = 0; i < 600; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 120)));
            var conversation = $"a:c{random.Next(4)}";
            if (random.Next(40) == 0) limiter.Pause(conversation, TimeSpan.FromSeconds(random.Next(1, 4)));
            var slot = time.GetUtcNow() + limiter.Reserve(conversation, "tenant", TimeSpan.FromMilliseconds(random.Next(3) == 0 ? random.Next(0, 500) : 0));
            (slots.TryGetValue(conversation, out var list) ? list : slots[conversation] = []).Add(slot);
        }

        foreach (var list in slots.Values)
        {
            AssertWindow(list.Order().ToList(), TimeSpan.FromSeconds(1), 7);
            AssertWindow(list.Order().ToList(), TimeSpan.FromSeconds(2), 8);
            AssertWindow(list.Order().ToList(), TimeSpan.FromSeconds(30), 60);
        }
        AssertWindow(slots.Values.SelectMany(l => l).Order().ToList(), TimeSpan.FromSeconds(1), 10);
    }

    [Fact]
    public void Conversations_are_paced_separately_but_share_the_tenant_limit()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new ConnectorRateLimiter(Options.Create(new RateLimitOptions()), time);

        var slots = Enumerable.Range(0, 120).Select(i => Start + limiter.Reserve($"a:user-{i}", "tenant", TimeSpan.Zero)).ToList();

        AssertWindow(slots, TimeSpan.FromSeconds(1), 50);
        Assert.Equal(50, slots.Count(g => g == Start));
        Assert.Equal(50, slots.Count(g => g == Start.AddSeconds(1)));
        Assert.Equal(Start, Start + limiter.Reserve("a:user-0", "other-tenant", TimeSpan.Zero));
    }

    [Fact]
    public void A_429_pauses_the_conversation_but_not_the_rest_of_the_tenant()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new ConnectorRateLimiter(Options.Create(new RateLimitOptions { TenantPerSecond = 3 }), time);

        limiter.Pause("19:t", TimeSpan.FromSeconds(3));

        Assert.Equal(TimeSpan.FromSeconds(3), limiter.Reserve("19:t", "tenant", TimeSpan.Zero));
        Assert.Equal(
            new[] { 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4 }.Select(s => TimeSpan.FromSeconds(s)),
            Enumerable.Range(0, 12).Select(i => limiter.Reserve($"a:other-{i}", "tenant", TimeSpan.Zero)));
    }

    [Fact]
    public void Disabled_limiter_never_waits()
    {
        var limiter = new ConnectorRateLimiter(Options.Create(new RateLimitOptions { Enabled = false }), new FakeTimeProvider(Start));

        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(TimeSpan.Zero, limiter.Reserve("19:t", "tenant", TimeSpan.Zero)));
    }

    [Fact]
    public async Task Connector_sends_wait_for_the_configured_conversation_limit()
    {
        await using var h = await OutboundHarness.StartAsync(s =>
        {
            s["Bot:RateLimits:ConversationPerSecond"] = "2";
            s["Bot:RateLimits:ConversationPerTwoSeconds"] = "10";
        });

        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("warm-up: token and connection", "a:elsewhere"));
        for (var i = 0; i < 3; i++) await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message($"m{i}", "a:paced"));

        var calls = h.Connector.Calls.Skip(1).ToArray();
        Assert.True(calls[2].At - calls[0].At >= TimeSpan.FromMilliseconds(950), $"third send {(calls[2].At - calls[0].At).TotalMilliseconds} ms after the first");
        Assert.Equal(2, h.Services.GetRequiredService<IOptions<RateLimitOptions>>().Value.ConversationPerSecond);
    }

    [Fact]
    public async Task Reads_are_not_paced_and_writes_wait_for_the_connector_clock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:RateLimits:ConversationPerSecond"] = "1",
            services: s => s.AddKeyedSingleton<TimeProvider>(ConnectorClient.ClockKey, clock));
        h.Connector.SetMembers(1, new System.Text.Json.Nodes.JsonObject { ["id"] = "29:a" });

        for (var i = 0; i < 3; i++) await h.Client.GetConversationMemberAsync(h.ServiceUrl, "a:1", "29:a");
        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("first", "a:1"));
        var second = h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("second", "a:1"));
        await Task.Delay(200);

        Assert.False(second.IsCompleted);
        Assert.Equal(4, h.Connector.Calls.Count);
        clock.Advance(TimeSpan.FromSeconds(1));
        await second;
        Assert.Equal(5, h.Connector.Calls.Count);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
    }

    private static void AssertWindow(List<DateTimeOffset> grants, TimeSpan window, int limit)
    {
        for (var i = 0; i < grants.Count; i++)
        {
            var inWindow = grants.Skip(i).TakeWhile(g => g - grants[i] < window).Count();
            Assert.True(inWindow <= limit, $"{inWindow} sends within {window} starting at {grants[i]:O}");
        }
    }
}
