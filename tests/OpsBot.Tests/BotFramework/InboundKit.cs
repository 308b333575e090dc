using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Schema;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.Tests.Fakes;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.BotFramework;

/// <summary>An RSA signing key as a test authority holds it, publishable as a JWK.</summary>
public sealed class TestSigningKey(string kid) : IDisposable
{
    public string Kid { get; } = kid;
    public RSA Rsa { get; } = RSA.Create(2048);

    public JsonObject Jwk(string[]? endorsements)
    {
        var p = Rsa.ExportParameters(false);
        var jwk = new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = Kid,
            ["n"] = Base64UrlEncoder.Encode(p.Modulus),
            ["e"] = Base64UrlEncoder.Encode(p.Exponent),
        };
        if (endorsements is not null) jwk["endorsements"] = new JsonArray(endorsements.Select(e => (JsonNode)e!).ToArray());
        return jwk;
    }

    public void Dispose() => Rsa.Dispose();
}

/// <summary>Builds JWTs byte by byte, so that broken ones (alg none, HS256 with the public key, RS512, no exp) can be made too.</summary>
public static class TestTokens
{
    public const string ChannelIssuer = "https://api.botframework.com";

    public static string Sign(JsonObject header, JsonObject payload, Func<byte[], byte[]>? signer)
    {
        var input = Part(header) + "." + Part(payload);
        var signature = signer is null ? "" : Base64UrlEncoder.Encode(signer(Encoding.ASCII.GetBytes(input)));
        return input + "." + signature;
    }

    public static string Rs256(TestSigningKey key, JsonObject payload, string? kid = null) =>
        Sign(Header("RS256", kid ?? key.Kid), payload, d => key.Rsa.SignData(d, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public static JsonObject Header(string alg, string? kid) =>
        kid is null ? new JsonObject { ["alg"] = alg, ["typ"] = "JWT" } : new JsonObject { ["alg"] = alg, ["kid"] = kid, ["typ"] = "JWT" };

    /// <summary>The payload Teams sends: issuer BF, audience app id, serviceurl, valid for 5 more minutes.</summary>
    public static JsonObject ChannelPayload(string appId, string serviceUrl, DateTimeOffset now) => new()
    {
        ["iss"] = ChannelIssuer,
        ["aud"] = appId,
        ["serviceurl"] = serviceUrl,
        ["nbf"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
        ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
    };

    private static string Part(JsonObject o) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(o.ToJsonString()));

    public static async Task<HttpResponseMessage> PostAsync(this HttpClient client, Activity activity, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = System.Net.Http.Json.JsonContent.Create(activity, options: BotJson.Options),
        };
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostBearerAsync(this HttpClient client, Activity activity, string token) =>
        client.PostAsync(activity, "Bearer " + token);
}

/// <summary>
/// A loopback OpenID authority (real Kestrel): channel metadata + JWKS with endorsements, and an Entra v2 metadata + JWKS.
/// Counts metadata fetches; <see cref="Down"/> makes every endpoint answer 503.
/// </summary>
public sealed class FakeOpenIdServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, JsonObject> _channelKeys = new();
    private readonly ConcurrentDictionary<string, JsonObject> _entraKeys = new();
    private int _channelFetches;
    private int _entraFetches;

    private FakeOpenIdServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }
    public string ChannelMetadataUrl => BaseUrl + "/channel/v1/.well-known/openidconfiguration";
    public string EntraMetadataUrl => BaseUrl + "/entra/common/v2.0/.well-known/openid-configuration";
    public int ChannelMetadataFetches => Volatile.Read(ref _channelFetches);
    public int EntraMetadataFetches => Volatile.Read(ref _entraFetches);
    public volatile bool Down;

    public void PublishChannelKey(TestSigningKey key, params string[]? endorsements) => _channelKeys[key.Kid] = key.Jwk(endorsements);
    public void PublishEntraKey(TestSigningKey key) => _entraKeys[key.Kid] = key.Jwk(null);

    public static async Task<FakeOpenIdServer> StartAsync()
    {
        FakeOpenIdServer? self = null;
        var (app, address) = await Loopback.StartAsync(ctx => self!.HandleAsync(ctx));
        self = new FakeOpenIdServer(app, address);
        return self;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        if (path.EndsWith("openidconfiguration", StringComparison.Ordinal)) Interlocked.Increment(ref _channelFetches);
        if (path.EndsWith("openid-configuration", StringComparison.Ordinal)) Interlocked.Increment(ref _entraFetches);
        if (Down)
        {
            ctx.Response.StatusCode = 503;
            return;
        }
        JsonNode? body = path switch
        {
            "/channel/v1/.well-known/openidconfiguration" => Metadata(TestTokens.ChannelIssuer, BaseUrl + "/channel/v1/.well-known/keys"),
            "/channel/v1/.well-known/keys" => Keys(_channelKeys),
            "/entra/common/v2.0/.well-known/openid-configuration" => Metadata("https://login.microsoftonline.com/{tenantid}/v2.0", BaseUrl + "/entra/common/discovery/v2.0/keys"),
            "/entra/common/discovery/v2.0/keys" => Keys(_entraKeys),
            _ => null,
        };
        if (body is null)
        {
            ctx.Response.StatusCode = 404;
            return;
        }
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    private static JsonObject Metadata(string issuer, string jwksUri) => new()
    {
        ["issuer"] = issuer,
        ["authorization_endpoint"] = "https://invalid.example/authorize",
        ["jwks_uri"] = jwksUri,
        ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
        ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
    };

    private static JsonObject Keys(ConcurrentDictionary<string, JsonObject> keys) =>
        new() { ["keys"] = new JsonArray(keys.Values.Select(k => (JsonNode)k.DeepClone()).ToArray()) };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Records what the bot's handlers saw; <see cref="Gate"/> holds the <c>slow</c> command and <c>test.slow</c> verb.</summary>
public sealed class TurnProbe
{
    private int _calls;
    public ConcurrentQueue<(Activity Activity, CallerIdentity Caller)> Turns { get; } = new();
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource SlowStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public volatile bool SlowFinished;
    public int Calls => Volatile.Read(ref _calls);

    public int Record(BotTurn turn)
    {
        Turns.Enqueue((turn.Activity, turn.Context.Caller));
        return Interlocked.Increment(ref _calls);
    }

    public bool Saw(string? activityId) => Turns.Any(t => t.Activity.Id == activityId);
}

/// <summary>
/// <see cref="OpsBotFactory"/> plus test routes: <c>probe</c> (records, no reply), <c>echo</c> (records, replies), <c>slow</c>
/// (records, waits for <see cref="TurnProbe.Gate"/>, replies), verbs <c>test.count</c>, <c>test.slow</c>, <c>test.twice</c>, <c>test.ack</c>.
/// </summary>
public sealed class InboundFactory : OpsBotFactory
{
    public InboundFactory(DatabaseProvider provider = DatabaseProvider.Sqlite, string? connectionString = null) : base(provider, connectionString) { }

    public TurnProbe Probe { get; } = new();
    public string? Environment { get; set; }
    public List<Action<IServiceCollection>> ServiceOverrides { get; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (Environment is not null) builder.UseEnvironment(Environment);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(Probe);
            services.AddBotRoutes(r => r
                .Command("probe", "Test: record the turn", (turn, _, _) =>
                {
                    Probe.Record(turn);
                    return Task.CompletedTask;
                }, hidden: true)
                .Command("echo", "Test: record and reply", async (turn, args, ct) =>
                {
                    var n = Probe.Record(turn);
                    await turn.SendTextAsync($"echo {args} #{n}", ct);
                }, hidden: true)
                .Command("slow", "Test: wait for the gate", async (turn, _, ct) =>
                {
                    Probe.Record(turn);
                    Probe.SlowStarted.TrySetResult();
                    await Probe.Gate.Task.WaitAsync(ct);
                    await turn.SendTextAsync("slow done", ct);
                    Probe.SlowFinished = true;
                }, hidden: true)
                .Verb("test.count", (turn, _, _) => Task.FromResult(AdaptiveCardInvoke.Message($"call {Probe.Record(turn)}")))
                .Verb("test.slow", async (turn, _, ct) =>
                {
                    var n = Probe.Record(turn);
                    Probe.SlowStarted.TrySetResult();
                    await Probe.Gate.Task.WaitAsync(ct);
                    return AdaptiveCardInvoke.Message($"slow call {n}");
                })
                .Verb("test.twice", async (turn, _, ct) =>
                {
                    Probe.Record(turn);
                    await turn.SendTextAsync("first", ct);
                    await turn.SendTextAsync("second", ct);
                    return AdaptiveCardInvoke.Message("sent two");
                })
                .Verb("test.ack", (turn, data, _) =>
                {
                    Probe.Record(turn);
                    return Task.FromResult(AdaptiveCardInvoke.Card(new JsonObject
                    {
                        ["type"] = "AdaptiveCard",
                        ["version"] = "1.5",
                        ["body"] = new JsonArray(new JsonObject { ["type"] = "TextBlock", ["text"] = $"Acknowledged {data["alertId"]}", ["wrap"] = true }),
                    }));
                }));
            foreach (var o in ServiceOverrides) o(services);
        });
    }
}

public static class InboundActivities
{
    /// <summary>A message in a conversation of its own, so tests sharing an app and a connector do not see each other.</summary>
    public static Activity Message(string serviceUrl, string text, string? conversationId = null) =>
        Activities.Message(serviceUrl, text, conversationId: conversationId ?? "a:" + Guid.NewGuid().ToString("n"));

    public static Activity Invoke(string serviceUrl, string verb, JsonObject? data = null, string? conversationId = null) =>
        Activities.Execute(serviceUrl, verb, data ?? new JsonObject(), conversationId: conversationId ?? "a:" + Guid.NewGuid().ToString("n"));

    public static Activity Clone(this Activity activity) =>
        System.Text.Json.JsonSerializer.Deserialize<Activity>(System.Text.Json.JsonSerializer.Serialize(activity, BotJson.Options), BotJson.Options)!;

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);
}

/// <summary>Keeps every formatted log line (with exception text) written by the app.</summary>
public sealed class CapturingLoggerProvider : Microsoft.Extensions.Logging.ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
