using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Connector;

namespace OpsBot.BotFramework.Tests;

/// <summary>The resilience pipeline against the fake connector (protocol doc §4.5; vectors O3, O4, O5).</summary>
public sealed class OutboundRetryTests
{
    /// <summary>Timers complete on millisecond ticks, so a wait can end a fraction of a millisecond before its nominal length.</summary>
    private static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(15);

    [Fact]
    public async Task O3_429_with_retry_after_seconds_waits_that_long_then_succeeds()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(HttpStatusCode.TooManyRequests, """{"error":{"code":"Throttled","message":"slow down"}}""", ("Retry-After", "2"));

        var result = await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi"));

        Assert.NotNull(result.Id);
        var calls = h.Connector.Calls.ToArray();
        Assert.Equal(2, calls.Length);
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromSeconds(2) - TimerSlack, $"second attempt after {(calls[1].At - calls[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task O3_429_pauses_the_conversation_for_other_sends_too()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(HttpStatusCode.TooManyRequests, null, ("Retry-After", "1"));

        var first = h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("one", "a:busy"));
        while (h.Connector.Calls.IsEmpty) await Task.Delay(10);
        await Task.Delay(500); // the 429 has reached the client; its retry is due 1 s after the first call
        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("two", "a:busy"));
        await first;

        var calls = h.Connector.Calls.ToArray();
        Assert.Equal(3, calls.Length);
        Assert.All(calls.Skip(1), c => Assert.True(c.At - calls[0].At >= TimeSpan.FromSeconds(1) - TimerSlack, $"sent {(c.At - calls[0].At).TotalMilliseconds} ms after the 429"));
    }

    [Fact]
    public async Task A_429_handed_to_the_caller_still_pauses_its_conversation()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:Connector:MaxRetryAfter"] = "00:00:00.500");
        h.Connector.Respond(HttpStatusCode.TooManyRequests, null, ("Retry-After", "1"));

        await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("one", "a:busy")));
        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("two", "a:busy"));

        var calls = h.Connector.Calls.ToArray();
        Assert.Equal(2, calls.Length);
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromSeconds(1) - TimerSlack, $"next send {(calls[1].At - calls[0].At).TotalMilliseconds} ms after the 429");
    }

    [Fact]
    public async Task O3_429_with_retry_after_http_date_waits_until_that_date()
    {
        await using var h = await OutboundHarness.StartAsync();
        var until = DateTimeOffset.UtcNow.AddSeconds(2);
        h.Connector.Respond(HttpStatusCode.TooManyRequests, null, ("Retry-After", until.ToString("R")));

        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi"));

        var calls = h.Connector.Calls.ToArray();
        Assert.Equal(2, calls.Length);
        var dateSecond = DateTimeOffset.Parse(until.ToString("R"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(calls[1].At >= dateSecond - TimerSlack, $"retried at {calls[1].At:O}, Retry-After {dateSecond:O}");
    }

    [Fact]
    public async Task O4_429_without_retry_after_backs_off_and_gives_up_after_five_attempts()
    {
        await using var h = await OutboundHarness.StartAsync();
        for (var i = 0; i < 6; i++) h.Connector.Respond(HttpStatusCode.TooManyRequests, """{"error":{"code":"Throttled","message":"no"}}""");

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.Status);
        Assert.Equal("Throttled", error.Code);
        Assert.True(error.IsTransient);
        Assert.Equal(5, h.Connector.Calls.Count);
    }

    [Fact]
    public void Backoff_is_full_jitter_exponential_capped()
    {
        var options = new ConnectorOptions { RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(30) };
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var ceiling = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt)));
            var delays = Enumerable.Range(0, 200).Select(_ => ConnectorPipeline.FullJitter(attempt, options)).ToArray();
            Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, ceiling));
            Assert.True(delays.Max() > ceiling / 2, "full jitter spreads over the whole range");
            Assert.True(delays.Distinct().Count() > 100, "delays are randomised");
        }
    }

    [Theory]
    [InlineData(HttpStatusCode.PreconditionFailed)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task O5_retryable_statuses_are_retried(HttpStatusCode status)
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(status);
        h.Connector.Respond(status);

        var result = await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi"));

        Assert.NotNull(result.Id);
        Assert.Equal(3, h.Connector.Calls.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "BadArgument")]
    [InlineData(HttpStatusCode.Forbidden, "BotDisabledByAdmin")]
    [InlineData(HttpStatusCode.NotFound, "ConversationNotFound")]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, "MessageSizeTooBig")]
    [InlineData(HttpStatusCode.InternalServerError, "ServiceError")]
    public async Task O5_other_statuses_are_not_retried(HttpStatusCode status, string code)
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(status, $$$"""{"error":{"code":"{{{code}}}","message":"m"}}""");

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.Equal(status, error.Status);
        Assert.Equal(code, error.Code);
        Assert.Single(h.Connector.Calls);
    }

    [Fact]
    public async Task Updates_and_deletes_are_retried_on_5xx()
    {
        await using var h = await OutboundHarness.StartAsync();
        var update = OutboundHarness.Message("v2");
        update.Id = "1700000000000";

        h.Connector.Respond(HttpStatusCode.BadGateway);
        await h.Client.UpdateActivityAsync(h.ServiceUrl, update);
        h.Connector.Respond(HttpStatusCode.ServiceUnavailable);
        await h.Client.DeleteActivityAsync(h.ServiceUrl, "a:personal-1", "1700000000000");

        Assert.Equal(["PUT", "PUT", "DELETE", "DELETE"], h.Connector.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task Rejected_only_sends_are_not_repeated_after_an_ambiguous_5xx()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(HttpStatusCode.BadGateway, """{"error":{"code":"ServiceError","message":"upstream"}}""");

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("alert"), ConnectorRetry.RejectedOnly));

        Assert.Equal(HttpStatusCode.BadGateway, error.Status);
        Assert.True(error.MayHaveBeenDelivered);
        Assert.True(error.IsTransient);
        Assert.Single(h.Connector.Calls);
    }

    [Fact]
    public async Task A_post_that_got_a_5xx_before_its_final_rejection_may_have_been_delivered()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(HttpStatusCode.BadGateway);
        h.Connector.Respond(HttpStatusCode.BadRequest, """{"error":{"code":"BadArgument","message":"m"}}""");

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("alert")));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        Assert.True(error.MayHaveBeenDelivered);
        Assert.Equal(2, h.Connector.Calls.Count);
    }

    [Fact]
    public async Task A_post_rejected_after_429s_was_not_delivered()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(HttpStatusCode.TooManyRequests, null, ("Retry-After", "0"));
        h.Connector.Respond(HttpStatusCode.Forbidden, """{"error":{"code":"ConversationBlockedByUser","message":"m"}}""");

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("alert"), ConnectorRetry.RejectedOnly));

        Assert.Equal("ConversationBlockedByUser", error.Code);
        Assert.False(error.MayHaveBeenDelivered);
    }

    [Fact]
    public async Task Total_timeout_while_waiting_after_a_429_reports_not_delivered()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:Connector:TotalTimeout"] = "00:00:00.500");
        h.Connector.Respond(HttpStatusCode.TooManyRequests, null, ("Retry-After", "3"));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("alert"), ConnectorRetry.RejectedOnly));

        Assert.Equal(ConnectorException.TimeoutCode, error.Code);
        Assert.False(error.MayHaveBeenDelivered);
        Assert.Single(h.Connector.Calls);
    }

    [Fact]
    public async Task Rejected_only_sends_are_still_retried_after_429_and_412()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(HttpStatusCode.TooManyRequests, null, ("Retry-After", "0"));
        h.Connector.Respond(HttpStatusCode.PreconditionFailed);

        var result = await h.Client.CreateChannelThreadAsync(h.ServiceUrl, OutboundHarness.TenantId, "19:ops@thread.tacv2",
            OutboundHarness.Message("root"), ConnectorRetry.RejectedOnly);

        Assert.NotNull(result.Id);
        Assert.Equal(3, h.Connector.Calls.Count);
    }

    [Fact]
    public async Task A_send_without_retry_hands_even_a_429_straight_back_to_its_caller()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(HttpStatusCode.TooManyRequests, """{"error":{"code":"Throttled","message":"slow down"}}""", ("Retry-After", "1"));

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.CreateChannelThreadAsync(h.ServiceUrl, OutboundHarness.TenantId,
            "19:ops@thread.tacv2", OutboundHarness.Message("root"), ConnectorRetry.None));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.Status);
        Assert.Equal(TimeSpan.FromSeconds(1), error.RetryAfter);
        Assert.True(error.IsTransient);
        Assert.Single(h.Connector.Calls);
    }

    [Fact]
    public async Task Attempt_timeout_is_retried_for_idempotent_calls()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:Connector:AttemptTimeout"] = "00:00:00.300");
        h.Connector.RespondAfter(TimeSpan.FromSeconds(3));
        var update = OutboundHarness.Message("v2");
        update.Id = "1";

        var result = await h.Client.UpdateActivityAsync(h.ServiceUrl, update);

        Assert.NotNull(result.Id);
        Assert.Equal(2, h.Connector.Calls.Count);
    }

    [Fact]
    public async Task Attempt_timeout_of_a_rejected_only_send_surfaces_as_possibly_delivered()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:Connector:AttemptTimeout"] = "00:00:00.300");
        h.Connector.RespondAfter(TimeSpan.FromSeconds(3));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("alert"), ConnectorRetry.RejectedOnly));

        Assert.Equal(ConnectorException.TimeoutCode, error.Code);
        Assert.True(error.MayHaveBeenDelivered);
        Assert.Single(h.Connector.Calls);
    }

    [Fact]
    public async Task Connection_refused_is_reported_as_not_delivered()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["MicrosoftAppId"] = "");
        var deadUrl = h.ServiceUrl;
        await h.Connector.DisposeAsync();

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            h.Client.SendToConversationAsync(deadUrl, OutboundHarness.Message("alert"), ConnectorRetry.RejectedOnly));

        Assert.Equal(ConnectorException.TransportErrorCode, error.Code);
        Assert.False(error.MayHaveBeenDelivered);
    }

    [Fact]
    public async Task A_retry_after_beyond_the_limit_is_handed_to_the_caller()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:Connector:MaxRetryAfter"] = "00:00:05");
        h.Connector.Respond(HttpStatusCode.TooManyRequests, """{"error":{"code":"Throttled","message":"later"}}""", ("Retry-After", "120"));

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
        Assert.Single(h.Connector.Calls);
    }

    [Fact]
    public async Task Retry_after_dates_are_read_against_the_connector_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:Connector:MaxRetryAfter"] = "00:00:05",
            services: s => s.AddKeyedSingleton<TimeProvider>(ConnectorClient.ClockKey, clock));
        h.Connector.Respond(HttpStatusCode.TooManyRequests, null, ("Retry-After", clock.GetUtcNow().AddSeconds(90).ToString("R")));

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.Equal(TimeSpan.FromSeconds(90), error.RetryAfter);
        Assert.Single(h.Connector.Calls);
    }

    [Fact]
    public async Task Single_attempt_configuration_disables_retries()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:Connector:MaxAttempts"] = "1");
        h.Connector.Respond(HttpStatusCode.ServiceUnavailable);

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.Status);
        Assert.Single(h.Connector.Calls);
    }
}
