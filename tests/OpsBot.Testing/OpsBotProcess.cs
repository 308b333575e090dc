using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpsBot.Testing;

/// <summary>
/// OpsBot as a separate process (<c>dotnet OpsBot.dll --urls …</c>, configuration through environment variables), for tests
/// that must kill it hard (<see cref="Kill"/>), stop it gracefully (<see cref="StopAsync"/>, SIGTERM) and start it again on the same store.
/// Configuration keys may be given as environment variables (<c>Database__Provider</c>) or configuration keys (<c>Database:Provider</c>).
/// </summary>
public sealed class OpsBotProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private OpsBotProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts OpsBot on <paramref name="url"/> (a restart reuses the address it had), or on a free loopback port.</summary>
    public static async Task<OpsBotProcess> StartAsync(IReadOnlyDictionary<string, string> environment, string? url = null)
    {
        url ??= $"http://127.0.0.1:{FreePort()}";
        var process = Process.Start(StartInfo(environment, "--urls", url))!;
        var self = new OpsBotProcess(process, url);
        process.OutputDataReceived += (_, e) => { lock (self._output) self._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (self._output) self._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient();
        // Generous: other engineers' builds share the 2 cores, and a start under that load takes well over a minute now and then.
        var until = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            if (process.HasExited)
            {
                // The asynchronous readers may still hold the last lines (the error that made it exit): wait for the end of both streams.
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"OpsBot exited with {process.ExitCode}: {self.Output}");
            }
            try
            {
                if ((await http.GetAsync(url + "/healthz")).IsSuccessStatusCode) return self;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > until)
            {
                await self.DisposeAsync();
                throw new TimeoutException("OpsBot did not start: " + self.Output);
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Runs <c>OpsBot migrate</c> with <paramref name="environment"/> and waits for it (throws when it fails).</summary>
    public static async Task MigrateAsync(IReadOnlyDictionary<string, string> environment)
    {
        using var process = Process.Start(StartInfo(environment, "migrate"))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0) throw new InvalidOperationException($"OpsBot migrate exited with {process.ExitCode}: {await stderr}{await stdout}");
    }

    private static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "OpsBot.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        psi.Environment["MicrosoftAppId"] = "";
        psi.Environment["Cards__Folder"] = Path.Combine(AppContext.BaseDirectory, "cards");
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in environment) psi.Environment[k.Replace(":", "__", StringComparison.Ordinal)] = v;
        return psi;
    }

    /// <summary>
    /// Graceful stop as an orchestrator does it: SIGTERM (<c>kill -TERM pid</c>), then waits for the process to exit. Returns false
    /// (and kills it) when it has not exited within <paramref name="timeout"/> (default 45 s, above the default shutdown timeout of 30 s).
    /// </summary>
    public async Task<bool> StopAsync(TimeSpan? timeout = null)
    {
        if (_process.HasExited) return true;
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
               { RedirectStandardError = true })!)
            await kill.WaitForExitAsync();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(45));
            return true;
        }
        catch (TimeoutException)
        {
            Kill();
            return false;
        }
    }

    /// <summary>Ends the process at once, as a crash would (no graceful shutdown).</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.CompletedTask;
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
