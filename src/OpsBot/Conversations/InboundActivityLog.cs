using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;

namespace OpsBot.Conversations;

/// <summary>The durable <see cref="IInboundActivityLog"/>: one <see cref="ProcessedActivity"/> row per accepted activity, so redelivery detection survives a restart.</summary>
public sealed class EfInboundActivityLog(OpsBotDbContext db, TimeProvider time) : IInboundActivityLog
{
    // SQLite allows one writer: queueing here is far cheaper than its busy-retry sleeps under concurrent requests.
    private static readonly SemaphoreSlim SqliteWriter = new(1, 1);

    public Task<InboundActivityRecord?> TryBeginAsync(InboundActivityKey key, CancellationToken ct) => WriteAsync(() => InsertAsync(key, ct), ct);

    /// <summary>Every write of this log goes through one writer on SQLite (WAL allows one writer; queueing beats its busy sleeps).</summary>
    private async Task<T> WriteAsync<T>(Func<Task<T>> write, CancellationToken ct)
    {
        if (!db.Database.IsSqlite()) return await write();
        await SqliteWriter.WaitAsync(ct);
        try
        {
            return await write();
        }
        finally
        {
            SqliteWriter.Release();
        }
    }

    private async Task<InboundActivityRecord?> InsertAsync(InboundActivityKey key, CancellationToken ct)
    {
        db.ProcessedActivities.Add(new ProcessedActivity
        {
            ChannelId = key.ChannelId,
            ConversationId = key.ConversationId,
            ActivityId = key.ActivityId,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        });
        try
        {
            await db.SaveChangesAsync(ct);
            return null;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            // The unique index refused the row: an earlier delivery owns it. Any other failure has no row to find and is rethrown.
            return await FindAsync(key, ct) ?? throw new InvalidOperationException($"Could not record inbound activity {key.ActivityId}.");
        }
    }

    public Task CompleteAsync(InboundActivityKey key, InvokeResponse? answer, CancellationToken ct) =>
        WriteAsync(() => Rows(key).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.CompletedAt, time.GetUtcNow().UtcDateTime)
            .SetProperty(p => p.ResponseStatus, answer == null ? null : answer.Status)
            .SetProperty(p => p.ResponseBody, answer == null || answer.Body == null ? null : answer.Body.ToJsonString()), ct), ct);

    public Task ForgetAsync(InboundActivityKey key, CancellationToken ct) => WriteAsync(() => Rows(key).ExecuteDeleteAsync(ct), ct);

    public async Task<InboundActivityRecord?> FindAsync(InboundActivityKey key, CancellationToken ct)
    {
        var row = await Rows(key).AsNoTracking().FirstOrDefaultAsync(ct);
        if (row is null) return null;
        if (row.CompletedAt is null) return new InboundActivityRecord(false, null);
        var answer = row.ResponseStatus is { } status ? new InvokeResponse(status, row.ResponseBody is null ? null : JsonNode.Parse(row.ResponseBody)) : null;
        return new InboundActivityRecord(true, answer);
    }

    private IQueryable<ProcessedActivity> Rows(InboundActivityKey key) =>
        db.ProcessedActivities.Where(p => p.ChannelId == key.ChannelId && p.ConversationId == key.ConversationId && p.ActivityId == key.ActivityId);
}

/// <summary>Deletes <see cref="ProcessedActivity"/> rows older than <c>Bot:ProcessedActivityRetention</c> (default 1 day), hourly.</summary>
public sealed partial class ProcessedActivityCleanup(IServiceScopeFactory scopes, TimeProvider time, IConfiguration config, ILogger<ProcessedActivityCleanup> log)
    : BackgroundService
{
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(1);
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public static Task<int> PurgeAsync(OpsBotDbContext db, DateTime olderThan, CancellationToken ct) =>
        db.ProcessedActivities.Where(p => p.CreatedAt < olderThan).ExecuteDeleteAsync(ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var retention = config.GetValue<TimeSpan?>("Bot:ProcessedActivityRetention") ?? DefaultRetention;
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
                var deleted = await PurgeAsync(db, time.GetUtcNow().UtcDateTime - retention, stoppingToken);
                if (deleted > 0) LogPurged(deleted);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPurgeFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} processed-activity records past retention")]
    private partial void LogPurged(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging processed-activity records failed; retrying next hour")]
    private partial void LogPurgeFailed(Exception ex);
}

public static class InboundActivityLogExtensions
{
    /// <summary>Replaces the protocol layer's in-memory redelivery record with the database one, plus its hourly purge.</summary>
    public static IServiceCollection AddInboundActivityLog(this IServiceCollection services)
    {
        services.AddScoped<IInboundActivityLog, EfInboundActivityLog>();
        services.AddHostedService<ProcessedActivityCleanup>();
        return services;
    }
}
