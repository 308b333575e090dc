namespace OpsBot.Messaging;

/// <summary>
/// Teams' write limits for the tenants this instance sends for (it is their only sender, ADR 0005), kept in memory and
/// taken immediately before each connector call:
/// <list type="bullet">
/// <item>per tenant a GCRA at rate·f: each send advances the tenant's theoretical time by one gap and may go up to a small
/// tolerance before it, so a timer that wakes a little late does not push every later send back; and a sliding log of at most
/// rate sends per 1 s + 40 ms, so calls that a stall on the way bunches together still fit one second on the connector's clock;</item>
/// <item>per conversation the same GCRA plus sliding logs for 8 per 2 s, 60 per 30 s and 1,800 per hour, each window widened by
/// a margin so that jitter between here and the connector cannot fit one call too many into a window;</item>
/// <item>pauses after a 429 (its Retry-After) per conversation or per tenant.</item>
/// </list>
/// </summary>
public sealed class SendPacer(MessagingOptions options, TimeProvider clock)
{
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(60);
    private static readonly TimeSpan TenantWindow = TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(40);
    private static readonly (int Limit, TimeSpan Window)[] ConversationWindows =
    [
        (8, TimeSpan.FromSeconds(2) + Margin),
        (60, TimeSpan.FromSeconds(30) + Margin),
        (1800, TimeSpan.FromHours(1) + Margin),
    ];

    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTime> _next = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<DateTime>> _logs = new(StringComparer.Ordinal);
    private int _sinceSweep;

    /// <summary>How long until a send for (<paramref name="tenant"/>, <paramref name="conversation"/>) may go; zero = now.</summary>
    public TimeSpan Delay(string tenant, string conversation)
    {
        lock (_lock) return DelayLocked(tenant, conversation, Now);
    }

    /// <summary>Takes the send slot if it is due now; otherwise returns how long to wait.</summary>
    public bool TryTake(string tenant, string conversation, out TimeSpan wait)
    {
        lock (_lock)
        {
            var now = Now;
            wait = DelayLocked(tenant, conversation, now);
            if (wait > TimeSpan.Zero) return false;
            var earliest = now - options.PaceTolerance;
            _next[tenant] = Max(_next.GetValueOrDefault(tenant, earliest), earliest) + options.TenantGap;
            _next[conversation] = Max(_next.GetValueOrDefault(conversation, earliest), earliest) + options.ConversationGap;
            if (!_logs.TryGetValue(conversation, out var log)) _logs[conversation] = log = new Queue<DateTime>();
            log.Enqueue(now);
            if (!_logs.TryGetValue(tenant, out var tenantLog)) _logs[tenant] = tenantLog = new Queue<DateTime>();
            tenantLog.Enqueue(now);
            if (++_sinceSweep >= 4096) Sweep(now);
            return true;
        }
    }

    /// <summary>Waits for the slot and takes it.</summary>
    public async Task TakeAsync(string tenant, string conversation, CancellationToken ct)
    {
        while (!TryTake(tenant, conversation, out var wait)) await Task.Delay(wait, clock, ct);
    }

    /// <summary>No send for <paramref name="key"/> (a tenant or a conversation key) before <paramref name="until"/>.</summary>
    public void Pause(string key, DateTime until)
    {
        lock (_lock)
        {
            var at = until + options.PaceTolerance;
            if (!_next.TryGetValue(key, out var current) || current < at) _next[key] = at;
        }
    }

    /// <summary>When the key may send next (its pause or pace), for hand-over to another instance.</summary>
    public DateTime NextAt(string key)
    {
        lock (_lock) return _next.GetValueOrDefault(key);
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private TimeSpan DelayLocked(string tenant, string conversation, DateTime now)
    {
        var tolerance = options.PaceTolerance;
        var at = Max(_next.GetValueOrDefault(tenant, now), _next.GetValueOrDefault(conversation, now)) - tolerance;
        if (_logs.TryGetValue(conversation, out var log) && log.Count > 0)
        {
            while (log.Count > 0 && now - log.Peek() >= ConversationWindows[^1].Window) log.Dequeue();
            foreach (var (limit, window) in ConversationWindows)
            {
                if (log.Count < limit) continue;
                // The send that would make limit + 1 in the window may go once the limit-th newest one has left it.
                var nth = log.ElementAt(log.Count - limit);
                at = Max(at, nth + window);
            }
        }
        var tenantLimit = Math.Max(1, (int)options.PerTenantPerSecond);
        if (_logs.TryGetValue(tenant, out var sent))
        {
            while (sent.Count > 0 && now - sent.Peek() >= TenantWindow) sent.Dequeue();
            if (sent.Count >= tenantLimit) at = Max(at, sent.ElementAt(sent.Count - tenantLimit) + TenantWindow);
        }
        return at > now ? at - now : TimeSpan.Zero;
    }

    private void Sweep(DateTime now)
    {
        _sinceSweep = 0;
        foreach (var key in _next.Where(p => p.Value < now - TimeSpan.FromSeconds(5)).Select(p => p.Key).ToList()) _next.Remove(key);
        foreach (var key in _logs.Where(p => p.Value.Count == 0 || now - p.Value.Last() >= ConversationWindows[^1].Window).Select(p => p.Key).ToList())
            _logs.Remove(key);
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;
}
