namespace OpsBot.Data;

/// <summary>
/// Seeds configuration into the store at start-up, idempotently. An unreachable database must not stop the process
/// (<c>/healthz</c> stays live, <c>/readyz</c> reports it): seeding is retried every <see cref="RetryInterval"/> until it succeeds.
/// </summary>
public abstract partial class StartupSeeder(IServiceScopeFactory scopes, TimeProvider time, IHostApplicationLifetime lifetime, ILogger log) : IHostedService
{
    /// <summary>How often seeding is retried while the database cannot be reached at start-up.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(30);

    private Task _retries = Task.CompletedTask;

    /// <summary>What is seeded, for the log.</summary>
    protected abstract string What { get; }

    protected abstract Task SeedAsync(OpsBotDbContext db, DateTime now, CancellationToken ct);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await TrySeedAsync(cancellationToken)) _retries = RetryAsync(lifetime.ApplicationStopping);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _retries.WaitAsync(cancellationToken);

    private async Task RetryAsync(CancellationToken ct)
    {
        try
        {
            do await Task.Delay(RetryInterval, time, ct);
            while (!await TrySeedAsync(ct));
        }
        catch (OperationCanceledException)
        {
            // Stopped before the database came back.
        }
    }

    private async Task<bool> TrySeedAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        try
        {
            await SeedAsync(db, time.GetUtcNow().UtcDateTime, ct);
        }
        catch (Microsoft.EntityFrameworkCore.DbUpdateException ex)
        {
            // Another instance seeded at the same moment; its rows are the same configuration.
            LogSeedRaced(log, ex, What);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException || ex.InnerException is System.Data.Common.DbException)
        {
            LogSeedFailed(log, ex, What, RetryInterval);
            return false;
        }
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Seeding {What} raced with another instance; keeping the stored rows.")]
    private static partial void LogSeedRaced(ILogger log, Exception ex, string what);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not seed {What} (database unreachable?); retrying every {Interval}")]
    private static partial void LogSeedFailed(ILogger log, Exception ex, string what, TimeSpan interval);
}
