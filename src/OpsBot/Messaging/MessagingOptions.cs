using OpsBot.Settings;

namespace OpsBot.Messaging;

/// <summary>Section <c>Messaging</c>: the outbox dispatcher and Teams' rate limits (protocol doc §9, ADR 0005).</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>Run the dispatcher in this process (turn off for a web-only instance).</summary>
    public bool DispatcherEnabled { get; set; } = true;
    /// <summary>
    /// This instance's name in the store; defaults to host name + process id + a random suffix. Give each instance a stable
    /// name so that, after a crash, the restarted instance takes its unfinished rows back at once.
    /// </summary>
    public string? InstanceId { get; set; }
    /// <summary>Messages per second to one conversation (Teams: 7 per second per bot per thread; 8 per 2 s is also kept).</summary>
    [Positive]
    public double PerConversationPerSecond { get; set; } = 7;
    /// <summary>Messages per second for the whole app in one tenant, for the whole deployment (one instance sends for a tenant).</summary>
    [Positive]
    public double PerTenantPerSecond { get; set; } = 50;
    /// <summary>
    /// Teams counts calls in sliding windows and network jitter can bring evenly spaced calls closer together, so the
    /// dispatcher paces at this fraction of the limits above; half of the remaining margin absorbs late timer wake-ups
    /// (<see cref="PaceTolerance"/>) without a 1 s window ever holding more than the limit.
    /// </summary>
    public double RateSafetyFactor { get; set; } = 0.98;
    internal TimeSpan TenantGap => TimeSpan.FromSeconds(1 / (PerTenantPerSecond * RateSafetyFactor));
    internal TimeSpan ConversationGap => TimeSpan.FromSeconds(1 / (PerConversationPerSecond * RateSafetyFactor));
    /// <summary>
    /// How early a send may go against its pace: paced at rate r·f with tolerance τ, any window of length W holds at
    /// most ⌊(W + 2τ)·r·f⌋ + 1 sends, which is at most r for any W below 1 s while 2τ ≤ (1/f − 1) s; this uses 0.9 of that.
    /// </summary>
    internal TimeSpan PaceTolerance => RateSafetyFactor >= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds(0.45 * (1 / RateSafetyFactor - 1));
    /// <summary>Rows claimed per round.</summary>
    [Positive]
    public int BatchSize { get; set; } = 100;
    /// <summary>Rows this instance holds at once (claimed, waiting for their turn or with the connector).</summary>
    [Positive]
    public int MaxInFlight { get; set; } = 64;
    [Positive]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>How often an instance renews its heartbeat, which is the lease on everything it holds.</summary>
    [Positive]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// An instance whose heartbeat is older than this is gone: others take over its tenants and rows. An instance stops
    /// sending on its own well before (when its last heartbeat is older than half of this), so two never send for one tenant.
    /// </summary>
    [Positive]
    public TimeSpan InstanceTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Backoff after an error that is not throttling: full jitter, base·2ⁿ capped.</summary>
    [Positive]
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(1);
    [Positive]
    public TimeSpan BackoffCap { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Per connector call.</summary>
    [Positive]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// A message still not delivered this long after it was queued fails (visibly: status, API, and the alert's owner is
    /// told). Throttling (429, 503 with Retry-After) never fails a message before this.
    /// </summary>
    [Positive]
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(1);
}
