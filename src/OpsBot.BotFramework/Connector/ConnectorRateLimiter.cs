using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OpsBot.BotFramework.Connector;

/// <summary>
/// Teams bot limits (protocol doc §9) for this process's connector calls. The outbox paces its own calls for the whole
/// deployment (docs/decisions/0005-delivery-engine.md); this limiter paces the rest (turn replies) and guards both.
/// </summary>
public sealed class RateLimitOptions
{
    public bool Enabled { get; set; } = true;
    public int ConversationPerSecond { get; set; } = 7;
    public int ConversationPerTwoSeconds { get; set; } = 8;
    public int ConversationPerThirtySeconds { get; set; } = 60;
    public int ConversationPerHour { get; set; } = 1800;
    public int TenantPerSecond { get; set; } = 50;
}

/// <summary>
/// In-process pacing of connector writes: sliding windows per conversation (7/1 s, 8/2 s, 60/30 s, 1800/h) and per tenant
/// (50/s). Each caller reserves the earliest slot that keeps every window within its limit and waits for it. Within a
/// conversation slots are handed out in order (messages keep their order); across the tenant a slot may fall between
/// reservations already made, so a conversation that waits (or is paused by a 429) does not hold up the others.
/// </summary>
public sealed class ConnectorRateLimiter
{
    private readonly (int Limit, TimeSpan Window)[] _conversationWindows;
    private readonly (int Limit, TimeSpan Window)[] _tenantWindows;
    private readonly bool _enabled;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, ConversationLog> _conversations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TenantLog> _tenants = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _reservationsSinceSweep;

    public ConnectorRateLimiter(IOptions<RateLimitOptions> options, [FromKeyedServices(ConnectorClient.ClockKey)] TimeProvider time)
    {
        var o = options.Value;
        _conversationWindows =
        [
            (Math.Max(1, o.ConversationPerSecond), TimeSpan.FromSeconds(1)),
            (Math.Max(1, o.ConversationPerTwoSeconds), TimeSpan.FromSeconds(2)),
            (Math.Max(1, o.ConversationPerThirtySeconds), TimeSpan.FromSeconds(30)),
            (Math.Max(1, o.ConversationPerHour), TimeSpan.FromHours(1)),
        ];
        _tenantWindows = [(Math.Max(1, o.TenantPerSecond), TimeSpan.FromSeconds(1))];
        _enabled = o.Enabled;
        _time = time;
    }

    /// <summary>Waits for a slot in the conversation's and the tenant's windows.</summary>
    public async Task AcquireAsync(string? conversationKey, string? tenantKey, CancellationToken ct)
    {
        var wait = Reserve(conversationKey, tenantKey, TimeSpan.Zero);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, ct);
    }

    /// <summary>
    /// Reserves the earliest slot at or after now + <paramref name="notBefore"/> and returns how long to wait for it
    /// (used by the retry strategy so a retried attempt re-enters the limiter).
    /// </summary>
    public TimeSpan Reserve(string? conversationKey, string? tenantKey, TimeSpan notBefore)
    {
        var now = _time.GetUtcNow();
        if (!_enabled) return notBefore;
        lock (_lock)
        {
            var slot = now + notBefore;
            ConversationLog? conversation = null;
            TenantLog? tenant = null;
            if (conversationKey is not null)
            {
                if (!_conversations.TryGetValue(conversationKey, out conversation))
                    _conversations[conversationKey] = conversation = new ConversationLog(_conversationWindows.Max(w => w.Limit));
                slot = Max(slot, conversation.Earliest(_conversationWindows));
            }
            if (tenantKey is not null)
            {
                if (!_tenants.TryGetValue(tenantKey, out tenant)) _tenants[tenantKey] = tenant = new TenantLog();
                slot = tenant.EarliestAtOrAfter(slot, _tenantWindows, now);
            }
            conversation?.Add(slot);
            tenant?.Add(slot);
            if (++_reservationsSinceSweep >= 1024) Sweep(now);
            return slot - now;
        }
    }

    /// <summary>Feedback from a 429: no slot for this conversation before <paramref name="retryAfter"/> has passed.</summary>
    public void Pause(string conversationKey, TimeSpan retryAfter)
    {
        if (!_enabled || retryAfter <= TimeSpan.Zero) return;
        lock (_lock)
        {
            if (!_conversations.TryGetValue(conversationKey, out var log))
                _conversations[conversationKey] = log = new ConversationLog(_conversationWindows.Max(w => w.Limit));
            var until = _time.GetUtcNow() + retryAfter;
            if (until > log.PausedUntil) log.PausedUntil = until;
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        _reservationsSinceSweep = 0;
        var horizon = now - TimeSpan.FromHours(1);
        foreach (var (key, log) in _conversations.ToArray())
            if (log.Last < horizon && log.PausedUntil < now) _conversations.Remove(key);
        foreach (var (key, log) in _tenants.ToArray())
            if (log.IsIdle(now - TimeSpan.FromMinutes(1))) _tenants.Remove(key);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>
    /// A conversation's slots in the order handed out: a ring holding the last <c>capacity</c> slots. It starts small and
    /// grows only while the conversation keeps sending, so a fan-out to many conversations costs a few bytes each.
    /// </summary>
    private sealed class ConversationLog(int capacity)
    {
        private DateTimeOffset[] _ring = new DateTimeOffset[Math.Min(capacity, 2)];
        private int _count;
        private int _next;

        public DateTimeOffset PausedUntil { get; set; } = DateTimeOffset.MinValue;
        public DateTimeOffset Last { get; private set; } = DateTimeOffset.MinValue;

        /// <summary>The earliest time after the last slot at which one more slot keeps every window under its limit.</summary>
        public DateTimeOffset Earliest((int Limit, TimeSpan Window)[] windows)
        {
            var earliest = Max(PausedUntil, Last);
            foreach (var (limit, window) in windows)
                if (_count >= limit) earliest = Max(earliest, FromEnd(limit) + window);
            return earliest;
        }

        public void Add(DateTimeOffset slot)
        {
            if (_count == _ring.Length && _ring.Length < capacity)
            {
                // Full and in order (oldest at _next): copy out oldest first into a larger ring.
                var grown = new DateTimeOffset[Math.Min(capacity, _ring.Length * 2)];
                Array.Copy(_ring, _next, grown, 0, _ring.Length - _next);
                Array.Copy(_ring, 0, grown, _ring.Length - _next, _next);
                _next = _ring.Length;
                _ring = grown;
            }
            _ring[_next] = slot;
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
            Last = slot;
        }

        /// <summary>The <paramref name="k"/>-th most recent slot (1 = last).</summary>
        private DateTimeOffset FromEnd(int k) => _ring[((_next - k) % _ring.Length + _ring.Length) % _ring.Length];
    }

    /// <summary>A tenant's slots, sorted; a new slot may go between existing ones if no window around it overflows.</summary>
    private sealed class TenantLog
    {
        private readonly List<DateTimeOffset> _slots = [];

        public bool IsIdle(DateTimeOffset horizon) => _slots.Count == 0 || _slots[^1] < horizon;

        public DateTimeOffset EarliestAtOrAfter(DateTimeOffset from, (int Limit, TimeSpan Window)[] windows, DateTimeOffset now)
        {
            _slots.RemoveRange(0, UpperBound(now - windows.Max(w => w.Window)));
            var t = from;
            while (NextCandidate(t, windows) is { } next) t = next;
            return t;
        }

        public void Add(DateTimeOffset slot) => _slots.Insert(UpperBound(slot), slot);

        /// <summary>
        /// Null when a slot at <paramref name="t"/> keeps every window containing it under its limit; otherwise the end of a
        /// full window containing <paramref name="t"/>: no time before that end (and at or after t) can fit either.
        /// </summary>
        private DateTimeOffset? NextCandidate(DateTimeOffset t, (int Limit, TimeSpan Window)[] windows)
        {
            foreach (var (limit, window) in windows)
            {
                for (var j = UpperBound(t - window); j < _slots.Count && _slots[j] <= t; j++)
                    if (LowerBound(_slots[j] + window) - j + 1 > limit) return _slots[j] + window;
                var first = LowerBound(t);
                if (LowerBound(t + window) - first + 1 > limit) return _slots[first] + window;
            }
            return null;
        }

        /// <summary>Index of the first slot ≥ <paramref name="value"/>.</summary>
        private int LowerBound(DateTimeOffset value)
        {
            int lo = 0, hi = _slots.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (_slots[mid] < value) lo = mid + 1; else hi = mid;
            }
            return lo;
        }

        /// <summary>Index of the first slot &gt; <paramref name="value"/>.</summary>
        private int UpperBound(DateTimeOffset value)
        {
            int lo = 0, hi = _slots.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (_slots[mid] <= value) lo = mid + 1; else hi = mid;
            }
            return lo;
        }
    }
}
