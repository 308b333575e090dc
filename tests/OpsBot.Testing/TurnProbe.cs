using System.Collections.Concurrent;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Schema;

namespace OpsBot.Testing;

/// <summary>Records what the bot's handlers saw; <see cref="Gate"/> holds the <c>slow</c> command and <c>test.slow</c> verb.</summary>
public sealed class TurnProbe
{
    private int _calls;
    public ConcurrentQueue<(Activity Activity, CallerIdentity Caller)> Turns { get; } = new();
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource SlowStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public volatile bool SlowFinished;
    public int Calls => Volatile.Read(ref _calls);

    public int Record(TurnContext turn)
    {
        Turns.Enqueue((turn.Activity, turn.Caller));
        return Interlocked.Increment(ref _calls);
    }

    public bool Saw(string? activityId) => Turns.Any(t => t.Activity.Id == activityId);
}
