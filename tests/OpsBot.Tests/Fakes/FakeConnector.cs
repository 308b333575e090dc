using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OpsBot.Tests.Fakes;

/// <summary>
/// A Bot Connector on loopback (real Kestrel). Records every call; <see cref="Respond"/> scripts failures
/// (429 with Retry-After, 5xx, 403…) before the default success answer, <see cref="RespondWhen"/> scripts answers for matching
/// calls, <see cref="EnforceLimits"/> answers 429 like Teams when a conversation or the tenant goes over its rate,
/// <see cref="ResponseDelay"/> makes answers slow and <see cref="Hold"/> accepts requests without answering them.
/// </summary>
public sealed partial class FakeConnector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task<bool>>> _script = new();
    private int _nextId;

    private readonly ConcurrentQueue<(Func<RecordedCall, bool> Match, HttpStatusCode Status, string? Body, (string, string)[] Headers)> _rules = new();
    private readonly object _limitGate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _windows = new(StringComparer.Ordinal);
    private (int PerConversation, int PerTenant)? _limits;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _holding;
    private int _held;

    public ConcurrentQueue<RecordedCall> Calls { get; } = new();
    /// <summary>Calls the connector accepted (answered 2xx, or held): what Teams would have posted.</summary>
    public ConcurrentQueue<RecordedCall> Delivered { get; } = new();
    public string ServiceUrl { get; }
    public TimeSpan ResponseDelay { get; set; }
    public int Throttled;
    public int HeldCount => Volatile.Read(ref _held);

    /// <summary>Answers every call matching <paramref name="match"/> with <paramref name="status"/> (e.g. 403 for one conversation).</summary>
    public void RespondWhen(Func<RecordedCall, bool> match, HttpStatusCode status, string? body = null, params (string Name, string Value)[] headers) =>
        _rules.Enqueue((match, status, body, headers));

    /// <summary>Teams' limits: more than <paramref name="perConversation"/> calls to one conversation or <paramref name="perTenant"/> in total within any second → 429 Retry-After 1.</summary>
    public void EnforceLimits(int perConversation, int perTenant) => _limits = (perConversation, perTenant);

    /// <summary>From now on requests are accepted (recorded as delivered) but not answered until <see cref="Release"/>.</summary>
    public void Hold() => _holding = true;

    public void Release()
    {
        _holding = false;
        _released.TrySetResult();
        _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The conversation a call addresses: the path's conversation id, or the channel / member of a create.</summary>
    public static string ConversationOf(RecordedCall call)
    {
        var path = call.Path;
        var i = path.IndexOf("/v3/conversations/", StringComparison.Ordinal);
        if (i >= 0)
        {
            var rest = path[(i + "/v3/conversations/".Length)..];
            var id = Uri.UnescapeDataString(rest.Split('/')[0]);
            var thread = id.IndexOf(";messageid=", StringComparison.Ordinal);
            return thread > 0 ? id[..thread] : id;
        }
        return call.Body?["channelData"]?["channel"]?["id"]?.GetValue<string>()
               ?? call.Body?["members"]?[0]?["id"]?.GetValue<string>() ?? "";
    }

    /// <summary>The text of the delivered activity (the create's activity for channel threads).</summary>
    public static string? TextOf(RecordedCall call) =>
        call.Body?["text"]?.GetValue<string>() ?? call.Body?["activity"]?["text"]?.GetValue<string>();

    /// <summary>The most calls seen in any one-second window, per <paramref name="key"/> (null key: all calls together).</summary>
    public static int MaxPerSecond(IEnumerable<RecordedCall> calls, Func<RecordedCall, string>? key = null) =>
        calls.GroupBy(c => key?.Invoke(c) ?? "").Select(g =>
        {
            var times = g.Select(c => c.At).Order().ToList();
            int best = 0, start = 0;
            for (var end = 0; end < times.Count; end++)
            {
                while (times[end] - times[start] >= TimeSpan.FromSeconds(1)) start++;
                best = Math.Max(best, end - start + 1);
            }
            return best;
        }).DefaultIfEmpty(0).Max();

    private FakeConnector(WebApplication app, string serviceUrl)
    {
        _app = app;
        ServiceUrl = serviceUrl;
    }

    public static async Task<FakeConnector> StartAsync()
    {
        FakeConnector? self = null;
        var (app, address) = await Loopback.StartAsync(ctx => self!.HandleAsync(ctx));
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
        if (ResponseDelay > TimeSpan.Zero) await Task.Delay(ResponseDelay);
        if (_script.TryDequeue(out var scripted) && await scripted(ctx)) return;
        foreach (var rule in _rules)
        {
            if (!rule.Match(call)) continue;
            ctx.Response.StatusCode = (int)rule.Status;
            foreach (var (n, v) in rule.Headers) ctx.Response.Headers[n] = v;
            if (rule.Body is not null) await ctx.Response.WriteAsync(rule.Body);
            return;
        }
        if (_limits is { } limits && ctx.Request.Method is "POST" or "PUT" && OverLimit(call, limits))
        {
            Interlocked.Increment(ref Throttled);
            ctx.Response.StatusCode = 429;
            ctx.Response.Headers["Retry-After"] = "1";
            await ctx.Response.WriteAsync("""{"error":{"code":"Throttled","message":"Too many requests"}}""");
            return;
        }
        Delivered.Enqueue(call);
        if (_holding)
        {
            Interlocked.Increment(ref _held);
            await _released.Task.WaitAsync(ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            Interlocked.Decrement(ref _held);
            if (ctx.RequestAborted.IsCancellationRequested) return;
        }
        if (await TryRouteAsync(ctx)) return;

        var id = Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        ctx.Response.ContentType = "application/json";
        if (ctx.Request.Method == "POST" && ctx.Request.Path.Value!.EndsWith("/v3/conversations", StringComparison.Ordinal))
        {
            // A new channel thread is "<channel>;messageid=<root id>", as Teams answers; a 1:1 chat gets an a: id.
            var channel = call.Body?["channelData"]?["channel"]?["id"]?.GetValue<string>();
            var conversation = channel is null ? $"a:created-{id}" : $"{channel};messageid={id}";
            await ctx.Response.WriteAsync($$"""{"id":"{{conversation}}","activityId":"{{id}}"}""");
        }
        else if (ctx.Request.Method == "DELETE")
            ctx.Response.StatusCode = 200;
        else
            await ctx.Response.WriteAsync($$"""{"id":"{{id}}"}""");
    }

    private bool OverLimit(RecordedCall call, (int PerConversation, int PerTenant) limits)
    {
        lock (_limitGate)
        {
            var conversation = Window("c:" + ConversationOf(call), call.At);
            var tenant = Window("t", call.At);
            if (conversation.Count >= limits.PerConversation || tenant.Count >= limits.PerTenant) return true;
            conversation.Enqueue(call.At);
            tenant.Enqueue(call.At);
            return false;
        }
    }

    private Queue<DateTimeOffset> Window(string key, DateTimeOffset now)
    {
        if (!_windows.TryGetValue(key, out var q)) _windows[key] = q = new Queue<DateTimeOffset>();
        while (q.Count > 0 && now - q.Peek() >= TimeSpan.FromSeconds(1)) q.Dequeue();
        return q;
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record RecordedCall(string Method, string Path, string Authorization, JsonNode? Body, DateTimeOffset At);
