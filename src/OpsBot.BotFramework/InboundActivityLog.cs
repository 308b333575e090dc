using System.Collections.Concurrent;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework;

/// <summary>Identity of an inbound activity for redelivery detection (protocol doc §5.4).</summary>
public sealed record InboundActivityKey(string ChannelId, string ConversationId, string ActivityId)
{
    public const int MaxChannelIdLength = 64;
    public const int MaxConversationIdLength = 400;
    public const int MaxActivityIdLength = 200;

    public static InboundActivityKey? For(Activity activity) =>
        string.IsNullOrEmpty(activity.Id) || string.IsNullOrEmpty(activity.Conversation?.Id)
            ? null
            : new InboundActivityKey(activity.ChannelId ?? "", activity.Conversation.Id, activity.Id);
}

/// <summary>What an earlier delivery of the same activity left behind: still running, or finished with this HTTP answer.</summary>
public sealed record InboundActivityRecord(bool Completed, InvokeResponse? Answer);

/// <summary>
/// The persisted record of inbound activities already accepted, so that a redelivery (same channel, conversation and activity id)
/// has no second effect and gets the first answer, also after a restart. The app supplies a durable implementation; the protocol
/// layer falls back to <see cref="MemoryInboundActivityLog"/>.
/// </summary>
public interface IInboundActivityLog
{
    /// <summary>Claims the activity. Returns null when this caller now owns it, else the record of the earlier delivery.</summary>
    Task<InboundActivityRecord?> TryBeginAsync(InboundActivityKey key, CancellationToken ct);

    /// <summary>Stores the HTTP answer (invoke response, expectReplies body) a redelivery must get; null means "200, empty".</summary>
    Task CompleteAsync(InboundActivityKey key, InvokeResponse? answer, CancellationToken ct);

    /// <summary>Forgets a claim whose processing failed, so a redelivery runs it again.</summary>
    Task ForgetAsync(InboundActivityKey key, CancellationToken ct);

    /// <summary>The current record, for a duplicate waiting on an earlier delivery processed elsewhere.</summary>
    Task<InboundActivityRecord?> FindAsync(InboundActivityKey key, CancellationToken ct);
}

/// <summary>Process-local <see cref="IInboundActivityLog"/> (lost on restart) keeping records for <see cref="Retention"/>.</summary>
public sealed class MemoryInboundActivityLog(TimeProvider time) : IInboundActivityLog
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<InboundActivityKey, (InboundActivityRecord Record, DateTimeOffset At)> _records = new();
    private DateTimeOffset _nextSweep;

    public Task<InboundActivityRecord?> TryBeginAsync(InboundActivityKey key, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        Sweep(now);
        if (_records.TryAdd(key, (new InboundActivityRecord(false, null), now))) return Task.FromResult<InboundActivityRecord?>(null);
        return Task.FromResult<InboundActivityRecord?>(_records.TryGetValue(key, out var existing) ? existing.Record : new InboundActivityRecord(false, null));
    }

    public Task CompleteAsync(InboundActivityKey key, InvokeResponse? answer, CancellationToken ct)
    {
        _records[key] = (new InboundActivityRecord(true, answer), time.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task ForgetAsync(InboundActivityKey key, CancellationToken ct)
    {
        _records.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    public Task<InboundActivityRecord?> FindAsync(InboundActivityKey key, CancellationToken ct) =>
        Task.FromResult(_records.TryGetValue(key, out var r) ? r.Record : null);

    private void Sweep(DateTimeOffset now)
    {
        if (now < _nextSweep) return;
        _nextSweep = now + TimeSpan.FromMinutes(1);
        foreach (var (key, value) in _records)
        {
            if (now - value.At > Retention) _records.TryRemove(key, out _);
        }
    }
}
