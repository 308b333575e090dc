using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Auth;
using OpsBot.BotFramework.Connector;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;

namespace OpsBot.Messaging;

public sealed partial class OutboxDispatcher
{
    /// <summary>Distinct conversations of one tenant answered 429 within a second that, with most calls throttled, pause the tenant.</summary>
    internal const int TenantThrottleConversations = 5;

    /// <summary>What the row holds right before the call (it may have changed since the claim: a live card marked, a 1:1 chat created).</summary>
    private sealed record Fresh(string? LiveCard, long DesiredVersion, long? SentVersion, string ActivityJson, string? ResultConversationId, string? ResultActivityId);

    private readonly ConcurrentDictionary<string, (long Version, string? Json, DateTime At)> _renders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string? Url, DateTime At)> _serviceUrls = new(StringComparer.Ordinal);
    /// <summary>Per tenant, this instance's calls of the last second: when, which conversation, answered 429 or not.</summary>
    private readonly Dictionary<string, Queue<(DateTime At, string Conversation, bool Throttled)>> _recentCalls = new(StringComparer.Ordinal);

    /// <summary>One conversation's rows, in order, one at a time; what is not attempted goes back to the store.</summary>
    private async Task DeliverConversationAsync(List<OutboxMessage> rows, CancellationToken stopping)
    {
        await Task.Yield();
        var done = 0;
        try
        {
            for (; done < rows.Count; done++)
            {
                var m = rows[done];
                try
                {
                    if (!await DeliverAsync(m, stopping)) break;
                }
                catch (Exception ex) when (ex is HandBackException || (ex is OperationCanceledException && stopping.IsCancellationRequested))
                {
                    break;
                }
                catch (Exception ex)
                {
                    LogDeliveryCrashed(ex, m.Id);
                    await ReleaseAsync([m.Id]);
                }
                _held.TryRemove(m.Id, out _);
            }
            await ReleaseAsync(rows.Skip(done).Select(r => r.Id).ToList());
        }
        finally
        {
            foreach (var m in rows.Skip(done)) _held.TryRemove(m.Id, out _);
        }
    }

    /// <summary>Sends one row; false when it was not attempted (this instance may not send now) and must be handed back.</summary>
    private async Task<bool> DeliverAsync(OutboxMessage m, CancellationToken stopping)
    {
        var tenant = TenantKey(m);
        if (!await WaitForTurnAsync(tenant, ConversationKey(m), stopping)) return false;

        var fresh = await PersistentlyAsync(db => PrepareAsync(db, m.Id), stopping);
        if (fresh is null) return true; // taken over meanwhile: no longer ours
        m.ResultConversationId = fresh.ResultConversationId;
        m.ResultActivityId = fresh.ResultActivityId;
        var posted = fresh.ResultActivityId is not null;
        if (posted && fresh.LiveCard is not null && fresh.SentVersion == fresh.DesiredVersion)
        {
            await RecordAsync(m.Id, s => s.SetProperty(x => x.Status, OutboxStatus.Sent));
            return true;
        }

        var json = fresh.LiveCard is null ? fresh.ActivityJson : await PersistentlyAsync(db => RenderAsync(db, m, fresh, stopping), stopping);
        if (json is null)
        {
            var desired = fresh.DesiredVersion;
            await RecordAsync(m.Id, s => posted
                ? s.SetProperty(x => x.Status, OutboxStatus.Sent).SetProperty(x => x.SentVersion, desired)
                : s.SetProperty(x => x.Status, OutboxStatus.Superseded).SetProperty(x => x.Error, "The card has nothing to show any more; not posted."));
            return true;
        }
        var serviceUrl = await ServiceUrlAsync(m, stopping);

        await using var callScope = _scopes.CreateAsyncScope();
        var connector = callScope.ServiceProvider.GetRequiredService<ConnectorClient>();
        var activity = JsonSerializer.Deserialize<Activity>(json, BotJson.Options)!;
        activity.Type ??= ActivityTypes.Message;
        using var timeout = new CancellationTokenSource(_options.CallTimeout);
        var conversation = ConversationKey(m);
        var tickets = new List<SendPacer.Ticket>(2);
        try
        {
            string? conversationId = m.ResultConversationId ?? m.ConversationId, activityId;
            if (posted)
            {
                activity.Conversation = new ConversationAccount { Id = m.ResultConversationId };
                activity.Id = m.ResultActivityId;
                await TakeTurnAsync(tenant, conversation, tickets, stopping);
                await Answered(tickets, connector.UpdateActivityAsync(serviceUrl, activity, ConnectorRetry.None, timeout.Token));
                activityId = m.ResultActivityId;
            }
            else if (m.Kind == OutboxKind.CreateChannelThread)
            {
                activity.Conversation = null;
                await TakeTurnAsync(tenant, conversation, tickets, stopping);
                var thread = await Answered(tickets, connector.CreateConversationAsync(serviceUrl, new ConversationParameters
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
                }, ConnectorRetry.None, timeout.Token));
                conversationId = thread.Id;
                activityId = thread.ActivityId;
            }
            else
            {
                if (m.Kind == OutboxKind.CreatePersonal && m.ResultConversationId is null)
                {
                    // Creating a 1:1 conversation is idempotent: Teams returns the same conversation id every time.
                    await TakeTurnAsync(tenant, conversation, tickets, stopping);
                    var created = await Answered(tickets, connector.CreateConversationAsync(serviceUrl, new ConversationParameters
                    {
                        IsGroup = false,
                        Bot = BotAccount(),
                        Members = [new ChannelAccount { Id = m.UserId }],
                        TenantId = m.TenantId,
                        ChannelData = new JsonObject { ["tenant"] = new JsonObject { ["id"] = m.TenantId } },
                    }, ConnectorRetry.None, timeout.Token));
                    conversationId = created.Id;
                    m.ResultConversationId = conversationId;
                    var id = m.Id;
                    await PersistentlyAsync(db => db.OutboxMessages.Where(x => x.Id == id && x.LeaseOwner == InstanceId)
                        .ExecuteUpdateAsync(s => s.SetProperty(x => x.ResultConversationId, conversationId)), _hardStop.Token);
                    conversation = ConversationKey(m);
                }
                activity.Conversation = new ConversationAccount { Id = conversationId };
                await TakeTurnAsync(tenant, conversation, tickets, stopping);
                activityId = (await Answered(tickets, connector.SendToConversationAsync(serviceUrl, activity, ConnectorRetry.None, timeout.Token))).Id;
            }
            Observe(tenant, conversation, throttled: false);
            var sentAt = Now;
            var rendered = fresh.DesiredVersion;
            var recorded = await RecordAsync(m.Id, s => s
                .SetProperty(x => x.Status, x => x.DesiredVersion != rendered ? OutboxStatus.Queued : OutboxStatus.Sent)
                .SetProperty(x => x.SentVersion, rendered)
                .SetProperty(x => x.NextAttemptAt, sentAt)
                .SetProperty(x => x.SentAt, sentAt)
                .SetProperty(x => x.SentBy, InstanceId)
                .SetProperty(x => x.ResultConversationId, conversationId)
                .SetProperty(x => x.ResultActivityId, activityId)
                .SetProperty(x => x.Attempts, x => x.Attempts + 1)
                .SetProperty(x => x.Error, (string?)null));
            if (!recorded) LogLeaseLost(m.Id);
        }
        catch (ConnectorException ex) when ((int)ex.Status == 429 || ((int)ex.Status == 503 && ex.RetryAfter is not null))
        {
            Observe(tenant, conversation, throttled: true);
            await ThrottledAsync(m, tenant, conversation, $"{(int)ex.Status} {ex.Code}".TrimEnd(), ex.RetryAfter);
        }
        catch (ConnectorException ex) when (ex.IsTransient || ex.Code is ConnectorException.TransportErrorCode or ConnectorException.TimeoutCode)
        {
            Observe(tenant, conversation, throttled: false);
            await RetryLaterAsync(m, $"{(int)ex.Status} {ex.Code}".TrimEnd(), ambiguous: !posted && ex.MayHaveBeenDelivered);
        }
        catch (ConnectorException ex)
        {
            Observe(tenant, conversation, throttled: false);
            await FailAsync(m, ex);
        }
        catch (UntrustedServiceUrlException ex)
        {
            await RecordAsync(m.Id, s => s.SetProperty(x => x.Status, OutboxStatus.Failed).SetProperty(x => x.Error, Truncate(ex.Message, 1000)));
            LogFailed(m.Id, "untrusted serviceUrl");
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            await RetryLaterAsync(m, ex is OperationCanceledException ? "connector call timed out" : "connector unreachable: " + ex.Message, ambiguous: !posted);
        }
        finally
        {
            foreach (var ticket in tickets) _pacer.Answered(ticket);
        }
        return true;
    }

    /// <summary>The call's answer (or failure) is back: by now it has arrived, which is what the pacer's windows count.</summary>
    private async Task<T> Answered<T>(List<SendPacer.Ticket> tickets, Task<T> call)
    {
        try
        {
            return await call;
        }
        finally
        {
            foreach (var ticket in tickets) _pacer.Answered(ticket);
        }
    }

    /// <summary>Waits, without holding anything in the store, until the pace allows a call; false when this instance must stop sending.</summary>
    private async Task<bool> WaitForTurnAsync(string tenant, string conversation, CancellationToken stopping)
    {
        while (true)
        {
            if (!CanSend || !_owned.ContainsKey(tenant)) return false;
            var wait = _pacer.Delay(tenant, conversation);
            if (wait <= TimeSpan.Zero) return true;
            await Task.Delay(wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1), _clock, stopping);
        }
    }

    /// <summary>The slot, taken right before the call (no store round trip between it and the POST).</summary>
    private async Task TakeTurnAsync(string tenant, string conversation, List<SendPacer.Ticket> tickets, CancellationToken stopping)
    {
        var ticket = await _pacer.TakeAsync(tenant, conversation, stopping);
        tickets.Add(ticket);
        if (!CanSend || !_owned.ContainsKey(tenant)) throw new HandBackException();
    }

    /// <summary>This instance may not send now (its heartbeat is stale): the row goes back unattempted.</summary>
    private sealed class HandBackException() : Exception("This instance lost its heartbeat; the row is handed back.");

    /// <summary>Marks the attempt (a crash from here on may leave a POST behind) and reads what to send.</summary>
    private async Task<Fresh?> PrepareAsync(OpsBotDbContext db, long id)
    {
        var now = Now;
        var me = InstanceId;
        if (await db.OutboxMessages.Where(x => x.Id == id && x.LeaseOwner == me && x.Status == OutboxStatus.InFlight)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.AttemptStartedAt, now)) == 0) return null;
        return await db.OutboxMessages.AsNoTracking().Where(x => x.Id == id)
            .Select(x => new Fresh(x.LiveCard, x.DesiredVersion, x.SentVersion, x.ActivityJson, x.ResultConversationId, x.ResultActivityId))
            .FirstOrDefaultAsync();
    }

    private async Task<string?> RenderAsync(OpsBotDbContext db, OutboxMessage m, Fresh fresh, CancellationToken ct)
    {
        var key = fresh.LiveCard!;
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !_sources.TryGetValue(key[..colon], out var source)) return fresh.ActivityJson.Length > 0 ? fresh.ActivityJson : null;
        var now = Now;
        if (source.SameForEveryCopy && _renders.TryGetValue(key, out var cached) && cached.Version == fresh.DesiredVersion && now - cached.At < SharedRenderLifetime)
            return cached.Json;
        var json = await source.RenderAsync(db, new LiveCardCopy(key, key[(colon + 1)..], m.Kind, m.UserId, m.ChannelId, fresh.ResultConversationId ?? m.ConversationId), ct);
        if (source.SameForEveryCopy)
        {
            if (_renders.Count > 1024) _renders.Clear();
            _renders[key] = (fresh.DesiredVersion, json, now);
        }
        return json;
    }

    /// <summary>How long one rendering serves a fan-out of the same card (its delivery counts are that old at most).</summary>
    private static readonly TimeSpan SharedRenderLifetime = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The serviceUrl Teams last gave for the row's tenant (from inbound activities); the row's own (often the configured
    /// default) only for a tenant never heard from.
    /// </summary>
    private async Task<string> ServiceUrlAsync(OutboxMessage m, CancellationToken ct)
    {
        var tenant = m.TenantId ?? "";
        var now = Now;
        // Kept 30 s once learned; "not heard from yet" only 2 s, so the first inbound activity takes effect at once.
        if (!_serviceUrls.TryGetValue(tenant, out var learned) || now - learned.At > (learned.Url is null ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(30)))
        {
            var url = await PersistentlyAsync(db => db.ConversationReferences.AsNoTracking()
                .Where(r => r.TenantId == tenant && r.IsActive).OrderByDescending(r => r.UpdatedAt).Select(r => r.ServiceUrl).FirstOrDefaultAsync(ct), ct);
            _serviceUrls[tenant] = learned = (url, now);
        }
        return learned.Url ?? m.ServiceUrl;
    }

    private ChannelAccount? BotAccount() =>
        _configuration["MicrosoftAppId"] is { Length: > 0 } appId ? new ChannelAccount { Id = "28:" + appId } : null;

    /// <summary>
    /// 429 (or 503 with Retry-After): the call was refused, not processed, so it costs no attempt; the row waits Retry-After and
    /// its conversation pauses. When most of the tenant's calls of the last second were refused across several conversations,
    /// the tenant's limit is the cause and the whole tenant pauses (here: this instance is its only sender; and in the store
    /// for whoever sends for it next).
    /// </summary>
    private async Task ThrottledAsync(OutboxMessage m, string tenant, string conversation, string reason, TimeSpan? retryAfter)
    {
        var now = Now;
        var wait = retryAfter is { } ra && ra > TimeSpan.Zero ? ra : TimeSpan.FromSeconds(1);
        var until = now + wait;
        _pacer.Pause(conversation, until);
        if (TenantOverloaded(tenant, now))
        {
            _pacer.Pause(tenant, until);
            LogTenantPaused(tenant, until);
            await PersistentlyAsync(db => db.OutboxThrottles.Where(t => t.Key == tenant && t.NextAt < until)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.NextAt, until)), _hardStop.Token);
        }
        if (GiveUp(m, until) is { } failure)
        {
            await GiveUpAsync(m, failure, reason);
            return;
        }
        var next = until + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 50));
        await RecordAsync(m.Id, s => s
            .SetProperty(x => x.Status, OutboxStatus.Queued)
            .SetProperty(x => x.NextAttemptAt, next)
            .SetProperty(x => x.Throttles, x => x.Throttles + 1)
            .SetProperty(x => x.Attempts, x => x.Attempts + 1)
            .SetProperty(x => x.Error, $"Throttled ({reason}); trying again after {wait.TotalSeconds:0.#} s"));
    }

    private async Task RetryLaterAsync(OutboxMessage m, string reason, bool ambiguous)
    {
        var failures = m.Attempts - m.Throttles;
        var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble()
            * Math.Min(_options.BackoffCap.TotalMilliseconds, _options.BackoffBase.TotalMilliseconds * Math.Pow(2, Math.Clamp(failures, 0, 20))));
        var next = Now + delay;
        if (GiveUp(m, next) is { } failure)
        {
            await GiveUpAsync(m, failure, reason, ambiguous);
            return;
        }
        var note = ambiguous ? $"Retrying after {reason}; the previous POST may have arrived (possibly duplicated)" : $"Retrying after {reason}";
        await RecordAsync(m.Id, s => s
            .SetProperty(x => x.Status, OutboxStatus.Queued)
            .SetProperty(x => x.NextAttemptAt, next)
            .SetProperty(x => x.Attempts, x => x.Attempts + 1)
            .SetProperty(x => x.RepeatedAfterAmbiguousFailure, x => x.RepeatedAfterAmbiguousFailure || ambiguous)
            .SetProperty(x => x.Error, Truncate(note, 1000)));
        m.Attempts++;
        LogRetry(m.Id, reason, delay.TotalMilliseconds);
    }

    private string? GiveUp(OutboxMessage m, DateTime nextTry) =>
        nextTry - m.CreatedAt > _options.GiveUpAfter ? $"Gave up: not delivered within {_options.GiveUpAfter}" : null;

    private async Task GiveUpAsync(OutboxMessage m, string failure, string reason, bool ambiguous = false)
    {
        await RecordAsync(m.Id, s => s
            .SetProperty(x => x.Status, OutboxStatus.Failed)
            .SetProperty(x => x.Attempts, x => x.Attempts + 1)
            .SetProperty(x => x.RepeatedAfterAmbiguousFailure, x => x.RepeatedAfterAmbiguousFailure || ambiguous)
            .SetProperty(x => x.Error, Truncate($"{failure}; last: {reason}", 1000)));
        LogGaveUp(m.Id, reason);
    }

    private async Task FailAsync(OutboxMessage m, ConnectorException ex)
    {
        var reason = $"{(int)ex.Status} {ex.SubCode ?? ex.Code}".TrimEnd();
        var unreachable = (int)ex.Status == 403 && (ex.Code is "ConversationBlockedByUser" or "BotNotInConversationRoster" or "BotDisabledByAdmin" || ex.SubCode == "MessageWritesBlocked")
                          || ((int)ex.Status == 404 && ex.Code == "ConversationNotFound");
        if (unreachable)
        {
            // Recorded before the row is marked failed, so whoever sees the failure also sees the recipient as unreachable.
            var key = m.ResultConversationId ?? m.ConversationId ?? m.UserId ?? m.ChannelId ?? "";
            await PersistentlyAsync(async db =>
            {
                var now = Now;
                var row = await db.UnreachableRecipients.FindAsync(key);
                if (row is null) db.UnreachableRecipients.Add(new UnreachableRecipient { Key = key, Reason = reason, At = now });
                else { row.Reason = reason; row.At = now; }
                try { return await db.SaveChangesAsync(); }
                catch (DbUpdateException e) when (!IsStoreFailure(e.InnerException ?? e)) { return 0; } // recorded by a parallel failure
            }, _hardStop.Token);
        }
        await RecordAsync(m.Id, s => s
            .SetProperty(x => x.Status, OutboxStatus.Failed)
            .SetProperty(x => x.Attempts, x => x.Attempts + 1)
            .SetProperty(x => x.Error, Truncate(reason + ": " + ex.Message, 1000)));
        LogFailed(m.Id, reason);
    }

    /// <summary>
    /// Writes the row's outcome and lets go of it, in one UPDATE conditional on this instance still holding it; retried until
    /// the store answers (an outage must not turn a delivered message into a failure or a duplicate).
    /// </summary>
    private async Task<bool> RecordAsync(long id, Func<UpdateSettersBuilder<OutboxMessage>, UpdateSettersBuilder<OutboxMessage>> set)
    {
        var me = InstanceId;
        try
        {
            return await PersistentlyAsync(async db => await db.OutboxMessages.Where(x => x.Id == id && x.LeaseOwner == me)
                .ExecuteUpdateAsync(s => set(s
                    .SetProperty(x => x.LeaseOwner, (string?)null)
                    .SetProperty(x => x.AttemptStartedAt, (DateTime?)null)
                    .SetProperty(x => x.Version, x => x.Version + 1))) == 1, _hardStop.Token);
        }
        catch (OperationCanceledException)
        {
            return false; // shut down during an outage: the next start (or owner) recovers the row
        }
    }

    /// <summary>Hands claimed rows back untouched (shutdown, lost heartbeat): not attempted, so nothing is flagged.</summary>
    private async Task ReleaseAsync(IReadOnlyCollection<long> ids)
    {
        if (ids.Count == 0) return;
        var me = InstanceId;
        try
        {
            await PersistentlyAsync(db => db.OutboxMessages.Where(x => ids.Contains(x.Id) && x.LeaseOwner == me && x.Status == OutboxStatus.InFlight)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(x => x.Status, OutboxStatus.Queued)
                    .SetProperty(x => x.LeaseOwner, (string?)null)
                    .SetProperty(x => x.AttemptStartedAt, (DateTime?)null)
                    .SetProperty(x => x.Version, x => x.Version + 1)), _hardStop.Token);
        }
        catch (OperationCanceledException) { }
    }

    private void Observe(string tenant, string conversation, bool throttled)
    {
        lock (_recentCalls)
        {
            if (!_recentCalls.TryGetValue(tenant, out var calls)) _recentCalls[tenant] = calls = new();
            calls.Enqueue((Now, conversation, throttled));
        }
    }

    /// <summary>Most of the last second's calls refused, across several conversations: the tenant's limit, not one busy chat.</summary>
    private bool TenantOverloaded(string tenant, DateTime now)
    {
        lock (_recentCalls)
        {
            if (!_recentCalls.TryGetValue(tenant, out var calls)) return false;
            while (calls.Count > 0 && now - calls.Peek().At >= TimeSpan.FromSeconds(1)) calls.Dequeue();
            var throttled = calls.Where(c => c.Throttled).ToList();
            return throttled.Select(c => c.Conversation).Distinct(StringComparer.Ordinal).Count() >= TenantThrottleConversations
                   && throttled.Count * 5 >= calls.Count * 4;
        }
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivering outbox {Id} crashed; handed back")]
    private partial void LogDeliveryCrashed(Exception ex, long id);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Id} was taken over by another instance before its result was recorded")]
    private partial void LogLeaseLost(long id);
    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox {Id}: {Reason}; retrying in {DelayMs} ms")]
    private partial void LogRetry(long id, string reason, double delayMs);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Most calls to {Tenant} are throttled across conversations: its sends pause until {Until:O}")]
    private partial void LogTenantPaused(string tenant, DateTime until);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Id} gave up (time budget spent); last: {Reason}")]
    private partial void LogGaveUp(long id, string reason);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Id} failed for good: {Reason}")]
    private partial void LogFailed(long id, string reason);
}
