using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Data;

namespace OpsBot.Messaging;

/// <summary>
/// Delivers outbox rows (docs/decisions/0005-delivery-engine.md). Each tenant's sending is owned by one instance at a time;
/// an instance's heartbeat in the store is the lease on its tenants and on the rows it has claimed. The owner paces every call
/// in memory (<see cref="SendPacer"/>) right before the connector call, renders live cards at send time, treats throttling as
/// "later" (never as a failed attempt), flags every re-send that may duplicate, and records each answer in one conditional UPDATE.
/// </summary>
public sealed partial class OutboxDispatcher : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly MessagingOptions _options;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _clock;
    private readonly ILogger<OutboxDispatcher> _log;
    private readonly SendPacer _pacer;
    private readonly Dictionary<string, ILiveCardSource> _sources;
    private readonly ConcurrentDictionary<long, byte> _held = new();
    private readonly ConcurrentDictionary<Task, byte> _workers = new();
    /// <summary>Tenant keys this instance owns, with when the ownership was last confirmed in the store.</summary>
    private readonly ConcurrentDictionary<string, DateTime> _owned = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _hardStop = new();
    private long _lastHeartbeatTicks;
    private long _connectedSinceTicks;
    private DateTime _lastOrphanSweep;

    public OutboxDispatcher(IServiceScopeFactory scopes, IOptions<MessagingOptions> options, IConfiguration configuration,
        IEnumerable<ILiveCardSource> liveCardSources, TimeProvider clock, ILogger<OutboxDispatcher> log)
    {
        _scopes = scopes;
        _options = options.Value;
        _configuration = configuration;
        _clock = clock;
        _log = log;
        _pacer = new SendPacer(_options, clock);
        _sources = liveCardSources.ToDictionary(s => s.Prefix, StringComparer.Ordinal);
        InstanceId = _options.InstanceId is { Length: > 0 } id
            ? id
            : $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("n")[..6]}";
    }

    public string InstanceId { get; }

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// True while this instance's heartbeat is fresh enough that nobody else can have taken its tenants: it stops sending at
    /// half of <see cref="MessagingOptions.InstanceTimeout"/> without a heartbeat, others take over only after all of it.
    /// </summary>
    private bool CanSend => Now - new DateTime(Interlocked.Read(ref _lastHeartbeatTicks), DateTimeKind.Utc) < _options.InstanceTimeout / 2;

    /// <summary>Others are judged gone only after this instance has itself been connected for a whole timeout (an outage silences everyone).</summary>
    private bool MayJudgeOthers => CanSend && Now - new DateTime(Interlocked.Read(ref _connectedSinceTicks), DateTimeKind.Utc) >= _options.InstanceTimeout;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.DispatcherEnabled) return;
        try
        {
            await PersistentlyAsync(StartUpAsync, stoppingToken);
        }
        catch (OperationCanceledException) { return; }
        LogStarted(InstanceId);
        var heartbeat = HeartbeatLoopAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var woken = WakeSignal();
            var claimed = 0;
            if (CanSend)
            {
                try
                {
                    if (MayJudgeOthers && Now - _lastOrphanSweep >= _options.HeartbeatInterval)
                    {
                        await RecoverOrphansAsync(stoppingToken);
                        _lastOrphanSweep = Now;
                    }
                    claimed = await ClaimAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
                catch (Exception ex) when (IsStoreFailure(ex))
                {
                    LogStoreUnavailable(ex.Message);
                }
                catch (Exception ex)
                {
                    LogClaimFailed(ex);
                }
            }
            try
            {
                var wait = claimed >= _options.BatchSize ? TimeSpan.FromMilliseconds(10) : _options.PollInterval;
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var delay = Task.Delay(wait, _clock, poll.Token);
                if (await Task.WhenAny(delay, woken) != delay) await poll.CancelAsync();
                stoppingToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException) { break; }
        }
        await Task.WhenAll(_workers.Keys.ToArray());
        await heartbeat;
        await HandOverAsync();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Past the host's shutdown timeout, stop retrying the store: what is not recorded is recovered by the next owner.
        await using var _ = cancellationToken.Register(_hardStop.Cancel);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _hardStop.Dispose();
        _storeGate.Dispose();
        base.Dispose();
    }

    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Claims right away instead of at the next poll; called after a unit of work that enqueued messages has committed
    /// (e.g. a raised alert), so the first post does not wait for <see cref="MessagingOptions.PollInterval"/>.
    /// </summary>
    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>The signal for the coming wait, taken before claiming so a wake during the claim is not lost.</summary>
    private Task WakeSignal()
    {
        var current = Volatile.Read(ref _wake);
        if (current.Task.IsCompleted) Interlocked.CompareExchange(ref _wake, new(TaskCreationOptions.RunContinuationsAsynchronously), current);
        return Volatile.Read(ref _wake).Task;
    }

    // ---- liveness ------------------------------------------------------------------------------------------------

    /// <summary>First heartbeat, then everything this instance id left in flight (a crash before this start) is queued again at once.</summary>
    private async Task<int> StartUpAsync(OpsBotDbContext db)
    {
        await BeatAsync(db);
        var now = Now;
        Interlocked.Exchange(ref _lastHeartbeatTicks, now.Ticks);
        Interlocked.Exchange(ref _connectedSinceTicks, now.Ticks);
        var me = InstanceId;
        var n = await Requeue(db.OutboxMessages.Where(m => m.Status == OutboxStatus.InFlight && m.LeaseOwner == me), now);
        if (n > 0) LogReclaimed(n, me);
        return n;
    }

    private async Task HeartbeatLoopAsync(CancellationToken stopping)
    {
        var failing = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, _clock, stopping);
            }
            catch (OperationCanceledException) { break; }
            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
                await BeatAsync(db);
                var now = Now;
                // Measured after the beat: a beat that waited out an outage (the store's own retries) was silent all along.
                var silentFor = now - new DateTime(Interlocked.Read(ref _lastHeartbeatTicks), DateTimeKind.Utc);
                if (silentFor >= _options.InstanceTimeout / 2)
                {
                    // Others may have taken tenants meanwhile: confirm each again before sending for it.
                    _owned.Clear();
                    Interlocked.Exchange(ref _connectedSinceTicks, now.Ticks);
                }
                Interlocked.Exchange(ref _lastHeartbeatTicks, now.Ticks);
                if (failing) LogStoreBack();
                failing = false;
            }
            catch (Exception ex) when (IsStoreFailure(ex) || ex is DbUpdateException)
            {
                if (!failing) LogStoreUnavailable(ex.Message);
                failing = true;
            }
        }
    }

    private async Task BeatAsync(OpsBotDbContext db)
    {
        var now = Now;
        var me = InstanceId;
        if (await db.DispatcherInstances.Where(i => i.Id == me).ExecuteUpdateAsync(s => s.SetProperty(i => i.HeartbeatAt, now)) > 0) return;
        db.DispatcherInstances.Add(new DispatcherInstance { Id = me, StartedAt = now, HeartbeatAt = now });
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
    }

    /// <summary>Rows in flight under an instance whose heartbeat stopped go back to the queue (flagged when a POST may have left).</summary>
    private async Task RecoverOrphansAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var now = Now;
        var cutoff = now - _options.InstanceTimeout;
        var me = InstanceId;
        var n = await Requeue(db.OutboxMessages.Where(m => m.Status == OutboxStatus.InFlight && m.LeaseOwner != me
            && !db.DispatcherInstances.Any(i => i.Id == m.LeaseOwner && i.HeartbeatAt >= cutoff)), now, ct);
        if (n > 0) LogReclaimed(n, "instances that stopped");
    }

    private static Task<int> Requeue(IQueryable<OutboxMessage> rows, DateTime now, CancellationToken ct = default) =>
        rows.ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Status, OutboxStatus.Queued)
            .SetProperty(m => m.NextAttemptAt, now)
            .SetProperty(m => m.LeaseOwner, (string?)null)
            // A POST that had started may have arrived: its re-send is flagged. PUTs (posted rows) are safe to repeat.
            .SetProperty(m => m.RepeatedAfterAmbiguousFailure, m => m.RepeatedAfterAmbiguousFailure
                || (m.AttemptStartedAt != null && m.ResultActivityId == null))
            .SetProperty(m => m.AttemptStartedAt, (DateTime?)null)
            .SetProperty(m => m.Version, m => m.Version + 1), ct);

    /// <summary>Graceful stop: nothing of this instance's is left in flight; its tenants are free after a pause that keeps Teams' windows.</summary>
    private async Task HandOverAsync()
    {
        var me = InstanceId;
        try
        {
            await PersistentlyAsync(async db =>
            {
                var now = Now;
                await Requeue(db.OutboxMessages.Where(m => m.Status == OutboxStatus.InFlight && m.LeaseOwner == me), now);
                foreach (var key in _owned.Keys)
                {
                    var resume = Max(_pacer.NextAt(key), now + HandOverGap);
                    await db.OutboxThrottles.Where(t => t.Key == key && t.Owner == me)
                        .ExecuteUpdateAsync(s => s.SetProperty(t => t.Owner, (string?)null).SetProperty(t => t.NextAt, resume));
                }
                await db.OutboxThrottles.Where(t => t.Owner == me).ExecuteUpdateAsync(s => s.SetProperty(t => t.Owner, (string?)null));
                return await db.DispatcherInstances.Where(i => i.Id == me).ExecuteDeleteAsync();
            }, _hardStop.Token);
            LogHandedOver(me);
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Between two owners of a tenant: longer than Teams' longest short window (8 per 2 s).</summary>
    private static readonly TimeSpan HandOverGap = TimeSpan.FromSeconds(2.1);

    // ---- claiming ------------------------------------------------------------------------------------------------

    /// <summary>Tenants with due rows become this instance's when nobody alive owns them; due rows of owned tenants are claimed.</summary>
    private async Task<int> ClaimAsync(CancellationToken ct)
    {
        var room = Math.Min(_options.MaxInFlight - _held.Count, _options.BatchSize);
        if (room <= 0) return 0;
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var now = Now;
        var tenants = (await db.OutboxMessages.AsNoTracking()
                .Where(m => m.Status == OutboxStatus.Queued && m.NextAttemptAt <= now)
                .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).Take(200)
                .Select(m => m.TenantId ?? "").ToListAsync(ct))
            .Distinct(StringComparer.Ordinal).ToList();
        var owned = new List<string>();
        foreach (var tenant in tenants)
            if (await OwnAsync(db, tenant, now, ct)) owned.Add(tenant);
        if (owned.Count == 0) return 0;

        var claimed = await db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(token);
            var rows = await db.OutboxMessages
                .Where(m => m.Status == OutboxStatus.Queued && m.NextAttemptAt <= now && owned.Contains(m.TenantId ?? ""))
                .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).Take(room).ToListAsync(token);
            var mine = new List<OutboxMessage>();
            foreach (var m in rows)
            {
                // A conversation paused by a 429 keeps its rows in the store until the pause ends.
                var wait = _pacer.Delay(TenantKey(m), ConversationKey(m));
                if (wait > TimeSpan.FromSeconds(1))
                {
                    m.NextAttemptAt = now + wait;
                    continue;
                }
                m.Status = OutboxStatus.InFlight;
                m.LeaseOwner = InstanceId;
                m.AttemptStartedAt = null;
                mine.Add(m);
            }
            await db.SaveChangesAsync(token);
            await tx.CommitAsync(token);
            return mine;
        }, ct);

        foreach (var group in claimed.GroupBy(ConversationKey, StringComparer.Ordinal))
        {
            var rows = group.ToList();
            foreach (var m in rows) _held[m.Id] = 0;
            var worker = DeliverConversationAsync(rows, ct);
            _workers[worker] = 0;
            _ = worker.ContinueWith(t => _workers.TryRemove(t, out _), TaskScheduler.Default);
        }
        return claimed.Count;
    }

    /// <summary>Takes or confirms ownership of <paramref name="tenantId"/>'s sending; a newly owned tenant starts with the pause its last owner left.</summary>
    private async Task<bool> OwnAsync(OpsBotDbContext db, string tenantId, DateTime now, CancellationToken ct)
    {
        var key = "t:" + tenantId;
        if (_owned.TryGetValue(key, out var confirmed) && now - confirmed < _options.InstanceTimeout / 4) return true;
        var me = InstanceId;
        var cutoff = MayJudgeOthers ? now - _options.InstanceTimeout : DateTime.MinValue;
        var n = await db.OutboxThrottles
            .Where(t => t.Key == key && (t.Owner == null || t.Owner == me || !db.DispatcherInstances.Any(i => i.Id == t.Owner && i.HeartbeatAt >= cutoff)))
            .ExecuteUpdateAsync(s => s
                .SetProperty(t => t.OwnerSince, t => t.Owner == me ? t.OwnerSince : now)
                .SetProperty(t => t.Owner, me), ct);
        if (n == 0)
        {
            // The tenant's first row: created under a lock, so two instances starting together do not race on its key.
            var created = await db.InLockedTransactionAsync("outbox-tenant:" + key, async () =>
            {
                if (await db.OutboxThrottles.AnyAsync(t => t.Key == key, ct)) return false;
                db.OutboxThrottles.Add(new OutboxThrottle { Key = key, NextAt = now, Owner = me, OwnerSince = now });
                await db.SaveChangesAsync(ct);
                return true;
            }, ct);
            db.ChangeTracker.Clear();
            if (!created)
            {
                _owned.TryRemove(key, out _);
                return false; // another instance created it first and owns it (or frees it for the next round)
            }
        }
        if (!_owned.ContainsKey(key))
        {
            var resume = await db.OutboxThrottles.AsNoTracking().Where(t => t.Key == key).Select(t => t.NextAt).FirstAsync(ct);
            if (resume > now) _pacer.Pause(key, resume);
            LogOwning(key);
        }
        _owned[key] = now;
        return true;
    }

    internal static string TenantKey(OutboxMessage m) => "t:" + (m.TenantId ?? "");

    internal static string ConversationKey(OutboxMessage m) => m.Kind switch
    {
        _ when m.ResultConversationId is { } posted => "c:" + ThreadOf(posted),
        OutboxKind.CreatePersonal => "c:user:" + m.UserId,
        OutboxKind.CreateChannelThread => "c:" + m.ChannelId,
        _ => "c:" + ThreadOf(m.ConversationId),
    };

    /// <summary>Teams limits per thread; replies in a channel thread count against the channel.</summary>
    private static string? ThreadOf(string? conversationId) =>
        conversationId is not null && conversationId.IndexOf(";messageid=", StringComparison.Ordinal) is var i and > 0 ? conversationId[..i] : conversationId;

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    // ---- the store on bad days ------------------------------------------------------------------------------------

    /// <summary>
    /// Runs <paramref name="work"/> until the store answers (back-off up to 2 s), or <paramref name="ct"/> ends it. At most
    /// <see cref="StoreConcurrency"/> run at once, so a fan-out does not take a connection per conversation.
    /// </summary>
    private async Task<T> PersistentlyAsync<T>(Func<OpsBotDbContext, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            await _storeGate.WaitAsync(ct);
            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                return await work(scope.ServiceProvider.GetRequiredService<OpsBotDbContext>());
            }
            catch (Exception ex) when (IsStoreFailure(ex) && !ct.IsCancellationRequested)
            {
                if (attempt == 0) LogStoreUnavailable(ex.Message);
            }
            finally
            {
                _storeGate.Release();
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * Math.Pow(2, Math.Min(attempt, 5)))), _clock, ct);
        }
    }

    private const int StoreConcurrency = 16;
    private readonly SemaphoreSlim _storeGate = new(StoreConcurrency);

    /// <summary>The store is unavailable for now (restart, failover, lost connection): wait and try again, never fail a row for it.</summary>
    internal static bool IsStoreFailure(Exception ex) =>
        StoreErrors.IsUnavailable(ex) || ex is TimeoutException || ex.InnerException is TimeoutException;

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox dispatcher {InstanceId} started")]
    private partial void LogStarted(string instanceId);
    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox: {Count} rows left in flight by {Owner} are queued again")]
    private partial void LogReclaimed(int count, string owner);
    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox: this instance now sends for {Tenant}")]
    private partial void LogOwning(string tenant);
    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox dispatcher {InstanceId} handed its tenants and rows over")]
    private partial void LogHandedOver(string instanceId);
    [LoggerMessage(Level = LogLevel.Error, Message = "Claiming outbox rows failed")]
    private partial void LogClaimFailed(Exception ex);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox: the store is unavailable ({Reason}); sending pauses and resumes when it answers")]
    private partial void LogStoreUnavailable(string reason);
    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox: the store answers again")]
    private partial void LogStoreBack();
}
