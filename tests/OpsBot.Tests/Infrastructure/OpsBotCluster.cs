using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OpsBot.Api;
using OpsBot.Data;

namespace OpsBot.Tests.Infrastructure;

/// <summary>
/// Configuration for alerts raised through the HTTP API that fan out to many channels: the API key, the connector as the
/// proactive serviceUrl, and one route sending every alert of <see cref="Account"/> to <c>channels</c> channel conversations.
/// Keys are configuration keys (<c>Alerts:Routes:0:…</c>): use them as <see cref="OpsBotFactory.Settings"/> or as the
/// environment of an <see cref="OpsBotProcess"/> (which turns ':' into '__').
/// </summary>
public static class AlertFanout
{
    public const string ApiKey = "fanout-api-key";
    public const string Account = "Fanout";

    /// <summary>The channel conversation id of route channel <paramref name="n"/>.</summary>
    public static string Channel(int n) => $"19:fanout-{n}@thread.tacv2";

    public static Dictionary<string, string> Settings(string serviceUrl, int channels, string tenantId = Activities.TenantId)
    {
        var s = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Api:Keys:fanout"] = ApiKeyHandler.Hash(ApiKey),
            ["Bot:DefaultServiceUrl"] = serviceUrl,
            ["Alerts:ServiceUrl"] = serviceUrl,
            ["Alerts:TenantId"] = tenantId,
            // No daily digest and no reminder ticks during a test: the connector sees the fan-out and its updates only.
            ["Alerts:DigestHourUtc"] = "24",
            ["Alerts:TimerInterval"] = "01:00:00",
            ["Alerts:Routes:0:Name"] = "fanout",
            ["Alerts:Routes:0:Account"] = Account,
            ["Customers:Seed:0:Number"] = "FANOUT-1",
            ["Customers:Seed:0:Name"] = Account,
        };
        for (var n = 0; n < channels; n++) s[$"Alerts:Routes:0:Channels:{n}:ChannelId"] = Channel(n);
        return s;
    }

    /// <summary><c>POST /api/alerts</c> for <see cref="Account"/> (severity 3: the route only, no executives) with the API key.</summary>
    public static async Task<(HttpStatusCode Status, JsonObject? Body)> RaiseAsync(string baseUrl, string impact, string? idempotencyKey = null,
        int severity = 3, string kind = "line-down")
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/alerts")
        {
            Content = JsonContent.Create(new { account = Account, kind, severity, impact }),
        };
        request.Headers.Add("X-Api-Key", ApiKey);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject);
    }

    /// <summary><c>GET /api/alerts/{id}</c>: the alert with its delivery per recipient.</summary>
    public static async Task<JsonObject> GetAsync(string baseUrl, long id)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return (await http.GetFromJsonAsync<JsonObject>($"/api/alerts/{id}"))!;
    }
}

/// <summary>
/// N OpsBot processes (instance ids <c>bot-a</c>, <c>bot-b</c>, …) on one database: a PostgreSQL database, or one SQLite file in
/// a temp folder when no connection string is given. The schema is migrated once (<c>OpsBot migrate</c>), then the instances
/// start together. Instances can be killed, stopped (SIGTERM) and restarted with the same id.
/// </summary>
public sealed class OpsBotCluster : IAsyncDisposable
{
    private readonly OpsBotProcess?[] _instances;
    private readonly string? _dataDir;

    private OpsBotCluster(DatabaseProvider provider, string connectionString, string? dataDir, IReadOnlyDictionary<string, string> settings, int count)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _dataDir = dataDir;
        Settings = settings;
        _instances = new OpsBotProcess?[count];
    }

    public DatabaseProvider Provider { get; }
    public string ConnectionString { get; }
    /// <summary>The configuration every instance gets (besides its <c>Messaging:InstanceId</c>).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }
    public int Count => _instances.Length;

    /// <summary>Instance <paramref name="index"/> (throws when it was killed or stopped and not restarted).</summary>
    public OpsBotProcess this[int index] => _instances[index] ?? throw new InvalidOperationException($"Instance {InstanceId(index)} is not running.");

    public static string InstanceId(int index) => "bot-" + (char)('a' + index);

    /// <summary>
    /// Starts <paramref name="count"/> instances. <paramref name="settings"/> (configuration keys, e.g. <see cref="AlertFanout.Settings"/>)
    /// come on top of the defaults here: fast polling, a per-tenant rate of <paramref name="perTenantPerSecond"/>.
    /// </summary>
    public static async Task<OpsBotCluster> StartAsync(DatabaseProvider provider, string? connectionString, IReadOnlyDictionary<string, string> settings,
        int count = 2, double perTenantPerSecond = 20)
    {
        string? dataDir = null;
        if (connectionString is null)
        {
            dataDir = Path.Combine(Path.GetTempPath(), "opsbot-cluster-" + Guid.NewGuid().ToString("n"));
            Directory.CreateDirectory(dataDir);
            connectionString = $"Data Source={Path.Combine(dataDir, "opsbot.db")}";
        }
        var all = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Database:Provider"] = provider.ToString(),
            ["Database:ConnectionString"] = connectionString,
            ["Database:MigrateOnStartup"] = "false",
            ["Messaging:PollInterval"] = "00:00:00.050",
            ["Messaging:InstanceTimeout"] = "00:00:04",
            ["Messaging:PerTenantPerSecond"] = perTenantPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in settings) all[k] = v;
        var cluster = new OpsBotCluster(provider, connectionString, dataDir, all, count);
        try
        {
            await OpsBotProcess.MigrateAsync(all);
            await Task.WhenAll(Enumerable.Range(0, count).Select(cluster.StartInstanceAsync));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts instance <paramref name="index"/> again (same id, same configuration) after <see cref="Kill"/> or <see cref="StopAsync"/>.</summary>
    public async Task<OpsBotProcess> RestartAsync(int index)
    {
        if (_instances[index] is { HasExited: false }) throw new InvalidOperationException($"Instance {InstanceId(index)} is still running.");
        if (_instances[index] is { } old) await old.DisposeAsync();
        _instances[index] = null;
        await StartInstanceAsync(index);
        return this[index];
    }

    /// <summary>SIGKILL: the instance dies at once, as in a crash.</summary>
    public void Kill(int index) => this[index].Kill();

    /// <summary>SIGTERM and wait for the exit; false when it did not exit within <paramref name="timeout"/> (it is then killed).</summary>
    public Task<bool> StopAsync(int index, TimeSpan? timeout = null) => this[index].StopAsync(timeout);

    /// <summary>Output of every instance so far, for failure messages.</summary>
    public string Output => string.Join("\n", _instances.Select((p, i) => $"--- {InstanceId(i)}\n{p?.Output}"));

    /// <summary>Raises an alert through instance <paramref name="index"/>'s API (see <see cref="AlertFanout.RaiseAsync"/>); returns its id.</summary>
    public async Task<long> RaiseAlertAsync(int index, string impact, string? idempotencyKey = null, int severity = 3)
    {
        var (status, body) = await AlertFanout.RaiseAsync(this[index].Url, impact, idempotencyKey, severity);
        if (status != HttpStatusCode.Created || body?["id"] is null) throw new InvalidOperationException($"POST /api/alerts answered {(int)status}: {body}");
        return body["id"]!.GetValue<long>();
    }

    /// <summary>An in-process OpsBot on the same database with its dispatcher off: reads and writes the store without sending.</summary>
    public OpsBotFactory NewReader()
    {
        var reader = new OpsBotFactory(Provider, ConnectionString);
        foreach (var (k, v) in Settings) reader.Settings[k] = v;
        reader.Settings["Messaging:DispatcherEnabled"] = "false";
        reader.Settings["Database:MigrateOnStartup"] = "false";
        return reader;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; throws with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string>? what = null)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("Condition not reached: " + what?.Invoke());
            await Task.Delay(20);
        }
    }

    private async Task StartInstanceAsync(int index)
    {
        var environment = new Dictionary<string, string>(Settings, StringComparer.Ordinal) { ["Messaging:InstanceId"] = InstanceId(index) };
        _instances[index] = await OpsBotProcess.StartAsync(environment);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _instances)
            if (p is not null) await p.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_dataDir is not null) try { Directory.Delete(_dataDir, true); } catch (IOException) { }
    }
}
