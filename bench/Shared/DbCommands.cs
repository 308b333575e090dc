using System.Diagnostics;

/// <summary>Counts the database round trips issued through EF, for the benchmarks' "DB commands per operation".</summary>
internal static class DbCommands
{
    private static long _executed;
    public static long Executed => Interlocked.Read(ref _executed);

    // Database round trips issued through EF (a batched SaveChanges counts once), seen on EF's DiagnosticListener.
    static DbCommands() => DiagnosticListener.AllListeners.Subscribe(new Observer<DiagnosticListener>(l =>
    {
        if (l.Name == "Microsoft.EntityFrameworkCore")
            l.Subscribe(new Observer<KeyValuePair<string, object?>>(e =>
            {
                if (e.Key is "Microsoft.EntityFrameworkCore.Database.Command.CommandExecuted" or "Microsoft.EntityFrameworkCore.Database.Command.CommandError")
                    Interlocked.Increment(ref _executed);
            }));
    }));

    public static void Start() => _ = Executed;

    private sealed class Observer<T>(Action<T> next) : IObserver<T>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void OnNext(T value) => next(value);
    }
}
