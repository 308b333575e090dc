using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;

namespace OpsBot.Conversations;

/// <summary>Deletes <see cref="ProcessedActivity"/> rows older than <c>Bot:ProcessedActivityRetention</c> (default 1 day), hourly.</summary>
public sealed partial class ProcessedActivityCleanup(IServiceScopeFactory scopes, TimeProvider time, IOptions<BotOptions> options, ILogger<ProcessedActivityCleanup> log)
    : BackgroundService
{
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(1);
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public static Task<int> PurgeAsync(OpsBotDbContext db, DateTime olderThan, CancellationToken ct) =>
        db.ProcessedActivities.Where(p => p.CreatedAt < olderThan).ExecuteDeleteAsync(ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var retention = options.Value.ProcessedActivityRetention;
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
            catch (Exception ex) when (StoreErrors.IsUnavailable(ex))
            {
                LogStoreUnavailable(ex.GetType().Name, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPurgeFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging processed-activity records paused: the database is unavailable ({Error}: {Message}); retrying next hour")]
    private partial void LogStoreUnavailable(string error, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} processed-activity records past retention")]
    private partial void LogPurged(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging processed-activity records failed; retrying next hour")]
    private partial void LogPurgeFailed(Exception ex);
}
