using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;

namespace OpsBot.Conversations;

/// <summary>
/// The durable <see cref="IInboundActivityLog"/>: one <see cref="ProcessedActivity"/> row per accepted activity, so redelivery
/// detection survives a restart. On SQLite and PostgreSQL the writes go through <see cref="InboundActivityWriter"/> (group commit);
/// on SQL Server each is its own EF transaction.
/// </summary>
public sealed class StoredInboundActivityLog(IServiceProvider services, InboundActivityWriter writer, TimeProvider time) : IInboundActivityLog
{
    // Resolved on first use: claiming a new activity through the batch writer needs no DbContext.
    private OpsBotDbContext? _db;
    private OpsBotDbContext Db => _db ??= services.GetRequiredService<OpsBotDbContext>();

    public async Task<InboundActivityRecord?> TryBeginAsync(InboundActivityKey key, CancellationToken ct)
    {
        if (!writer.Enabled) return await InsertAsync(key, ct);
        ct.ThrowIfCancellationRequested();
        // Not cancellable once queued: a committed claim whose caller walked away would leave the activity unprocessed.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await writer.ClaimAsync(key, time.GetUtcNow().UtcDateTime)) return null;
            // An earlier delivery owns the row; if it was forgotten since (its turn failed), claim again.
            if (await FindAsync(key, ct) is { } earlier) return earlier;
        }
        throw new InvalidOperationException($"Could not record inbound activity {key.ActivityId}.");
    }

    private async Task<InboundActivityRecord?> InsertAsync(InboundActivityKey key, CancellationToken ct)
    {
        Db.ProcessedActivities.Add(new ProcessedActivity
        {
            ChannelId = key.ChannelId,
            ConversationId = key.ConversationId,
            ActivityId = key.ActivityId,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        });
        try
        {
            await Db.SaveChangesAsync(ct);
            return null;
        }
        catch (DbUpdateException)
        {
            Db.ChangeTracker.Clear();
            // The unique index refused the row: an earlier delivery owns it. Any other failure has no row to find and is rethrown.
            return await FindAsync(key, ct) ?? throw new InvalidOperationException($"Could not record inbound activity {key.ActivityId}.");
        }
    }

    public Task CompleteAsync(InboundActivityKey key, InvokeResponse? answer, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var status = answer?.Status;
        var body = answer?.Body?.ToJsonString();
        if (writer.Enabled) return writer.CompleteAsync(key, now, status, body);
        return Rows(key).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.CompletedAt, now)
            .SetProperty(p => p.ResponseStatus, status)
            .SetProperty(p => p.ResponseBody, body), ct);
    }

    public Task ForgetAsync(InboundActivityKey key, CancellationToken ct) =>
        writer.Enabled ? writer.ForgetAsync(key) : Rows(key).ExecuteDeleteAsync(ct);

    public async Task<InboundActivityRecord?> FindAsync(InboundActivityKey key, CancellationToken ct)
    {
        var row = await Rows(key).AsNoTracking().FirstOrDefaultAsync(ct);
        if (row is null) return null;
        if (row.CompletedAt is null) return new InboundActivityRecord(false, null);
        var answer = row.ResponseStatus is { } status ? new InvokeResponse(status, row.ResponseBody is null ? null : JsonNode.Parse(row.ResponseBody)) : null;
        return new InboundActivityRecord(true, answer);
    }

    private IQueryable<ProcessedActivity> Rows(InboundActivityKey key) =>
        Db.ProcessedActivities.Where(p => p.ChannelId == key.ChannelId && p.ConversationId == key.ConversationId && p.ActivityId == key.ActivityId);
}
