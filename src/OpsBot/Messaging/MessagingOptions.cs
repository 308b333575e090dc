namespace OpsBot.Messaging;

/// <summary>Section <c>Messaging</c>: the outbox dispatcher and Teams' rate limits (protocol doc §9).</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>Run the dispatcher in this process (turn off for a web-only instance).</summary>
    public bool DispatcherEnabled { get; set; } = true;
    /// <summary>Lease owner name; defaults to host name + process id + a random suffix.</summary>
    public string? InstanceId { get; set; }
    /// <summary>Messages per second to one conversation (Teams: 7 per second per bot per thread).</summary>
    public double PerConversationPerSecond { get; set; } = 7;
    /// <summary>Messages per second for the whole app in one tenant, across all instances (Teams: 50).</summary>
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
    /// How early a send may go against its local pace: paced at rate r·f with tolerance τ, any window of length W holds at
    /// most ⌊(W + 2τ)·r·f⌋ + 1 sends, which is at most r for any W below 1 s while 2τ ≤ (1/f − 1) s; this uses 0.9 of that.
    /// </summary>
    internal TimeSpan PaceTolerance => RateSafetyFactor >= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds(0.45 * (1 / RateSafetyFactor - 1));
    public int BatchSize { get; set; } = 100;
    /// <summary>Connector calls in flight at once in this instance.</summary>
    public int MaxInFlight { get; set; } = 64;
    public int LeaseSeconds { get; set; } = 60;
    public int PollMilliseconds { get; set; } = 200;
    /// <summary>How far ahead send slots are reserved in one claim.</summary>
    public int HorizonMilliseconds { get; set; } = 1000;
    public int MaxAttempts { get; set; } = 8;
    public double BackoffBaseSeconds { get; set; } = 1;
    public double BackoffCapSeconds { get; set; } = 30;
    /// <summary>Per connector call.</summary>
    public int CallTimeoutSeconds { get; set; } = 30;
    /// <summary>What to do with a row found in flight after its instance stopped mid-POST: <c>MarkPossiblySent</c> (default) or <c>Resend</c>.</summary>
    public AmbiguousPolicy AmbiguousPolicy { get; set; } = AmbiguousPolicy.MarkPossiblySent;
}

public enum AmbiguousPolicy { MarkPossiblySent, Resend }
