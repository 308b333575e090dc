using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OpsBot.Testing;

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
