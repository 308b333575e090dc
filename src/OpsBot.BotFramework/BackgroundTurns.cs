using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpsBot.BotFramework;

/// <summary>
/// Turns that outlive their HTTP request (a slow message is answered after ~1 s and finishes here). Graceful shutdown waits
/// for them; their cancellation token fires only when the host's shutdown timeout runs out.
/// </summary>
public sealed partial class BackgroundTurns(ILogger<BackgroundTurns> log) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public int InFlight => _running.Count;

    public Task Run(Func<CancellationToken, Task> work)
    {
        var task = Task.Run(() => work(_abort.Token));
        _running[task] = 0;
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_running.IsEmpty) return; // nothing to drain; the host may already have disposed this service (test hosts do)
        await using var abortOnTimeout = cancellationToken.Register(_abort.Cancel);
        while (!_running.IsEmpty)
        {
            LogDraining(_running.Count);
            try
            {
                await Task.WhenAll(_running.Keys).WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                LogAbandoned(_running.Count);
                return;
            }
            catch (Exception)
            {
                // Each turn logs its own failure; draining only waits.
            }
        }
    }

    public void Dispose() => _abort.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: waiting for {Count} turn(s) still running")]
    private partial void LogDraining(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown timeout: {Count} turn(s) cancelled before they finished")]
    private partial void LogAbandoned(int count);
}
