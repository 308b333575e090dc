using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Boards;

/// <summary>How a stream's events are written: the board's JSON snapshot (API) or its rendered HTML (TV page and Teams tab).</summary>
public enum BoardFormat { Json, Html }

/// <summary>
/// Who watches a board. Viewers that may see the same customers share one <see cref="GroupKey"/>: each change is read and
/// rendered once per group, however many displays are open. <see cref="TokenId"/> is the kiosk token a display came in with.
/// </summary>
public sealed record BoardAudience(string BoardName, string Kind, string Key, Viewer? Viewer, int? TokenId = null)
{
    public const string Kiosk = "kiosk";

    public string GroupKey => $"{BoardName}\n{Kind}\n{Key}";

    public static BoardAudience ForKiosk(string board, int? tokenId) => new(board, Kiosk, "", null, tokenId);

    public static BoardAudience ForViewer(string board, Viewer viewer) => new(board, viewer.Trusted ? "trusted" : "person", viewer.Trusted ? "" : string.Join('|', viewer.Keys), viewer);
}

/// <summary>
/// The one change feed behind every open board. Writes to the tables a board shows signal it (<see cref="BoardChangeSignal"/>);
/// it waits <see cref="BoardOptions.Debounce"/> for the burst to end, reads each watched board once per audience group and
/// pushes the same encoded event to all of the group's streams. No page polls the database; a refresh every
/// <see cref="BoardOptions.RefreshInterval"/> keeps ages and SLA clocks current and picks up writes made by other instances.
/// A stream whose client does not keep up is dropped (its bounded buffer is full) and reconnects to a fresh snapshot.
/// </summary>
public sealed partial class BoardFeed(IServiceScopeFactory scopes, IOptions<BoardOptions> options, ILogger<BoardFeed> log) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly byte[] Heartbeat = ": keep-alive\n\n"u8.ToArray();
    private readonly ConcurrentDictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private long _version;
    private int _pending;
    private int _streams;

    public int OpenStreams => Volatile.Read(ref _streams);
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Something a board shows changed (or a board, or a token): refresh every watched board soon.</summary>
    public void Signal()
    {
        Interlocked.Increment(ref _version);
        if (Interlocked.Exchange(ref _pending, 1) == 0) _wake.Release();
    }

    /// <summary>Opens a stream; null when <see cref="BoardOptions.MaxStreams"/> are already open. Its first event is the current snapshot.</summary>
    public Subscription? Subscribe(BoardAudience audience, BoardFormat format)
    {
        if (Interlocked.Increment(ref _streams) > options.Value.MaxStreams)
        {
            Interlocked.Decrement(ref _streams);
            return null;
        }
        var group = _groups.GetOrAdd(audience.GroupKey, _ => new Group(audience));
        var subscription = new Subscription(this, group, format, audience.TokenId, options.Value.StreamBuffer);
        group.Subscribers[subscription] = 0;
        if (group.LatestFrame(format) is { } latest && group.Version == Version) subscription.Offer(latest);
        else
        {
            group.Stale = true;
            if (Interlocked.Exchange(ref _pending, 1) == 0) _wake.Release();
        }
        return subscription;
    }

    private void Unsubscribe(Subscription subscription)
    {
        if (subscription.Group.Subscribers.TryRemove(subscription, out _)) Interlocked.Decrement(ref _streams);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var lastBeat = DateTime.UtcNow;
        var lastRefresh = DateTime.UtcNow;
        var tick = o.RefreshInterval < o.HeartbeatInterval ? o.RefreshInterval : o.HeartbeatInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            var woken = await _wake.WaitAsync(tick, stoppingToken).ConfigureAwait(false);
            if (woken) await Task.Delay(o.Debounce, stoppingToken).ConfigureAwait(false);
            Volatile.Write(ref _pending, 0);
            var version = Version;
            var refreshAll = DateTime.UtcNow - lastRefresh >= o.RefreshInterval;
            if (refreshAll) lastRefresh = DateTime.UtcNow;
            foreach (var (key, group) in _groups)
            {
                if (group.Subscribers.IsEmpty)
                {
                    _groups.TryRemove(new KeyValuePair<string, Group>(key, group));
                    continue;
                }
                if (refreshAll || group.Stale || group.Version != version) await RefreshAsync(group, version, stoppingToken).ConfigureAwait(false);
            }
            if (DateTime.UtcNow - lastBeat >= o.HeartbeatInterval)
            {
                lastBeat = DateTime.UtcNow;
                foreach (var group in _groups.Values)
                    foreach (var s in group.Subscribers.Keys) s.Offer(Heartbeat);
            }
        }
    }

    private async Task RefreshAsync(Group group, long version, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
            var board = await db.Boards.AsNoTracking().FirstOrDefaultAsync(b => b.Name == group.Audience.BoardName, ct).ConfigureAwait(false);
            if (board is null)
            {
                Close(group, Frame("gone", JsonSerializer.Serialize(new { message = "This board was removed." }, Json)));
                return;
            }
            var revoked = await db.BoardTokens.AsNoTracking().Where(t => t.BoardId == board.Id && t.RevokedAt != null).Select(t => t.Id).ToListAsync(ct).ConfigureAwait(false);
            foreach (var s in group.Subscribers.Keys.Where(s => s.TokenId is { } id && revoked.Contains(id)))
                s.Close(Frame("revoked", JsonSerializer.Serialize(new { message = BoardPages.RevokedMessage }, Json)));

            var hidden = await BoardAccess.HiddenAsync(scope.ServiceProvider, board, group.Audience, ct).ConfigureAwait(false);
            var snapshot = await scope.ServiceProvider.GetRequiredService<BoardQuery>().ReadAsync(board, hidden, version, ct).ConfigureAwait(false);
            var subscribers = group.Subscribers.Keys.ToList();
            byte[]? json = null, html = null;
            if (subscribers.Any(s => s.Format == BoardFormat.Json)) json = Frame("board", JsonSerializer.Serialize(snapshot, Json), version);
            if (subscribers.Any(s => s.Format == BoardFormat.Html))
                html = Frame("board", JsonSerializer.Serialize(new { version, html = BoardPages.Content(snapshot, options.Value) }, Json), version);
            group.Publish(version, json, html);
            foreach (var s in subscribers) s.Offer(s.Format == BoardFormat.Json ? json! : html!);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The streams stay open and show the last snapshot; the next change or refresh tries again.
            group.Stale = true;
            LogRefreshFailed(group.Audience.BoardName, ex.GetType().Name, ex.Message);
        }
    }

    private static void Close(Group group, byte[] frame)
    {
        foreach (var s in group.Subscribers.Keys) s.Close(frame);
    }

    /// <summary>One Server-Sent Event, encoded once for all the streams it goes to.</summary>
    public static byte[] Frame(string name, string data, long? id = null) =>
        Encoding.UTF8.GetBytes($"{(id is { } v ? $"id: {v}\n" : "")}event: {name}\ndata: {data}\n\n");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Board {Board} could not be refreshed ({Error}: {Detail}); its displays keep the last snapshot until the next change.")]
    private partial void LogRefreshFailed(string board, string error, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "A board stream ({Board}) was dropped: its client did not read {Events} events in time; it reconnects to a fresh snapshot.")]
    private partial void LogDropped(string board, int events);

    public sealed class Group(BoardAudience audience)
    {
        public BoardAudience Audience { get; } = audience;
        public ConcurrentDictionary<Subscription, byte> Subscribers { get; } = new();
        public volatile bool Stale;
        private Latest _latest = new(-1, null, null);

        public long Version => Volatile.Read(ref _latest).Version;

        public byte[]? LatestFrame(BoardFormat format) => Volatile.Read(ref _latest) is var l && format == BoardFormat.Json ? l.Json : l.Html;

        public void Publish(long version, byte[]? json, byte[]? html)
        {
            Volatile.Write(ref _latest, new Latest(version, json, html));
            Stale = false;
        }

        private sealed record Latest(long Version, byte[]? Json, byte[]? Html);
    }

    /// <summary>One open stream: a bounded buffer of encoded events that the request writes out.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly BoardFeed _feed;
        private readonly Channel<byte[]> _channel;
        private readonly int _capacity;

        internal Subscription(BoardFeed feed, Group group, BoardFormat format, int? tokenId, int capacity)
        {
            _feed = feed;
            Group = group;
            Format = format;
            TokenId = tokenId;
            _capacity = capacity;
            _channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        }

        public Group Group { get; }
        public BoardFormat Format { get; }
        public int? TokenId { get; }
        public ChannelReader<byte[]> Events => _channel.Reader;
        /// <summary>Set when the client fell behind and the stream was dropped.</summary>
        public bool Dropped { get; private set; }

        internal void Offer(byte[] frame)
        {
            if (_channel.Writer.TryWrite(frame)) return;
            if (Dropped) return;
            Dropped = true;
            _channel.Writer.TryComplete();
            _feed.LogDropped(Group.Audience.BoardName, _capacity);
        }

        /// <summary>Sends a last event (revoked, removed) and ends the stream.</summary>
        internal void Close(byte[] frame)
        {
            _channel.Writer.TryWrite(frame);
            _channel.Writer.TryComplete();
        }

        public void Dispose() => _feed.Unsubscribe(this);
    }
}
