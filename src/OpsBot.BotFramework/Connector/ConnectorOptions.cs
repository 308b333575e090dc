namespace OpsBot.BotFramework.Connector;

/// <summary>Retry and timeout settings of the connector pipeline (protocol doc §4.5), section <c>Bot:Connector</c>.</summary>
public sealed class ConnectorOptions
{
    /// <summary>Base of the full-jitter exponential backoff: attempt n waits a random time in [0, min(cap, base·2ⁿ)].</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Attempts in all, the first one included.</summary>
    public int MaxAttempts { get; set; } = 5;
    /// <summary>A 429 whose Retry-After is longer is not waited for here; the caller gets it (RetryAfter set) to reschedule.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Page size asked of <c>pagedmembers</c>; null lets the service choose.</summary>
    public int? MembersPageSize { get; set; }
}

/// <summary>Which failures the pipeline may retry for one call.</summary>
public enum ConnectorRetry
{
    /// <summary>412, 429, 502, 503, 504 and transport timeouts (safe for PUT, DELETE, GET and for replies where a rare duplicate is acceptable).</summary>
    All,
    /// <summary>
    /// Only answers that prove the request was not processed (412, 429). For non-idempotent POSTs whose caller (the outbox)
    /// must decide itself what a 5xx or timeout means; those surface with <see cref="ConnectorException.MayHaveBeenDelivered"/>.
    /// </summary>
    RejectedOnly,
    /// <summary>
    /// No retry at all: every failure, 429 included, goes straight back to a caller that paces and retries itself with state
    /// shared across instances (the outbox dispatcher).
    /// </summary>
    None,
}
