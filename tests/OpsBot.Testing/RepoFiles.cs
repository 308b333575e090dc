using System.Diagnostics;

namespace OpsBot.Testing;

/// <summary>Paths in the repository checkout and a runner for the Node scripts in <c>tests/peers</c>.</summary>
public static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static Task<(int ExitCode, string Output, string Error)> RunNodeAsync(string script, params string[] args) =>
        RunAsync(NodeStart(script, args));

    public static ProcessStartInfo NodeStart(string script, params string[] args)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(PathOf("tests", "peers", script));
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish in 90 s.");
        }
        return (process.ExitCode, await output, await error);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OpsBot.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No OpsBot.sln above {AppContext.BaseDirectory}.");
    }
}
