using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpsBot.Testing;

/// <summary>
/// A Bot Connector on loopback for the load drivers: accepts every create/send/update as Teams would (new ids, 200/201) and
/// keeps nothing, so OpsBot's outbox dispatcher delivers the notices and card updates a run produces instead of retrying
/// against an address that refuses connections.
/// </summary>
internal sealed class BenchConnector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _nextId;
    public int Calls;

    private BenchConnector(WebApplication app) => _app = app;

    public string ServiceUrl { get; private set; } = "";

    public static async Task<BenchConnector> StartAsync()
    {
        BenchConnector? self = null;
        var (app, address) = await Loopback.StartAsync(ctx => self!.HandleAsync(ctx));
        self = new BenchConnector(app) { ServiceUrl = address + "/_connector/" };
        return self;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        await ctx.Request.Body.CopyToAsync(Stream.Null);
        Interlocked.Increment(ref Calls);
        var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        ctx.Response.ContentType = "application/json";
        if (ctx.Request.Method == "POST" && ctx.Request.Path.Value!.EndsWith("/v3/conversations", StringComparison.Ordinal))
        {
            ctx.Response.StatusCode = 201;
            await ctx.Response.WriteAsync($$"""{"id":"a:bench-{{id}}","activityId":"{{id}}"}""");
        }
        else
            await ctx.Response.WriteAsync($$"""{"id":"{{id}}"}""");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
