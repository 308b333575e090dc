using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Playground;

/// <summary>
/// The real Microsoft 365 Agents Playground (<c>@microsoft/m365agentsplayground</c>, headless) talking to OpsBot on a real loopback port
/// (Kestrel, fresh SQLite file, auth off). Drives the Playground the way its web UI does: user messages and card actions go to its
/// <c>/_conversation/v1/…</c> routes, and what the bot posts to the Playground's connector comes back on its conversation web socket.
/// Manual equivalent: <c>cd tests/peers &amp;&amp; TEAMSAPPTESTER_BROWSER=none npx agentsplayground -e http://127.0.0.1:3978/api/messages -c msteams</c>.
/// </summary>
public class PlaygroundFixture : IAsyncLifetime
{
    private readonly ConcurrentQueue<JsonObject> _messages = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly StringBuilder _output = new();
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "opsbot-playground-" + Guid.NewGuid().ToString("n"));
    private Process? _playground;
    private ClientWebSocket? _socket;
    private Task _receiving = Task.CompletedTask;

    public OpsBotFactory App { get; } = new();
    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };
    public string PlaygroundUrl { get; private set; } = "";
    public string BotEndpoint { get; private set; } = "";
    /// <summary>The Playground's signed-in user (<c>currentUser.id</c>), its bot id and the personal chat with the bot.</summary>
    public string UserId { get; private set; } = "";
    public string BotId { get; private set; } = "";
    public string PersonalConversationId { get; private set; } = "";
    public JsonObject Config { get; private set; } = [];

    /// <summary>The Playground's default signed-in user id (its built-in configuration), known before it starts so features can be configured for it.</summary>
    public const string DefaultUserId = "user-id-0";

    /// <summary>Feature settings for OpsBot, applied before it starts.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings) { }

    public async Task InitializeAsync()
    {
        Configure(App.Settings);
        App.Settings["urls"] = "http://127.0.0.1:0";
        App.UseKestrel(0);
        App.StartServer();
        BotEndpoint = new Uri(App.CreateClient().BaseAddress!, "/api/messages").ToString();

        Directory.CreateDirectory(_workDir);
        var port = FreePort();
        PlaygroundUrl = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("node", [PlaygroundCli(), "-e", BotEndpoint, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c", "msteams", "--disable-telemetry"])
        {
            WorkingDirectory = _workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["TEAMSAPPTESTER_BROWSER"] = "none";
        psi.Environment["M365_AGENTS_PLAYGROUND_LOGFILE"] = Path.Combine(_workDir, "playground.log");
        _playground = Process.Start(psi) ?? throw new InvalidOperationException("Could not start node.");
        _playground.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _playground.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _playground.BeginOutputReadLine();
        _playground.BeginErrorReadLine();

        await WaitForPlaygroundAsync();
        // What the web UI does first: read the configuration (this also waits until the bot endpoint answers).
        Config = (await Client.GetFromJsonAsync<JsonObject>($"{PlaygroundUrl}/_internal/v1/config"))!["config"]!.AsObject();
        UserId = Config["currentUser"]!["id"]!.GetValue<string>();
        BotId = Config["bot"]!["id"]!.GetValue<string>();
        PersonalConversationId = Config["personalChat"]!["id"]!.GetValue<string>();

        _socket = new ClientWebSocket();
        await _socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/_ws_conversation/v1/conversations/stream"), _stop.Token);
        _receiving = ReceiveAsync(_socket);
    }

    /// <summary>The user types <paramref name="text"/> in the personal chat (or <paramref name="conversationId"/>); returns the Playground's message id.</summary>
    public async Task<string> SendTextAsync(string text, string? conversationId = null)
    {
        var response = await Client.PostAsJsonAsync($"{PlaygroundUrl}/_conversation/v1/conversations/{Uri.EscapeDataString(conversationId ?? PersonalConversationId)}/messages",
            new JsonObject { ["from"] = new JsonObject { ["id"] = UserId }, ["text"] = text, ["textFormat"] = "plain" });
        await EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["messageId"]!.GetValue<string>();
    }

    /// <summary>The user clicks an <c>Action.Execute</c> on the card in message <paramref name="replyToId"/>; returns the invoke response the Playground got.</summary>
    public async Task<JsonObject> InvokeAsync(string replyToId, string verb, JsonObject data, string? conversationId = null)
    {
        var body = new JsonObject
        {
            ["name"] = "adaptiveCard/action",
            ["value"] = new JsonObject { ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = verb, ["data"] = data }, ["trigger"] = "manual" },
            ["from"] = new JsonObject { ["id"] = UserId },
            ["conversation"] = new JsonObject { ["id"] = conversationId ?? PersonalConversationId },
            ["replyToId"] = replyToId,
        };
        var response = await Client.PostAsJsonAsync($"{PlaygroundUrl}/_conversation/v1/invoke", body);
        await EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>Every message (and update) the bot has posted so far, as the Playground's UI received them: <c>{messageId, from, text, attachments, …}</c>.</summary>
    public IReadOnlyList<JsonObject> GetBotActivities() =>
        _messages.Where(m => m["from"]?["id"]?.GetValue<string>() == BotId).ToList();

    /// <summary>Waits until the bot has posted a message matching <paramref name="match"/>.</summary>
    public async Task<JsonObject> WaitForBotActivityAsync(Func<JsonObject, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (GetBotActivities().FirstOrDefault(match) is { } found) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException($"The bot posted no matching message. Bot messages: {string.Join("\n", GetBotActivities().Select(m => m.ToJsonString()))}\nPlayground output:\n{Output}");
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>The card of a bot message, or null when it has none.</summary>
    public static JsonObject? CardOf(JsonObject message) =>
        message["attachments"]?.AsArray().FirstOrDefault(a => a?["contentType"]?.GetValue<string>() == "application/vnd.microsoft.card.adaptive")?["content"] as JsonObject;

    private async Task ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var frame = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close) break;
                frame.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                if (JsonNode.Parse(frame.ToArray()) is JsonObject evt && evt["message"] is JsonObject message && evt["action"]?.GetValue<string>() is "createMessage" or "updateMessage")
                    _messages.Enqueue((JsonObject)message.DeepClone());
                frame.SetLength(0);
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
    }

    private async Task WaitForPlaygroundAsync()
    {
        for (var i = 0; i < 300; i++)
        {
            if (_playground!.HasExited) throw new InvalidOperationException($"The Agents Playground exited ({_playground.ExitCode}):\n{Output}");
            try
            {
                using var ping = await Client.GetAsync($"{PlaygroundUrl}/_debug/ping");
                if (ping.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The Agents Playground did not start:\n{Output}");
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"Playground answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{Output}");
    }

    private static string PlaygroundCli()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OpsBot.sln"))) dir = dir.Parent;
        var cli = Path.Combine(dir?.FullName ?? ".", "tests", "peers", "node_modules", "@microsoft", "m365agentsplayground", "cli.js");
        return File.Exists(cli) ? cli : throw new InvalidOperationException($"{cli} is missing: run ./build.sh test (it installs the npm peers).");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket?.Abort();
        await _receiving;
        _socket?.Dispose();
        if (_playground is { HasExited: false })
        {
            _playground.Kill(entireProcessTree: true);
            await _playground.WaitForExitAsync();
        }
        _playground?.Dispose();
        Client.Dispose();
        await App.DisposeAsync();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }
}
