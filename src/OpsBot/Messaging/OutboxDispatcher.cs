using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Connector;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;

namespace OpsBot.Messaging;

/// <summary>
/// Delivers outbox rows: claims due rows with a lease (PostgreSQL <c>FOR UPDATE SKIP LOCKED</c>, SQL Server
/// <c>UPDLOCK, READPAST</c>, SQLite one writer), reserves a send slot per tenant and per conversation in
/// <see cref="OutboxThrottle"/> rows (so limits hold across instances), calls the connector at that slot and records the
/// answer in the same UPDATE that marks the row sent. Rules: docs/decisions/0003-outbox-and-dispatch.md.
/// </summary>
public sealed partial class OutboxDispatcher(
    IServiceScopeFactory scopes, IOptions<MessagingOptions> options, IConfiguration configuration, TimeProvider clock, ILogger<OutboxDispatcher> log)
    : BackgroundService
{
    private readonly MessagingOptions _options = options.Value;
    private readonly ConcurrentDictionary<long, Task> _inFlight = new();
    /// <summary>Local pacing: per tenant and conversation key, the theoretical time of the next send (GCRA); see <see cref="TakeTurnAsync"/>.</summary>
    private readonly Dictionary<string, DateTime> _pace = new(StringComparer.Ordinal);
    /// <summary>Per tenant key, the 429s this instance saw in the last second (when, which conversation); see <see cref="RetryLaterAsync"/>.</summary>
    private readonly Dictionary<string, List<(DateTime At, string Conversation)>> _recentThrottles = new(StringComparer.Ordinal);

    public string InstanceId { get; } = options.Value.InstanceId is { Length: > 0 } id
        ? id
        : $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("n")[..6]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.DispatcherEnabled) return;
        LogStarted(InstanceId);
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimedCount = 0;
            var woken = WakeSignal();
            try
            {
                var room = _options.MaxInFlight - _inFlight.Count;
                if (room > 0)
                {
                    var claimed = await ClaimAsync(Math.Min(room, _options.BatchSize), stoppingToken);
                    claimedCount = claimed.Count;
                    foreach (var c in claimed)
                    {
                        var task = DeliverAsync(c, stoppingToken);
                        _inFlight[c.Message.Id] = task;
                        _ = task.ContinueWith(_ => _inFlight.TryRemove(c.Message.Id, out Task? _), TaskScheduler.Default);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogClaimFailed(ex);
            }
            try
            {
                var wait = claimedCount >= _options.BatchSize ? 10 : _options.PollMilliseconds;
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var delay = Task.Delay(TimeSpan.FromMilliseconds(wait), clock, poll.Token);
                if (await Task.WhenAny(delay, woken) != delay) await poll.CancelAsync();
                stoppingToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException) { break; }
        }
        await Task.WhenAll(_inFlight.Values.ToArray());
    }

    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Claims right away instead of at the next poll; called after a unit of work that enqueued messages has committed
    /// (e.g. a raised alert), so the first post does not wait for <see cref="MessagingOptions.PollMilliseconds"/>.
    /// </summary>
    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>The signal for the coming wait, taken before claiming so a wake during the claim is not lost.</summary>
    private Task WakeSignal()
    {
        var current = Volatile.Read(ref _wake);
        if (current.Task.IsCompleted) Interlocked.CompareExchange(ref _wake, new(TaskCreationOptions.RunContinuationsAsynchronously), current);
        return Volatile.Read(ref _wake).Task;
    }

    /// <summary>Distinct conversations of one tenant answered 429 within a second that make the dispatcher pause the tenant.</summary>
    internal const int TenantThrottleConversations = 5;

    internal sealed record Claimed(OutboxMessage Message, DateTime SlotAt);

    /// <summary>Claims up to <paramref name="max"/> due rows and reserves their send slots, in one transaction.</summary>
    internal async Task<List<Claimed>> ClaimAsync(int max, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
                return await db.Database.CreateExecutionStrategy().ExecuteAsync(() => ClaimOnceAsync(db, max, ct));
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Another instance inserted the same throttle row first; its row is visible on the next try.
            }
        }
    }

    private async Task<List<Claimed>> ClaimOnceAsync(OpsBotDbContext db, int max, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        // Two queries, each reading its index in order: one query with OR made SQLite (and PostgreSQL) gather and sort every
        // due row — the whole fan-out, card JSON included — to keep the first few.
        var rows = await Candidates(db, now, max, expired: true).ToListAsync(ct);
        if (rows.Count < max) rows.AddRange(await Candidates(db, now, max - rows.Count, expired: false).ToListAsync(ct));
        var claimed = new List<Claimed>();
        if (rows.Count == 0)
        {
            await tx.CommitAsync(ct);
            return claimed;
        }

        var sendable = new List<OutboxMessage>();
        foreach (var m in rows)
        {
            if (_inFlight.ContainsKey(m.Id)) continue;
            if (m.Status == OutboxStatus.InFlight && m.AttemptStartedAt is { } started && m.Kind != OutboxKind.Update
                && _options.AmbiguousPolicy == AmbiguousPolicy.MarkPossiblySent)
            {
                m.Status = OutboxStatus.PossiblySent;
                m.Error = $"Possibly sent: {m.LeaseOwner} stopped during the connector call started {started:O}; not re-sent automatically.";
                m.LeaseOwner = null;
                m.LeaseUntil = null;
                LogPossiblySent(m.Id, m.DedupeKey);
                continue;
            }
            if (m.Status == OutboxStatus.InFlight && m.AttemptStartedAt is not null) m.RepeatedAfterAmbiguousFailure = true;
            sendable.Add(m);
        }

        var tenants = new Dictionary<string, OutboxThrottle>(StringComparer.Ordinal);
        foreach (var key in sendable.Select(TenantKey).Distinct().Order(StringComparer.Ordinal))
        {
            var row = await LockThrottle(db, key).FirstOrDefaultAsync(ct);
            if (row is null) db.OutboxThrottles.Add(row = new OutboxThrottle { Key = key, NextAt = now });
            tenants[key] = row;
        }
        var convKeys = sendable.Select(ConversationKey).Distinct().ToList();
        var conversations = await db.OutboxThrottles.Where(t => convKeys.Contains(t.Key)).ToDictionaryAsync(t => t.Key, StringComparer.Ordinal, ct);

        var horizon = now.AddMilliseconds(_options.HorizonMilliseconds);
        var tenantGap = _options.TenantGap;
        var conversationGap = _options.ConversationGap;
        var lease = TimeSpan.FromSeconds(_options.LeaseSeconds);
        foreach (var m in sendable)
        {
            var tenant = tenants[TenantKey(m)];
            if (tenant.NextAt > horizon) continue;
            var ck = ConversationKey(m);
            if (!conversations.TryGetValue(ck, out var conversation))
            {
                db.OutboxThrottles.Add(conversation = new OutboxThrottle { Key = ck, NextAt = now });
                conversations[ck] = conversation;
            }
            var slot = Max(now, Max(tenant.NextAt, conversation.NextAt));
            if (slot > horizon)
            {
                if (m.Status == OutboxStatus.Queued) m.NextAttemptAt = conversation.NextAt;
                continue;
            }
            // A 1:1 chat not created yet costs two calls (create + send).
            tenant.NextAt = slot + (m.Kind == OutboxKind.CreatePersonal && m.ResultConversationId is null ? tenantGap * 2 : tenantGap);
            conversation.NextAt = slot + conversationGap;
            m.Status = OutboxStatus.InFlight;
            m.LeaseOwner = InstanceId;
            m.LeaseUntil = slot + lease;
            m.AttemptStartedAt = null;
            m.Attempts++;
            claimed.Add(new Claimed(m, slot));
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return claimed;
    }

    /// <summary>Due rows: queued ones whose time has come, or (<paramref name="expired"/>) in-flight ones whose lease ran out.</summary>
    private static IQueryable<OutboxMessage> Candidates(OpsBotDbContext db, DateTime now, int max, bool expired) => (db, expired) switch
    {
        (PostgresOpsBotDbContext, false) => db.OutboxMessages.FromSql($"""
            SELECT * FROM "OutboxMessages" WHERE "Status" = 'Queued' AND "NextAttemptAt" <= {now}
            ORDER BY "NextAttemptAt", "Id" LIMIT {max} FOR UPDATE SKIP LOCKED
            """),
        (PostgresOpsBotDbContext, true) => db.OutboxMessages.FromSql($"""
            SELECT * FROM "OutboxMessages" WHERE "Status" = 'InFlight' AND "LeaseUntil" < {now}
            ORDER BY "NextAttemptAt", "Id" LIMIT {max} FOR UPDATE SKIP LOCKED
            """),
        (SqlServerOpsBotDbContext, false) => db.OutboxMessages.FromSql($"""
            SELECT TOP ({max}) * FROM [OutboxMessages] WITH (UPDLOCK, READPAST, ROWLOCK)
            WHERE [Status] = 'Queued' AND [NextAttemptAt] <= {now} ORDER BY [NextAttemptAt], [Id]
            """),
        (SqlServerOpsBotDbContext, true) => db.OutboxMessages.FromSql($"""
            SELECT TOP ({max}) * FROM [OutboxMessages] WITH (UPDLOCK, READPAST, ROWLOCK)
            WHERE [Status] = 'InFlight' AND [LeaseUntil] < {now} ORDER BY [NextAttemptAt], [Id]
            """),
        // SQLite: the transaction is BEGIN IMMEDIATE, so this instance is the only writer until it commits.
        (_, false) => db.OutboxMessages.Where(m => m.Status == OutboxStatus.Queued && m.NextAttemptAt <= now)
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).Take(max),
        (_, true) => db.OutboxMessages.Where(m => m.Status == OutboxStatus.InFlight && m.LeaseUntil < now)
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).Take(max),
    };

    private static IQueryable<OutboxThrottle> LockThrottle(OpsBotDbContext db, string key) => db switch
    {
        PostgresOpsBotDbContext => db.OutboxThrottles.FromSql($"""SELECT * FROM "OutboxThrottles" WHERE "Key" = {key} FOR UPDATE"""),
        SqlServerOpsBotDbContext => db.OutboxThrottles.FromSql($"SELECT * FROM [OutboxThrottles] WITH (UPDLOCK, HOLDLOCK, ROWLOCK) WHERE [Key] = {key}"),
        _ => db.OutboxThrottles.Where(t => t.Key == key),
    };

    internal static string TenantKey(OutboxMessage m) => "t:" + (m.TenantId ?? "");

    internal static string ConversationKey(OutboxMessage m) => m.Kind switch
    {
        OutboxKind.CreatePersonal => "c:" + (m.ResultConversationId ?? "user:" + m.UserId),
        OutboxKind.CreateChannelThread => "c:" + m.ChannelId,
        _ => "c:" + ThreadOf(m.ConversationId),
    };

    /// <summary>Teams limits per thread; replies in a channel thread count against the channel.</summary>
    private static string? ThreadOf(string? conversationId) =>
        conversationId is not null && conversationId.IndexOf(";messageid=", StringComparison.Ordinal) is var i and > 0 ? conversationId[..i] : conversationId;

    /// <summary>
    /// The stored slots keep instances apart; this keeps one instance's actual sends paced per tenant and per conversation,
    /// even when a slow claim or a stall left several slots in the past (they would otherwise all go at once). It is a GCRA
    /// (virtual scheduling): each key has a theoretical time for its next send, advanced by one gap per send; a send may go
    /// up to <see cref="MessagingOptions.PaceTolerance"/> before it, so a send that woke a little late does not push every
    /// later one back (pacing from the actual send time lost the timer's lateness on every message: ~45/s instead of 48.5/s).
    /// With that tolerance below half of the safety margin, no 1 s window holds more than the limit.
    /// </summary>
    private async Task TakeTurnAsync(OutboxMessage m, CancellationToken ct)
    {
        string tenant = TenantKey(m), conversation = ConversationKey(m);
        var tenantGap = _options.TenantGap;
        var conversationGap = _options.ConversationGap;
        var tolerance = _options.PaceTolerance;
        while (true)
        {
            TimeSpan wait;
            lock (_pace)
            {
                var now = clock.GetUtcNow().UtcDateTime;
                var earliest = now - tolerance;
                if (_pace.Count > 1024)
                    foreach (var stale in _pace.Where(p => p.Value < earliest).Select(p => p.Key).ToList()) _pace.Remove(stale);
                var tenantAt = _pace.GetValueOrDefault(tenant, earliest);
                var conversationAt = _pace.GetValueOrDefault(conversation, earliest);
                var at = Max(tenantAt, conversationAt) - tolerance;
                if (at <= now)
                {
                    _pace[tenant] = Max(tenantAt, earliest) + tenantGap;
                    _pace[conversation] = Max(conversationAt, earliest) + conversationGap;
                    return;
                }
                wait = at - now;
            }
            await Task.Delay(wait, clock, ct);
        }
    }

    /// <summary>No local send for <paramref name="key"/> before <paramref name="until"/> (429 feedback for rows already claimed).</summary>
    private void PauseLocally(string key, DateTime until)
    {
        lock (_pace)
        {
            var at = until + _options.PaceTolerance;
            if (_pace.GetValueOrDefault(key) < at) _pace[key] = at;
        }
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private async Task DeliverAsync(Claimed claimed, CancellationToken stopping)
    {
        var m = claimed.Message;
        try
        {
            var wait = claimed.SlotAt - clock.GetUtcNow().UtcDateTime;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, stopping);
            await TakeTurnAsync(m, stopping);
        }
        catch (OperationCanceledException)
        {
            await ReleaseAsync(m.Id);
            return;
        }
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
            var connector = scope.ServiceProvider.GetRequiredService<ConnectorClient>();
            await SendAsync(db, connector, m);
        }
        catch (Exception ex)
        {
            LogDeliveryCrashed(ex, m.Id);
        }
    }

    private async Task SendAsync(OpsBotDbContext db, ConnectorClient connector, OutboxMessage m)
    {
        if (m.Kind == OutboxKind.Update && await db.OutboxMessages.AnyAsync(o => o.Kind == OutboxKind.Update && o.Id > m.Id
                && o.ConversationId == m.ConversationId && o.ActivityId == m.ActivityId
                && o.Status != OutboxStatus.Failed && o.Status != OutboxStatus.Superseded))
        {
            await FinishAsync(db, m.Id, s => s.SetProperty(x => x.Status, OutboxStatus.Superseded).SetProperty(x => x.Error, "Replaced by a newer update."));
            return;
        }

        var activity = JsonSerializer.Deserialize<Activity>(m.ActivityJson, BotJson.Options)!;
        activity.Type ??= ActivityTypes.Message;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_options.CallTimeoutSeconds));
        var postStarted = false;
        try
        {
            string? conversationId = m.ConversationId, activityId;
            switch (m.Kind)
            {
                case OutboxKind.Update:
                    activity.Conversation = new ConversationAccount { Id = m.ConversationId };
                    activity.Id = m.ActivityId;
                    await connector.UpdateActivityAsync(m.ServiceUrl, activity, timeout.Token);
                    activityId = m.ActivityId;
                    break;
                case OutboxKind.Send:
                    activity.Conversation = new ConversationAccount { Id = m.ConversationId };
                    postStarted = await MarkAttemptStartedAsync(db, m.Id);
                    activityId = (await connector.SendToConversationAsync(m.ServiceUrl, activity, ConnectorRetry.None, timeout.Token)).Id;
                    break;
                case OutboxKind.CreatePersonal:
                    conversationId = m.ResultConversationId;
                    if (conversationId is null)
                    {
                        // Creating a 1:1 conversation is idempotent: Teams returns the same conversation id every time.
                        var created = await connector.CreateConversationAsync(m.ServiceUrl, new ConversationParameters
                        {
                            IsGroup = false,
                            Bot = BotAccount(),
                            Members = [new ChannelAccount { Id = m.UserId }],
                            TenantId = m.TenantId,
                            ChannelData = new JsonObject { ["tenant"] = new JsonObject { ["id"] = m.TenantId } },
                        }, timeout.Token);
                        conversationId = created.Id;
                        await db.OutboxMessages.Where(x => x.Id == m.Id && x.LeaseOwner == InstanceId)
                            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ResultConversationId, conversationId));
                    }
                    activity.Conversation = new ConversationAccount { Id = conversationId };
                    await TakeTurnAsync(m, CancellationToken.None);
                    postStarted = await MarkAttemptStartedAsync(db, m.Id);
                    activityId = (await connector.SendToConversationAsync(m.ServiceUrl, activity, ConnectorRetry.None, timeout.Token)).Id;
                    break;
                case OutboxKind.CreateChannelThread:
                    activity.Conversation = null;
                    postStarted = await MarkAttemptStartedAsync(db, m.Id);
                    var thread = await connector.CreateConversationAsync(m.ServiceUrl, new ConversationParameters
                    {
                        IsGroup = true,
                        Bot = BotAccount(),
                        TenantId = m.TenantId,
                        ChannelData = new JsonObject
                        {
                            ["channel"] = new JsonObject { ["id"] = m.ChannelId },
                            ["tenant"] = new JsonObject { ["id"] = m.TenantId },
                        },
                        Activity = activity,
                    }, ConnectorRetry.None, timeout.Token);
                    conversationId = thread.Id;
                    activityId = thread.ActivityId;
                    break;
                default:
                    throw new InvalidOperationException($"Unknown outbox kind {m.Kind}.");
            }
            var sentAt = clock.GetUtcNow().UtcDateTime;
            var recorded = await FinishAsync(db, m.Id, s => s
                .SetProperty(x => x.Status, OutboxStatus.Sent)
                .SetProperty(x => x.SentAt, sentAt)
                .SetProperty(x => x.SentBy, InstanceId)
                .SetProperty(x => x.ResultConversationId, conversationId)
                .SetProperty(x => x.ResultActivityId, activityId)
                .SetProperty(x => x.Error, (string?)null));
            if (!recorded) LogLeaseLost(m.Id);
        }
        catch (ConnectorException ex) when (ex.IsTransient)
        {
            await RetryLaterAsync(db, m, $"{(int)ex.Status} {ex.Code}".TrimEnd(), ex.RetryAfter, (int)ex.Status == 429,
                ambiguous: postStarted && (int)ex.Status is 502 or 504);
        }
        catch (ConnectorException ex)
        {
            await FailAsync(db, m, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            await RetryLaterAsync(db, m, ex is OperationCanceledException ? "connector call timed out" : "connector unreachable: " + ex.Message,
                null, false, ambiguous: postStarted);
        }
    }

    private ChannelAccount? BotAccount() =>
        configuration["MicrosoftAppId"] is { Length: > 0 } appId ? new ChannelAccount { Id = "28:" + appId } : null;

    private async Task<bool> MarkAttemptStartedAsync(OpsBotDbContext db, long id)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var n = await db.OutboxMessages.Where(x => x.Id == id && x.LeaseOwner == InstanceId && x.Status == OutboxStatus.InFlight && x.LeaseUntil > now)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.AttemptStartedAt, now));
        if (n == 0) throw new LeaseLostException();
        return true;
    }

    private async Task RetryLaterAsync(OpsBotDbContext db, OutboxMessage m, string reason, TimeSpan? retryAfter, bool throttled, bool ambiguous)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (m.Attempts >= _options.MaxAttempts)
        {
            await FinishAsync(db, m.Id, s => s.SetProperty(x => x.Status, OutboxStatus.Failed)
                .SetProperty(x => x.Error, $"Gave up after {m.Attempts} attempts; last: {reason}"));
            LogGaveUp(m.Id, m.Attempts, reason);
            return;
        }
        var delay = retryAfter is { } ra && ra > TimeSpan.Zero
            ? ra + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 100))
            : TimeSpan.FromSeconds(Random.Shared.NextDouble() * Math.Min(_options.BackoffCapSeconds, _options.BackoffBaseSeconds * Math.Pow(2, m.Attempts - 1)));
        var next = now + delay;
        if (throttled)
        {
            // Teams' 429 does not say which limit was hit. A 429 pauses its conversation (its own 7/1 s…1800/h windows, other
            // bots in the thread). 429s from TenantThrottleConversations (5) conversations of one tenant within a second mean
            // the tenant's limit, so the tenant pauses too; a few are the edge of a window touched by network or scheduling
            // jitter (the fan-out bench on a loaded machine sees clumps of 3), and pausing the whole tenant for them would cost
            // a second of its budget each time. Pauses go to the store (every instance) and to the local pacing (rows this
            // instance has already claimed).
            string tenant = TenantKey(m), conversation = ConversationKey(m);
            var pauseUntil = now + (retryAfter ?? delay);
            bool tenantWide;
            lock (_recentThrottles)
            {
                if (_recentThrottles.Count > 1024) _recentThrottles.Clear();
                if (!_recentThrottles.TryGetValue(tenant, out var recent)) _recentThrottles[tenant] = recent = [];
                recent.RemoveAll(r => now - r.At >= TimeSpan.FromSeconds(1));
                recent.Add((now, conversation));
                tenantWide = recent.Select(r => r.Conversation).Distinct(StringComparer.Ordinal).Count() >= TenantThrottleConversations;
            }
            string[] keys = tenantWide ? [tenant, conversation] : [conversation];
            foreach (var key in keys) PauseLocally(key, pauseUntil);
            await db.OutboxThrottles.Where(t => keys.Contains(t.Key) && t.NextAt < pauseUntil)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.NextAt, pauseUntil));
            if (tenantWide) LogTenantPaused(TenantThrottleConversations, tenant, pauseUntil);
        }
        var note = ambiguous ? $"Retrying after {reason} (the previous POST may have arrived)" : $"Retrying after {reason}";
        await db.OutboxMessages.Where(x => x.Id == m.Id && x.LeaseOwner == InstanceId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, OutboxStatus.Queued)
                .SetProperty(x => x.NextAttemptAt, next)
                .SetProperty(x => x.LeaseOwner, (string?)null)
                .SetProperty(x => x.LeaseUntil, (DateTime?)null)
                .SetProperty(x => x.AttemptStartedAt, (DateTime?)null)
                .SetProperty(x => x.RepeatedAfterAmbiguousFailure, x => x.RepeatedAfterAmbiguousFailure || ambiguous)
                .SetProperty(x => x.Error, note)
                .SetProperty(x => x.Version, x => x.Version + 1));
        LogRetry(m.Id, reason, delay.TotalMilliseconds);
    }

    private async Task FailAsync(OpsBotDbContext db, OutboxMessage m, ConnectorException ex)
    {
        var reason = $"{(int)ex.Status} {ex.SubCode ?? ex.Code}".TrimEnd();
        var unreachable = (int)ex.Status == 403 && (ex.Code is "ConversationBlockedByUser" or "BotNotInConversationRoster" or "BotDisabledByAdmin" || ex.SubCode == "MessageWritesBlocked")
                          || ((int)ex.Status == 404 && ex.Code == "ConversationNotFound");
        if (unreachable)
        {
            // Recorded before the row is marked failed, so whoever sees the failure also sees the recipient as unreachable.
            var key = m.ResultConversationId ?? m.ConversationId ?? m.UserId ?? m.ChannelId ?? "";
            var now = clock.GetUtcNow().UtcDateTime;
            var row = await db.UnreachableRecipients.FindAsync(key);
            if (row is null) db.UnreachableRecipients.Add(new UnreachableRecipient { Key = key, Reason = reason, At = now });
            else { row.Reason = reason; row.At = now; }
            try { await db.SaveChangesAsync(); }
            catch (DbUpdateException e) { LogRecordRetry(e, m.Id); }
        }
        await FinishAsync(db, m.Id, s => s.SetProperty(x => x.Status, OutboxStatus.Failed).SetProperty(x => x.Error, Truncate(reason + ": " + ex.Message, 1000)));
        LogFailed(m.Id, reason);
    }

    private async Task<bool> FinishAsync(OpsBotDbContext db, long id,
        Func<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<OutboxMessage>, Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<OutboxMessage>> set)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var n = await db.OutboxMessages.Where(x => x.Id == id && x.LeaseOwner == InstanceId)
                    .ExecuteUpdateAsync(s => set(s
                        .SetProperty(x => x.LeaseOwner, (string?)null)
                        .SetProperty(x => x.LeaseUntil, (DateTime?)null)
                        .SetProperty(x => x.Version, x => x.Version + 1)));
                return n == 1;
            }
            catch (Exception ex) when (attempt < 3 && ex is not OperationCanceledException)
            {
                LogRecordRetry(ex, id);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), clock);
            }
        }
    }

    /// <summary>Hands a claimed, not yet attempted row back (shutdown while waiting for its slot).</summary>
    private async Task ReleaseAsync(long id)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
            await db.OutboxMessages.Where(x => x.Id == id && x.LeaseOwner == InstanceId && x.AttemptStartedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, OutboxStatus.Queued)
                    .SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseUntil, (DateTime?)null)
                    .SetProperty(x => x.Attempts, x => x.Attempts - 1));
        }
        catch (Exception ex)
        {
            LogRecordRetry(ex, id);
        }
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    private sealed class LeaseLostException() : Exception("Another instance took over this outbox row.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox dispatcher {InstanceId} started")]
    private partial void LogStarted(string instanceId);
    [LoggerMessage(Level = LogLevel.Error, Message = "Claiming outbox rows failed")]
    private partial void LogClaimFailed(Exception ex);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Id} ({DedupeKey}) possibly sent: its instance stopped during the connector call")]
    private partial void LogPossiblySent(long id, string dedupeKey);
    [LoggerMessage(Level = LogLevel.Error, Message = "Delivering outbox {Id} crashed")]
    private partial void LogDeliveryCrashed(Exception ex, long id);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Id} was taken over by another instance before its result was recorded")]
    private partial void LogLeaseLost(long id);
    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox {Id}: {Reason}; retrying in {DelayMs} ms")]
    private partial void LogRetry(long id, string reason, double delayMs);
    [LoggerMessage(Level = LogLevel.Warning, Message = "429s from {Count}+ conversations of {Tenant} within a second: the tenant's sends pause until {Until:O}")]
    private partial void LogTenantPaused(int count, string tenant, DateTime until);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Id} gave up after {Attempts} attempts: {Reason}")]
    private partial void LogGaveUp(long id, int attempts, string reason);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Id} failed for good: {Reason}")]
    private partial void LogFailed(long id, string reason);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording the result of outbox {Id} failed; retrying")]
    private partial void LogRecordRetry(Exception ex, long id);
}

public static class MessagingExtensions
{
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<MessagingOptions>(configuration.GetSection(MessagingOptions.Section));
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }
}
