using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace OpsBot.BotFramework.Connector;

/// <summary>
/// The connector's resilience pipeline (protocol doc §4.5): total timeout → retry → attempt timeout.
/// Retries 412, 429 (after Retry-After), 502, 503, 504 and transport timeouts with full-jitter exponential backoff;
/// never 400/401/403/404/413/500. Every retried attempt re-enters the rate limiter through the delay it waits.
/// </summary>
internal static class ConnectorPipeline
{
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, ResilienceHandlerContext context)
    {
        var services = context.ServiceProvider;
        var options = services.GetRequiredService<IOptions<ConnectorOptions>>().Value;
        var limiter = services.GetRequiredService<ConnectorRateLimiter>();
        var time = services.GetRequiredKeyedService<TimeProvider>(ConnectorClient.ClockKey);
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectorClient));

        pipeline.TimeProvider = time;
        pipeline.AddTimeout(options.TotalTimeout);
        if (options.MaxAttempts > 1) pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            ShouldRetryAfterHeader = false,
            MaxRetryAttempts = options.MaxAttempts - 1,
            ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context, options, time)),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(NextDelay(args, options, limiter, time)),
            OnRetry = args =>
            {
                log.LogWarning("Connector {Method} {Host} failed ({Failure}); attempt {Attempt} in {Delay} ms",
                    args.Context.GetRequestMessage()?.Method, args.Context.GetRequestMessage()?.RequestUri?.Host,
                    args.Outcome.Result is { } r ? ((int)r.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : args.Outcome.Exception?.GetType().Name,
                    args.AttemptNumber + 2, (long)args.RetryDelay.TotalMilliseconds);
                return ValueTask.CompletedTask;
            },
        });
        pipeline.AddTimeout(options.AttemptTimeout);
    }

    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, ConnectorOptions options, TimeProvider time)
    {
        var mode = ConnectorRequest.GetRetry(context.GetRequestMessage());
        if (mode == ConnectorRetry.None) return false;
        if (outcome.Result is { } response)
        {
            return (int)response.StatusCode switch
            {
                412 => true,
                429 => RetryAfter(response, time) is not { } wait || wait <= options.MaxRetryAfter,
                502 or 503 or 504 => mode == ConnectorRetry.All,
                _ => false,
            };
        }
        return outcome.Exception switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => true,
            TimeoutRejectedException or HttpRequestException => mode == ConnectorRetry.All,
            _ => false,
        };
    }

    private static TimeSpan NextDelay(RetryDelayGeneratorArguments<HttpResponseMessage> args, ConnectorOptions options, ConnectorRateLimiter limiter, TimeProvider time)
    {
        var throttled = args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests;
        var delay = throttled && RetryAfter(args.Outcome.Result!, time) is { } retryAfter
            ? retryAfter
            : FullJitter(args.AttemptNumber, options);
        var (conversation, tenant) = ConnectorRequest.GetKeys(args.Context.GetRequestMessage());
        if (conversation is null) return delay;
        if (throttled) limiter.Pause(conversation, delay);
        return limiter.Reserve(conversation, tenant, delay);
    }

    internal static TimeSpan FullJitter(int attempt, ConnectorOptions options)
    {
        var ceiling = Math.Min(options.RetryMaxDelay.TotalMilliseconds, options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }

    /// <summary>Retry-After as delta-seconds or HTTP-date (relative to <paramref name="time"/>); null when absent.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }
}

/// <summary>Connector handler in front of the resilience pipeline: waits for a rate-limit slot before the first attempt and feeds a final 429 back.</summary>
public sealed class ConnectorRateLimitHandler(ConnectorRateLimiter limiter, [FromKeyedServices(ConnectorClient.ClockKey)] TimeProvider time)
    : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (conversation, tenant) = ConnectorRequest.GetKeys(request);
        if (conversation is not null) await limiter.AcquireAsync(conversation, tenant, cancellationToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (conversation is not null && response.StatusCode == HttpStatusCode.TooManyRequests)
            limiter.Pause(conversation, ConnectorPipeline.RetryAfter(response, time) ?? TimeSpan.Zero);
        return response;
    }
}

/// <summary>
/// Innermost connector handler: remembers, per POST, whether any attempt may have reached the service (no answer, or a 5xx).
/// An answer below 500 or a refused connection proves that attempt was not processed.
/// </summary>
public sealed class ConnectorAttemptHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Post) return await base.SendAsync(request, cancellationToken);
        var before = ConnectorRequest.PossiblyDelivered(request);
        request.Options.Set(ConnectorRequest.PossiblyDeliveredKey, true);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            request.Options.Set(ConnectorRequest.PossiblyDeliveredKey, before);
            throw;
        }
        if ((int)response.StatusCode < 500) request.Options.Set(ConnectorRequest.PossiblyDeliveredKey, before);
        return response;
    }
}
