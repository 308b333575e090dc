using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework;

/// <summary>
/// Runs authenticated activities through the bot with the HTTP semantics of protocol doc §5: invokes and expectReplies wait for
/// their answer; other activities are answered after at most <c>Bot:MessageInlineWait</c> (default 1 s) and, when their turn
/// is still running then, finish in <see cref="BackgroundTurns"/> while a typing indicator is shown. Redeliveries (§5.4) get the
/// first answer and cause no second turn. The answer is an <see cref="InvokeResponse"/> standing for the HTTP status and body.
/// </summary>
public sealed partial class InboundTurns(
    BackgroundTurns background, IServiceScopeFactory scopes, TimeProvider time, IConfiguration config, UnavailableErrors unavailable, ILogger<InboundTurns> log)
{
    public static readonly TimeSpan DefaultInlineWait = TimeSpan.FromSeconds(1);
    private readonly TimeSpan _inlineWait = config.GetValue<TimeSpan?>("Bot:MessageInlineWait") ?? DefaultInlineWait;
    public static readonly TimeSpan TypingInterval = TimeSpan.FromSeconds(3);
    /// <summary>How long a redelivered invoke waits for a first delivery that is being processed by another instance.</summary>
    public static readonly TimeSpan DuplicateWait = TimeSpan.FromSeconds(15);

    private static readonly InvokeResponse Ok = new(200);
    private static readonly InvokeResponse Unavailable = new(503);
    private readonly ConcurrentDictionary<InboundActivityKey, Task<InvokeResponse>> _running = new();

    public async Task<InvokeResponse> ProcessAsync(Activity activity, CallerIdentity caller, CancellationToken requestAborted)
    {
        var waitForAnswer = activity.Type == ActivityTypes.Invoke || IsExpectReplies(activity);
        var key = InboundActivityKey.For(activity);
        if (key is null) return await AnswerAsync(Start(activity, caller, null), waitForAnswer, requestAborted);

        var deadline = time.GetUtcNow() + DuplicateWait;
        while (true)
        {
            if (_running.TryGetValue(key, out var first))
            {
                LogDuplicate(key.ActivityId, "still running here");
                return waitForAnswer ? await first.WaitAsync(requestAborted) : Ok;
            }

            var earlier = await UseLogAsync(l => l.TryBeginAsync(key, requestAborted));
            if (earlier is null) return await AnswerAsync(Start(activity, caller, key), waitForAnswer, requestAborted);
            if (earlier.Completed)
            {
                LogDuplicate(key.ActivityId, "already answered");
                return waitForAnswer ? earlier.Answer ?? Ok : Ok;
            }
            if (!waitForAnswer)
            {
                LogDuplicate(key.ActivityId, "in progress");
                return Ok;
            }
            // The first delivery runs in another instance (or died with a previous process): wait for its answer.
            while (time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, requestAborted);
                if (_running.TryGetValue(key, out var local)) return await local.WaitAsync(requestAborted);
                var record = await UseLogAsync(l => l.FindAsync(key, requestAborted));
                if (record is null) break; // forgotten after a failure: claim it again
                if (record.Completed) return record.Answer ?? Ok;
            }
            if (time.GetUtcNow() >= deadline)
            {
                LogDuplicateTimedOut(key.ActivityId);
                return new InvokeResponse(503);
            }
        }
    }

    private Task<InvokeResponse> Start(Activity activity, CallerIdentity caller, InboundActivityKey? key)
    {
        var answer = new TaskCompletionSource<InvokeResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (key is not null) _running[key] = answer.Task;
        var answerMatters = activity.Type == ActivityTypes.Invoke || IsExpectReplies(activity);
        background.Run(async stopping =>
        {
            try
            {
                var (result, failed) = await RunTurnAsync(activity, caller, stopping);
                // A redelivered message is answered 200 whatever happened, so only invoke/expectReplies answers are stored.
                if (key is not null && failed) await ForgetAsync(key, result);
                else if (key is not null && answerMatters) await UseLogAsync(l => l.CompleteAsync(key, result, CancellationToken.None));
                answer.TrySetResult(result);
            }
            catch (Exception ex) when (unavailable.Matches(ex))
            {
                LogBookkeepingUnavailable(activity.Id, ex.GetType().Name, ex.Message);
                answer.TrySetResult(Unavailable);
            }
            catch (Exception ex)
            {
                LogBookkeepingFailed(ex, activity.Id);
                answer.TrySetResult(activity.Type == ActivityTypes.Invoke ? new InvokeResponse(500) : Ok);
            }
            finally
            {
                if (key is not null) _running.TryRemove(key, out _);
            }
        });
        return answer.Task;
    }

    /// <summary>Forgets a failed turn's claim so that a redelivery runs it; when the store is down that waits for it to come back.</summary>
    private async Task ForgetAsync(InboundActivityKey key, InvokeResponse result)
    {
        try
        {
            await UseLogAsync(l => l.ForgetAsync(key, CancellationToken.None));
        }
        catch (Exception ex) when (result.Status == Unavailable.Status && unavailable.Matches(ex))
        {
            LogForgetUnavailable(key.ActivityId, ex.GetType().Name);
        }
    }

    private async Task<InvokeResponse> AnswerAsync(Task<InvokeResponse> turn, bool waitForAnswer, CancellationToken requestAborted)
    {
        if (waitForAnswer) return await turn.WaitAsync(requestAborted);
        await Task.WhenAny(turn, Task.Delay(_inlineWait, time, requestAborted));
        return turn.IsCompletedSuccessfully && turn.Result.Status == Unavailable.Status ? Unavailable : Ok;
    }

    /// <summary>One turn. Returns the HTTP answer and whether the turn failed in a way a redelivery should retry.</summary>
    private async Task<(InvokeResponse Answer, bool Failed)> RunTurnAsync(Activity activity, CallerIdentity caller, CancellationToken stopping)
    {
        if (activity.Type == ActivityTypes.Invoke && InvokeValues.Check(activity.Name, activity.Value) is { } malformed)
        {
            LogMalformedInvoke(activity.Name, activity.Id, malformed.Body?["value"]?["message"]?.ToString());
            return (malformed, false);
        }
        await using var scope = scopes.CreateAsyncScope();
        var bot = scope.ServiceProvider.GetRequiredService<IBot>();
        var turn = new TurnContext(activity, scope.ServiceProvider.GetRequiredService<ConnectorClient>(), caller);
        var isInvoke = activity.Type == ActivityTypes.Invoke;
        using var typingStop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var typing = activity.Type == ActivityTypes.Message && !turn.ExpectReplies ? KeepTypingAsync(turn, typingStop.Token) : Task.CompletedTask;
        var failed = false;
        try
        {
            await bot.OnTurnAsync(turn, stopping);
        }
        catch (Exception ex) when (unavailable.Matches(ex))
        {
            // Nothing was answered yet for an invoke; a message answered already (after the inline wait) cannot be redelivered.
            LogTurnUnavailable(activity.Type, activity.Id, ex.GetType().Name, ex.Message);
            return (Unavailable, true);
        }
        catch (Exception ex)
        {
            LogTurnFailed(ex, activity.Type, activity.Name, activity.Id);
            failed = isInvoke;
        }
        finally
        {
            await typingStop.CancelAsync();
            await typing;
        }

        if (turn.ExpectReplies)
        {
            var body = new JsonObject { ["activities"] = JsonSerializer.SerializeToNode(turn.BufferedReplies, BotJson.Options) };
            if (turn.InvokeResponse?.Body is { } invokeBody) body["body"] = invokeBody.DeepClone();
            return (new InvokeResponse(200, body), failed);
        }
        if (failed) return (new InvokeResponse(500), true);
        if (isInvoke) return (turn.InvokeResponse ?? new InvokeResponse(501), false);
        return (Ok, false);
    }

    private async Task KeepTypingAsync(TurnContext turn, CancellationToken ct)
    {
        try
        {
            await Task.Delay(_inlineWait, time, ct);
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await turn.SendActivityAsync(new Activity { Type = ActivityTypes.Typing }, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogTypingFailed(ex.GetType().Name, turn.Activity.Id);
                    return;
                }
                await Task.Delay(TypingInterval, time, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The turn finished.
        }
    }

    private async Task<T> UseLogAsync<T>(Func<IInboundActivityLog, Task<T>> use)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<IInboundActivityLog>());
    }

    private async Task UseLogAsync(Func<IInboundActivityLog, Task> use)
    {
        await using var scope = scopes.CreateAsyncScope();
        await use(scope.ServiceProvider.GetRequiredService<IInboundActivityLog>());
    }

    private static bool IsExpectReplies(Activity a) => string.Equals(a.DeliveryMode, DeliveryModes.ExpectReplies, StringComparison.Ordinal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redelivered activity {ActivityId} ({State}): no second turn")]
    private partial void LogDuplicate(string activityId, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redelivered invoke {ActivityId}: the first delivery did not finish in time; answering 503")]
    private partial void LogDuplicateTimedOut(string activityId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Answered 400 to invoke {InvokeName} {ActivityId}: {Problem}")]
    private partial void LogMalformedInvoke(string? invokeName, string? activityId, string? problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Turn failed for {ActivityType} {InvokeName} {ActivityId}")]
    private partial void LogTurnFailed(Exception ex, string? activityType, string? invokeName, string? activityId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Turn for {ActivityType} {ActivityId} stopped: its store is unavailable ({Error}: {Message}); forgotten for redelivery (503 unless already answered)")]
    private partial void LogTurnUnavailable(string? activityType, string? activityId, string error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Activity {ActivityId}: recording its outcome failed, the store is unavailable ({Error}: {Message})")]
    private partial void LogBookkeepingUnavailable(string? activityId, string error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Activity {ActivityId}: its claim could not be released while the store is unavailable ({Error})")]
    private partial void LogForgetUnavailable(string activityId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording the outcome of activity {ActivityId} failed")]
    private partial void LogBookkeepingFailed(Exception ex, string? activityId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Typing indicator for {ActivityId} not sent ({Error})")]
    private partial void LogTypingFailed(string error, string? activityId);
}
