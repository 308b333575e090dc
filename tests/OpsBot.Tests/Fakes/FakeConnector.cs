using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace OpsBot.Tests.Fakes;

/// <summary>
/// A Bot Connector on loopback (real Kestrel). Records every call; <see cref="Respond"/> scripts failures
/// (429 with Retry-After, 5xx, 403…) before the default success answer.
/// </summary>
public sealed partial class FakeConnector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task<bool>>> _script = new();
    private int _nextId;

    public ConcurrentQueue<RecordedCall> Calls { get; } = new();
    public string ServiceUrl { get; }

    private FakeConnector(WebApplication app, string serviceUrl)
    {
        _app = app;
        ServiceUrl = serviceUrl;
    }

    public static async Task<FakeConnector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeConnector? self = null;
        app.Run(ctx => self!.HandleAsync(ctx));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeConnector(app, address + "/_connector/");
        return self;
    }

    /// <summary>Queues one scripted answer: the next request gets <paramref name="status"/> (and headers) instead of success.</summary>
    public void Respond(HttpStatusCode status, string? body = null, params (string Name, string Value)[] headers) =>
        _script.Enqueue(async ctx =>
        {
            ctx.Response.StatusCode = (int)status;
            foreach (var (n, v) in headers) ctx.Response.Headers[n] = v;
            if (body is not null) await ctx.Response.WriteAsync(body);
            return true;
        });

    public IEnumerable<RecordedCall> Posts => Calls.Where(c => c.Method == "POST");

    private async Task HandleAsync(HttpContext ctx)
    {
        var body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
        var rawTarget = ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget;
        var call = new RecordedCall(ctx.Request.Method, rawTarget,
            ctx.Request.Headers.Authorization.ToString(), string.IsNullOrEmpty(body) ? null : JsonNode.Parse(body), DateTimeOffset.UtcNow);
        Calls.Enqueue(call);
        if (_script.TryDequeue(out var scripted) && await scripted(ctx)) return;
        if (await TryRouteAsync(ctx)) return;

        var id = Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        ctx.Response.ContentType = "application/json";
        if (ctx.Request.Method == "POST" && ctx.Request.Path.Value!.EndsWith("/v3/conversations", StringComparison.Ordinal))
            await ctx.Response.WriteAsync($$"""{"id":"a:created-{{id}}","activityId":"{{id}}"}""");
        else if (ctx.Request.Method == "DELETE")
            ctx.Response.StatusCode = 200;
        else
            await ctx.Response.WriteAsync($$"""{"id":"{{id}}"}""");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record RecordedCall(string Method, string Path, string Authorization, JsonNode? Body, DateTimeOffset At);
