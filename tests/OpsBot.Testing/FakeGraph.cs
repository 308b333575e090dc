using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OpsBot.Testing;

/// <summary>
/// Microsoft Graph and the Entra token endpoint on loopback (real Kestrel), answering Graph's JSON shapes:
/// <c>/groups/{id}/transitiveMembers/microsoft.graph.user</c> in pages linked by <c>@odata.nextLink</c>, and
/// <c>/users/{id}/manager</c> (404 with an OData error when there is none).
/// </summary>
public sealed class FakeGraph : IAsyncDisposable
{
    private readonly WebApplication _app;

    public string BaseUrl { get; }
    public string GraphBaseUrl => BaseUrl + "/v1.0";
    public ConcurrentQueue<(string Method, string Path, string Authorization, string Body)> Requests { get; } = new();
    public List<(string Id, string Name, string Mail)> Members { get; } = [];
    public Dictionary<string, (string Id, string Name)> Managers { get; } = [];
    public int PageSize { get; set; } = 2;

    private FakeGraph(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<FakeGraph> StartAsync()
    {
        FakeGraph? self = null;
        var (app, address) = await Loopback.StartAsync(ctx => self!.HandleAsync(ctx));
        self = new FakeGraph(app, address);
        return self;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
        var path = ctx.Request.Path.Value ?? "";
        Requests.Enqueue((ctx.Request.Method, path + ctx.Request.QueryString, ctx.Request.Headers.Authorization.ToString(), body));
        ctx.Response.ContentType = "application/json";
        var segments = path.Trim('/').Split('/');

        if (path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal))
        {
            await ctx.Response.WriteAsync("""{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"fake-graph-token"}""");
            return;
        }
        if (path.EndsWith("/discovery/instance", StringComparison.Ordinal))
        {
            await ctx.Response.WriteAsync("""{"tenant_discovery_endpoint":"https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration","api-version":"1.1","metadata":[{"preferred_network":"login.microsoftonline.com","preferred_cache":"login.windows.net","aliases":["login.microsoftonline.com","login.windows.net","login.microsoft.com","sts.windows.net"]}]}""");
            return;
        }
        if (ctx.Request.Headers.Authorization.ToString() != "Bearer fake-graph-token")
        {
            ctx.Response.StatusCode = 401;
            await ctx.Response.WriteAsync("""{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty."}}""");
            return;
        }
        // The Graph SDK 5 writes the cast as "graph.user"; Graph accepts that and "microsoft.graph.user".
        if (segments is ["v1.0", "groups", _, "transitiveMembers", "microsoft.graph.user" or "graph.user"])
        {
            var skip = int.TryParse(ctx.Request.Query["$skiptoken"], out var s) ? s : 0;
            var page = new JsonArray(Members.Skip(skip).Take(PageSize).Select(m => (JsonNode)new JsonObject
            {
                ["@odata.type"] = "#microsoft.graph.user", ["id"] = m.Id, ["displayName"] = m.Name, ["mail"] = m.Mail, ["userPrincipalName"] = m.Mail,
            }).ToArray());
            var result = new JsonObject { ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users", ["value"] = page };
            if (skip + PageSize < Members.Count)
                result["@odata.nextLink"] = $"{GraphBaseUrl}/groups/{segments[2]}/transitiveMembers/{segments[4]}?$select=id,displayName,mail,userPrincipalName&$skiptoken={skip + PageSize}";
            await ctx.Response.WriteAsync(result.ToJsonString());
            return;
        }
        if (segments is ["v1.0", "users", var userId, "manager"])
        {
            if (Managers.TryGetValue(userId, out var m))
            {
                await ctx.Response.WriteAsync(new JsonObject { ["@odata.type"] = "#microsoft.graph.user", ["id"] = m.Id, ["displayName"] = m.Name }.ToJsonString());
                return;
            }
            ctx.Response.StatusCode = 404;
            await ctx.Response.WriteAsync("""{"error":{"code":"Request_ResourceNotFound","message":"Resource 'manager' does not exist or one of its queried reference-property objects are not present."}}""");
            return;
        }
        ctx.Response.StatusCode = 404;
        await ctx.Response.WriteAsync(new JsonObject { ["error"] = new JsonObject { ["code"] = "NotFound", ["message"] = $"Unknown path in FakeGraph: {path}" } }.ToJsonString());
    }

    /// <summary>Sends every request of the client that uses it to this server instead of its https host (Entra authority).</summary>
    public HttpMessageHandler LoopbackHandler() => new RewriteHandler(new Uri(BaseUrl)) { InnerHandler = new SocketsHttpHandler() };

    private sealed class RewriteHandler(Uri target) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.RequestUri = new UriBuilder(request.RequestUri!) { Scheme = target.Scheme, Host = target.Host, Port = target.Port }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
