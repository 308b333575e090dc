using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace OpsBot.Testing;

/// <summary>
/// The hostile side of the fake connector: a <see cref="FaultProfile"/> drawn per write (POST, PUT) with a seeded random, the
/// record of every write it processed (<see cref="Processed"/>), and the checks a delivery test makes on the connector's clock.
/// </summary>
public sealed partial class FakeConnector
{
    private volatile FaultProfile _faults = FaultProfile.Friendly;
    private readonly object _randomGate = new();
    private Random _random = new(1);
    private long _sequence;
    private readonly ConcurrentDictionary<Fault, int> _tally = new();

    /// <summary>Every write the connector processed (what Teams would show), in processing order, with the connector's arrival time.</summary>
    public ConcurrentQueue<ConnectorWrite> Processed { get; } = new();

    /// <summary>The faults applied to writes from now on; may be replaced at any time, also while OpsBot is sending.</summary>
    public FaultProfile Faults
    {
        get => _faults;
        set => _faults = value.Validated();
    }

    /// <summary>Restarts the fault draws from <paramref name="seed"/> (the connector starts with seed 1).</summary>
    public void Reseed(int seed)
    {
        lock (_randomGate) _random = new Random(seed);
    }

    /// <summary>How many writes were answered with (or suffered) <paramref name="fault"/> so far.</summary>
    public int Answered(Fault fault) => _tally.TryGetValue(fault, out var n) ? n : 0;

    /// <summary>Writes that reached the connector (every POST and PUT, whatever the answer).</summary>
    public IEnumerable<RecordedCall> Writes => Calls.Where(c => c.Method is "POST" or "PUT");

    /// <summary>The most calls (every method and answer, 429s included, as Teams counts them) in any window of <paramref name="seconds"/>, whole tenant.</summary>
    public int MaxTenantCalls(double seconds = 1) => MaxPerWindow(Calls, TimeSpan.FromSeconds(seconds));

    /// <summary>The most calls to one conversation in any window of <paramref name="seconds"/> (a thread counts as its channel).</summary>
    public int MaxConversationCalls(double seconds = 1) =>
        MaxPerWindow(Calls.Where(c => ConversationOf(c) != ""), TimeSpan.FromSeconds(seconds), ConversationOf);

    /// <summary>The busiest window of <paramref name="seconds"/> ("key from … : n calls"), for assertion messages.</summary>
    public string BusiestWindow(double seconds = 1, bool perConversation = false)
    {
        var window = TimeSpan.FromSeconds(seconds);
        var best = (Key: "", Start: DateTimeOffset.MinValue, Count: 0);
        foreach (var g in Calls.Where(c => !perConversation || ConversationOf(c) != "").GroupBy(c => perConversation ? ConversationOf(c) : "tenant"))
        {
            var times = g.Select(c => c.At).Order().ToList();
            for (int end = 0, start = 0; end < times.Count; end++)
            {
                while (times[end] - times[start] >= window) start++;
                if (end - start + 1 > best.Count) best = (g.Key, times[start], end - start + 1);
            }
        }
        return $"{best.Key} from {best.Start:HH:mm:ss.fff}: {best.Count} calls in {seconds} s";
    }

    /// <summary>Processed posts (new activities, not updates) per <paramref name="key"/> (e.g. text, or conversation for one alert); keys that are null are left out.</summary>
    public Dictionary<string, int> PostsPer(Func<ConnectorWrite, string?> key) =>
        Processed.Where(w => w.Method == "POST").Select(key).OfType<string>()
            .GroupBy(k => k, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>For every posted activity (the id the POST answered), the last write the connector processed for it: the post or its latest update.</summary>
    public Dictionary<string, ConnectorWrite> LatestPerActivity()
    {
        var writes = Processed.ToList();
        var posted = writes.Where(w => w.Method == "POST").Select(w => w.ActivityId).ToHashSet(StringComparer.Ordinal);
        return writes.Where(w => posted.Contains(w.ActivityId)).GroupBy(w => w.ActivityId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(w => w.Sequence)!, StringComparer.Ordinal);
    }

    /// <summary>The Adaptive Card of a post or update (first attachment; the create's activity for channel threads).</summary>
    public static JsonNode? CardOf(RecordedCall call) =>
        (call.Body?["attachments"] ?? call.Body?["activity"]?["attachments"])?.AsArray().FirstOrDefault()?["content"];

    /// <summary>The state version a card carries in its actions' data (<c>"data": {"version": n}</c>); null when it has none.</summary>
    public static int? CardVersion(JsonNode? card)
    {
        switch (card)
        {
            case JsonObject o:
                if (o["data"] is JsonObject data && data["version"] is JsonValue v)
                {
                    if (v.TryGetValue<int>(out var n)) return n;
                    if (v.TryGetValue<string>(out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out n)) return n;
                }
                foreach (var (_, child) in o)
                    if (CardVersion(child) is { } found) return found;
                return null;
            case JsonArray a:
                foreach (var child in a)
                    if (CardVersion(child) is { } found) return found;
                return null;
            default:
                return null;
        }
    }

    private Fault Draw(FaultProfile p)
    {
        if (!p.Any) return Fault.None;
        double u;
        lock (_randomGate) u = _random.NextDouble();
        foreach (var (fault, rate) in p.Rates())
        {
            if (u < rate) return fault;
            u -= rate;
        }
        return Fault.None;
    }

    private void Tally(Fault fault) => _tally.AddOrUpdate(fault, 1, (_, n) => n + 1);
}

/// <summary>What the connector did to one write.</summary>
public enum Fault
{
    /// <summary>Processed and answered at once.</summary>
    None,
    /// <summary>429 during <see cref="FaultProfile.StormUntil"/>; not processed.</summary>
    Storm,
    /// <summary>429 from <see cref="FakeConnector.EnforceLimits"/>; not processed.</summary>
    Limit,
    /// <summary>429 with Retry-After drawn at <see cref="FaultProfile.Throttle429Rate"/>; not processed.</summary>
    Throttle429,
    /// <summary>502, not processed.</summary>
    BadGateway502,
    /// <summary>503 (Retry-After when configured), not processed.</summary>
    Unavailable503,
    /// <summary>Processed, then answered 504.</summary>
    GatewayTimeout504,
    /// <summary>Request read, connection aborted, not processed.</summary>
    ResetBeforeProcessing,
    /// <summary>Processed, then connection aborted without an answer.</summary>
    ResetAfterProcessing,
    /// <summary>Processed, answered after <see cref="FaultProfile.SlowDelay"/>.</summary>
    Slow,
}

/// <summary>
/// Per-write fault rates (0–1, drawn once per POST/PUT, at most one fault per write, rates together ≤ 1) and a 429 storm.
/// <c>connector.Faults = new FaultProfile { Throttle429Rate = 0.3, RetryAfterSeconds = 2 };</c>
/// </summary>
public sealed record FaultProfile
{
    public static readonly FaultProfile Friendly = new();

    public double Throttle429Rate { get; init; }
    /// <summary>Retry-After of random 429s and of the storm.</summary>
    public int RetryAfterSeconds { get; init; } = 2;
    /// <summary>Every write before this time (connector clock) is answered 429 with <see cref="RetryAfterSeconds"/>.</summary>
    public DateTimeOffset? StormUntil { get; init; }
    public double BadGateway502Rate { get; init; }
    public double Unavailable503Rate { get; init; }
    /// <summary>Retry-After on 503 answers; none when null.</summary>
    public int? Unavailable503RetryAfterSeconds { get; init; }
    /// <summary>Processed (delivered), then answered 504.</summary>
    public double GatewayTimeout504Rate { get; init; }
    /// <summary>Request read, then the connection aborted without processing (not delivered).</summary>
    public double ResetBeforeProcessingRate { get; init; }
    /// <summary>Processed (delivered), then the connection aborted without an answer.</summary>
    public double ResetAfterProcessingRate { get; init; }
    /// <summary>Processed (delivered), answered only after <see cref="SlowDelay"/>.</summary>
    public double SlowRate { get; init; }
    public TimeSpan SlowDelay { get; init; } = TimeSpan.FromSeconds(12);

    internal bool Any => Rates().Any(r => r.Rate > 0);

    internal IEnumerable<(Fault Fault, double Rate)> Rates() =>
    [
        (Fault.Throttle429, Throttle429Rate), (Fault.BadGateway502, BadGateway502Rate), (Fault.Unavailable503, Unavailable503Rate),
        (Fault.GatewayTimeout504, GatewayTimeout504Rate), (Fault.ResetBeforeProcessing, ResetBeforeProcessingRate),
        (Fault.ResetAfterProcessing, ResetAfterProcessingRate), (Fault.Slow, SlowRate),
    ];

    internal FaultProfile Validated()
    {
        if (Rates().Any(r => r.Rate is < 0 or > 1) || Rates().Sum(r => r.Rate) > 1 + 1e-9)
            throw new ArgumentException("Fault rates must each be within 0–1 and add up to at most 1.");
        return this;
    }
}

/// <summary>
/// A write the connector processed: arrival time on the connector's clock, the conversation it addresses, the activity id it
/// created (POST) or updated (PUT), its text and card, and the fault applied after processing (<see cref="Fault.None"/> if none).
/// </summary>
public sealed record ConnectorWrite(long Sequence, DateTimeOffset At, string Method, string Path, string Conversation, string ActivityId,
    string? Text, JsonNode? Card, Fault Fault)
{
    public int? CardVersion => FakeConnector.CardVersion(Card);
}
