using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OpsBot.Testing;

/// <summary>
/// An Entra token endpoint on loopback (real Kestrel) for MSAL's client-credentials flow: instance discovery, OpenID
/// configuration and <c>/{tenant}/oauth2/v2.0/token</c>. MSAL only accepts https authorities, so its HttpClient gets
/// <see cref="CreateHandler"/>, which sends every https request here unchanged except for scheme, host and port and records
/// the URL MSAL meant to call.
/// </summary>
public sealed class FakeAuthority : IAsyncDisposable
{
    private const string OriginalUrlHeader = "X-Original-Url";
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(HttpStatusCode Status, string Error)> _failures = new();
    private int _issued;

    public Uri BaseAddress { get; }
    public ConcurrentQueue<TokenRequest> TokenRequests { get; } = new();
    public ConcurrentQueue<string> AllRequests { get; } = new();
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    private FakeAuthority(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public static async Task<FakeAuthority> StartAsync()
    {
        FakeAuthority? self = null;
        var (app, address) = await Loopback.StartAsync(ctx => self!.HandleAsync(ctx));
        self = new FakeAuthority(app, new Uri(address));
        return self;
    }

    /// <summary>The next token request fails with an OAuth error body.</summary>
    public void FailNextToken(HttpStatusCode status, string error) => _failures.Enqueue((status, error));

    public HttpMessageHandler CreateHandler() => new RedirectToLoopback(BaseAddress) { InnerHandler = new SocketsHttpHandler() };

    private async Task HandleAsync(HttpContext ctx)
    {
        var original = ctx.Request.Headers[OriginalUrlHeader].ToString();
        AllRequests.Enqueue($"{ctx.Request.Method} {original}");
        var path = ctx.Request.Path.Value ?? string.Empty;
        var host = new Uri(original).GetLeftPart(UriPartial.Authority);
        var tenant = path.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "common";
        ctx.Response.ContentType = "application/json";

        if (path.EndsWith("/discovery/instance", StringComparison.Ordinal))
        {
            var authorityHost = new Uri(original).Host;
            await ctx.Response.WriteAsync(new JsonObject
            {
                ["tenant_discovery_endpoint"] = $"{host}/{tenant}/v2.0/.well-known/openid-configuration",
                ["api-version"] = "1.1",
                ["metadata"] = new JsonArray(new JsonObject
                {
                    ["preferred_network"] = authorityHost,
                    ["preferred_cache"] = authorityHost,
                    ["aliases"] = new JsonArray(authorityHost),
                }),
            }.ToJsonString());
            return;
        }
        if (path.EndsWith("/.well-known/openid-configuration", StringComparison.Ordinal))
        {
            await ctx.Response.WriteAsync(new JsonObject
            {
                ["token_endpoint"] = $"{host}/{tenant}/oauth2/v2.0/token",
                ["authorization_endpoint"] = $"{host}/{tenant}/oauth2/v2.0/authorize",
                ["issuer"] = $"{host}/{tenant}/v2.0",
            }.ToJsonString());
            return;
        }
        if (ctx.Request.Method == "POST" && path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal))
        {
            var form = await ctx.Request.ReadFormAsync();
            TokenRequests.Enqueue(new TokenRequest(new Uri(original), form.ToDictionary(f => f.Key, f => f.Value.ToString()), DateTimeOffset.UtcNow));
            if (_failures.TryDequeue(out var failure))
            {
                ctx.Response.StatusCode = (int)failure.Status;
                await ctx.Response.WriteAsync(new JsonObject { ["error"] = failure.Error, ["error_description"] = "AADSTS7000215: scripted failure." }.ToJsonString());
                return;
            }
            var n = Interlocked.Increment(ref _issued);
            var seconds = (int)TokenLifetime.TotalSeconds;
            await ctx.Response.WriteAsync(new JsonObject
            {
                ["token_type"] = "Bearer",
                ["expires_in"] = seconds,
                ["ext_expires_in"] = seconds,
                ["access_token"] = $"fake-access-token-{n}",
            }.ToJsonString());
            return;
        }
        ctx.Response.StatusCode = 404;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class RedirectToLoopback(Uri target) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var original = request.RequestUri!;
            request.Headers.TryAddWithoutValidation(OriginalUrlHeader, original.ToString());
            request.RequestUri = new UriBuilder(original) { Scheme = target.Scheme, Host = target.Host, Port = target.Port }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>A token request as MSAL sent it: the URL it meant (https, real host) and the form fields.</summary>
public sealed record TokenRequest(Uri Url, IReadOnlyDictionary<string, string> Form, DateTimeOffset At);
