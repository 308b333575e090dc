namespace OpsBot.Messaging;

/// <summary>
/// Teams' write limits for the tenants this instance sends for (it is their only sender, ADR 0005), kept in memory and
/// taken immediately before each connector call:
/// <list type="bullet">
/// <item>a GCRA per tenant and per conversation at rate·f, so calls go evenly spaced (each send advances the key's theoretical
/// time by one gap and may go up to a small tolerance before it, so a timer that wakes a little late does not push every later
/// send back);</item>
/// <item>sliding windows counted the way the connector counts them, on arrival: per tenant the rate per second, per
/// conversation 7 per 1 s, 8 per 2 s, 60 per 30 s and 1,800 per hour. A call arrives somewhere between its slot and its answer,
/// so a window counts every call whose answer came within it, and every call still waiting for its answer. Calls that a stall
/// on the way (a new connection, a pause) bunches together therefore still fit the windows on the connector's clock;</item>
/// <item>pauses after a 429 (its Retry-After) per conversation or per tenant.</item>
/// </list>
/// </summary>
public sealed class SendPacer(MessagingOptions options, TimeProvider clock)
{
    private static readonly (int Limit, TimeSpan Window)[] ConversationWindows =
    [
        (7, TimeSpan.FromSeconds(1)),
        (8, TimeSpan.FromSeconds(2)),
        (60, TimeSpan.FromSeconds(30)),
        (1800, TimeSpan.FromHours(1)),
    ];

    /// <summary>One call: its slot, and when its answer came back.</summary>
    public sealed class Ticket
    {
        internal DateTime Slot;
        internal DateTime? Answered;
        /// <summary>The latest the call can have arrived: its answer, or (still outstanding) any moment up to now.</summary>
        internal DateTime LatestArrival(DateTime now) => Answered ?? now;
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTime> _next = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<Ticket>> _logs = new(StringComparer.Ordinal);
    private int _sinceSweep;

    /// <summary>How long until a send for (<paramref name="tenant"/>, <paramref name="conversation"/>) may go; zero = now.</summary>
    public TimeSpan Delay(string tenant, string conversation)
    {
        lock (_lock) return DelayLocked(tenant, conversation, Now);
    }

    /// <summary>Takes the send slot if it is due now; otherwise returns how long to wait.</summary>
    public bool TryTake(string tenant, string conversation, out TimeSpan wait, out Ticket? ticket)
    {
        lock (_lock)
        {
            var now = Now;
            ticket = null;
            wait = DelayLocked(tenant, conversation, now);
            if (wait > TimeSpan.Zero) return false;
            var earliest = now - options.PaceTolerance;
            _next[tenant] = Max(_next.GetValueOrDefault(tenant, earliest), earliest) + options.TenantGap;
            _next[conversation] = Max(_next.GetValueOrDefault(conversation, earliest), earliest) + options.ConversationGap;
            ticket = new Ticket { Slot = now };
            Log(tenant).Enqueue(ticket);
            Log(conversation).Enqueue(ticket);
            if (++_sinceSweep >= 4096) Sweep(now);
            return true;
        }
    }

    /// <summary>Waits for the slot and takes it; hand the ticket to <see cref="Answered"/> when the call returns.</summary>
    public async Task<Ticket> TakeAsync(string tenant, string conversation, CancellationToken ct)
    {
        while (true)
        {
            if (TryTake(tenant, conversation, out var wait, out var ticket)) return ticket!;
            // Answers arriving meanwhile can free a window earlier than computed.
            await Task.Delay(wait < TimeSpan.FromMilliseconds(50) ? wait : TimeSpan.FromMilliseconds(50), clock, ct);
        }
    }

    /// <summary>The call's answer (or failure) came back: it arrived by now.</summary>
    public void Answered(Ticket ticket)
    {
        lock (_lock) ticket.Answered ??= Now;
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

    private Queue<Ticket> Log(string key)
    {
        if (!_logs.TryGetValue(key, out var log)) _logs[key] = log = new Queue<Ticket>();
        return log;
    }

    private TimeSpan DelayLocked(string tenant, string conversation, DateTime now)
    {
        var at = Max(_next.GetValueOrDefault(tenant, now), _next.GetValueOrDefault(conversation, now)) - options.PaceTolerance;
        at = Max(at, WindowsAllow(tenant, [(Math.Max(1, (int)options.PerTenantPerSecond), TimeSpan.FromSeconds(1))], now));
        at = Max(at, WindowsAllow(conversation, ConversationWindows, now));
        return at > now ? at - now : TimeSpan.Zero;
    }

    /// <summary>The earliest time a new call may go so that no window holds more than its limit, counting calls by latest arrival.</summary>
    private DateTime WindowsAllow(string key, (int Limit, TimeSpan Window)[] windows, DateTime now)
    {
        if (!_logs.TryGetValue(key, out var log) || log.Count == 0) return now;
        var longest = windows[^1].Window;
        while (log.Count > 0 && log.Peek().LatestArrival(now) < now - longest) log.Dequeue();
        var at = now;
        foreach (var (limit, window) in windows)
        {
            if (log.Count < limit) continue;
            var inWindow = log.Select(t => t.LatestArrival(now)).Where(a => a >= now - window).OrderDescending().ToList();
            // The new call may go once the limit-th latest of them has left the window (an outstanding one: look again soon).
            if (inWindow.Count >= limit) at = Max(at, inWindow[limit - 1] == now ? now + TimeSpan.FromMilliseconds(20) : inWindow[limit - 1] + window);
        }
        return at;
    }

    private void Sweep(DateTime now)
    {
        _sinceSweep = 0;
        foreach (var key in _next.Where(p => p.Value < now - TimeSpan.FromSeconds(5)).Select(p => p.Key).ToList()) _next.Remove(key);
        foreach (var key in _logs.Where(p => p.Value.Count == 0 || p.Value.All(t => t.LatestArrival(now) < now - ConversationWindows[^1].Window)).Select(p => p.Key).ToList())
            _logs.Remove(key);
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;
}
