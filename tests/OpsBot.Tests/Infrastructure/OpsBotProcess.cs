using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpsBot.Tests.Infrastructure;

/// <summary>
/// OpsBot as a separate process (<c>dotnet OpsBot.dll --urls …</c>, configuration through environment variables), for tests
/// that must kill it hard and start it again on the same store.
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
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<OpsBotProcess> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "OpsBot.dll"), "--urls", url])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        psi.Environment["MicrosoftAppId"] = "";
        psi.Environment["Cards__Folder"] = Path.Combine(AppContext.BaseDirectory, "cards");
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        var process = Process.Start(psi)!;
        var self = new OpsBotProcess(process, url);
        process.OutputDataReceived += (_, e) => { lock (self._output) self._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (self._output) self._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"OpsBot exited with {process.ExitCode}: {self.Output}");
            try
            {
                if ((await http.GetAsync(url + "/healthz")).IsSuccessStatusCode) return self;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > until) throw new TimeoutException("OpsBot did not start: " + self.Output);
            await Task.Delay(100);
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
