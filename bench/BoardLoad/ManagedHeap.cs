using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

/// <summary>
/// The managed heap of another .NET process after a full collection, over EventPipe (as <c>dotnet-gcdump</c> does): a session with
/// the runtime's GC and GCHeapCollect keywords makes the process run an induced blocking gen-2 GC, whose GCHeapStats event gives the
/// size of each generation after it.
/// </summary>
internal static class ManagedHeap
{
    public static async Task<long?> AfterFullGcAsync(int pid, TimeSpan timeout)
    {
        var client = new DiagnosticsClient(pid);
        var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect);
        using var session = client.StartEventPipeSession([new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, keywords)], requestRundown: false);
        var result = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var processing = Task.Run(() =>
        {
            using var source = new EventPipeEventSource(session.EventStream);
            var induced = false;
            source.Clr.GCStart += e => induced = e.Reason == GCReason.Induced && e.Depth == 2;
            source.Clr.GCHeapStats += e =>
            {
                if (induced) result.TrySetResult(e.TotalHeapSize);
            };
            try { source.Process(); } catch (Exception) when (result.Task.IsCompleted) { }
        });
        var done = await Task.WhenAny(result.Task, Task.Delay(timeout));
        try { await session.StopAsync(CancellationToken.None); } catch (Exception ex) when (ex is ServerNotAvailableException or IOException or TimeoutException) { }
        await Task.WhenAny(processing, Task.Delay(5000));
        return done == result.Task ? result.Task.Result : null;
    }
}
