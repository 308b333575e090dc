using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OpsBot.Testing;

/// <summary>
/// A Bot Connector on loopback (real Kestrel). Records every call; <see cref="Respond"/> scripts failures
/// (429 with Retry-After, 5xx, 403…) before the default success answer, <see cref="RespondWhen"/> scripts answers for matching
/// calls, <see cref="EnforceLimits"/> answers 429 like Teams when a conversation or the tenant goes over its rate,
/// <see cref="ResponseDelay"/> makes answers slow and <see cref="Hold"/> accepts requests without answering them.
/// <see cref="Faults"/> makes it hostile: random 429/5xx/resets/slow answers per write (FakeConnector.Faults.cs).
/// </summary>
public sealed partial class FakeConnector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task<bool>>> _script = new();
    private int _nextId;

    private readonly ConcurrentQueue<(Func<RecordedCall, bool> Match, HttpStatusCode Status, string? Body, (string, string)[] Headers)> _rules = new();
    private readonly object _limitGate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _windows = new(StringComparer.Ordinal);
    private (int PerConversation, int PerTenant, int? PerConversationPer2s)? _limits;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _holding;
    private int _held;

    public ConcurrentQueue<RecordedCall> Calls { get; } = new();
    /// <summary>Calls the connector accepted (processed: answered 2xx, held, or faulted after processing): what Teams would have posted.</summary>
    public ConcurrentQueue<RecordedCall> Delivered { get; } = new();
    public string ServiceUrl { get; }
    public TimeSpan ResponseDelay { get; set; }
    public int Throttled;
    public int HeldCount => Volatile.Read(ref _held);

    /// <summary>Answers every call matching <paramref name="match"/> with <paramref name="status"/> (e.g. 403 for one conversation).</summary>
    public void RespondWhen(Func<RecordedCall, bool> match, HttpStatusCode status, string? body = null, params (string Name, string Value)[] headers) =>
        _rules.Enqueue((match, status, body, headers));

    /// <summary>
    /// Teams' limits: more than <paramref name="perConversation"/> calls to one conversation or <paramref name="perTenant"/> in total
    /// within any second (or, when given, more than <paramref name="perConversationPer2s"/> to one conversation within any two seconds)
    /// → 429 Retry-After 1. Only writes (POST, PUT) count and are refused; refused ones do not fill the windows.
    /// </summary>
    public void EnforceLimits(int perConversation, int perTenant, int? perConversationPer2s = null) =>
        _limits = (perConversation, perTenant, perConversationPer2s);

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
        MaxPerWindow(calls, TimeSpan.FromSeconds(1), key);

    /// <summary>The most calls seen in any window of <paramref name="window"/> (start inclusive, end exclusive), per <paramref name="key"/>.</summary>
    public static int MaxPerWindow(IEnumerable<RecordedCall> calls, TimeSpan window, Func<RecordedCall, string>? key = null) =>
        calls.GroupBy(c => key?.Invoke(c) ?? "").Select(g =>
        {
            var times = g.Select(c => c.At).Order().ToList();
            int best = 0, start = 0;
            for (var end = 0; end < times.Count; end++)
            {
                while (times[end] - times[start] >= window) start++;
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
        var write = call.Method is "POST" or "PUT";
        var faults = _faults;
        if (write && faults.StormUntil is { } storm && call.At < storm)
        {
            await ThrottleAsync(ctx, Fault.Storm, faults.RetryAfterSeconds);
            return;
        }
        if (_limits is { } limits && write && OverLimit(call, limits))
        {
            Interlocked.Increment(ref Throttled);
            await ThrottleAsync(ctx, Fault.Limit, 1);
            return;
        }
        var fault = write ? Draw(faults) : Fault.None;
        switch (fault)
        {
            case Fault.Throttle429:
                await ThrottleAsync(ctx, fault, faults.RetryAfterSeconds);
                return;
            case Fault.BadGateway502:
                Tally(fault);
                await WriteJsonAsync(ctx, HttpStatusCode.BadGateway, JsonNode.Parse("""{"error":{"code":"BadGateway","message":"Bad gateway"}}""")!);
                return;
            case Fault.Unavailable503:
                Tally(fault);
                if (faults.Unavailable503RetryAfterSeconds is { } after)
                    ctx.Response.Headers["Retry-After"] = after.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await WriteJsonAsync(ctx, HttpStatusCode.ServiceUnavailable, JsonNode.Parse("""{"error":{"code":"ServiceUnavailable","message":"Service unavailable"}}""")!);
                return;
            case Fault.ResetBeforeProcessing:
                Tally(fault);
                ctx.Abort();
                return;
        }

        Delivered.Enqueue(call);
        var answer = Process(ctx, call, fault);
        if (_holding)
        {
            Interlocked.Increment(ref _held);
            await _released.Task.WaitAsync(ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            Interlocked.Decrement(ref _held);
            if (ctx.RequestAborted.IsCancellationRequested) return;
        }
        switch (fault)
        {
            case Fault.GatewayTimeout504:
                Tally(fault);
                await WriteJsonAsync(ctx, HttpStatusCode.GatewayTimeout, JsonNode.Parse("""{"error":{"code":"GatewayTimeout","message":"Gateway timeout"}}""")!);
                return;
            case Fault.ResetAfterProcessing:
                Tally(fault);
                ctx.Abort();
                return;
            case Fault.Slow:
                Tally(fault);
                await Task.Delay(faults.SlowDelay, ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                if (ctx.RequestAborted.IsCancellationRequested) return;
                break;
        }
        if (answer is null && await TryRouteAsync(ctx)) return;

        ctx.Response.ContentType = "application/json";
        if (ctx.Request.Method == "DELETE")
            ctx.Response.StatusCode = 200;
        else
            await ctx.Response.WriteAsync(answer ?? $$"""{"id":"{{NextId()}}"}""");
    }

    /// <summary>
    /// What Teams does with a write it accepts: a new id (a new thread is "&lt;channel&gt;;messageid=&lt;root id&gt;", a 1:1 chat gets an a: id),
    /// recorded in <see cref="Processed"/>. Returns the answer's body; null for a GET (answered by the routes).
    /// </summary>
    private string? Process(HttpContext ctx, RecordedCall call, Fault fault)
    {
        if (call.Method == "GET") return null;
        var id = NextId();
        string answer, activityId = id;
        if (call.Method == "POST" && ctx.Request.Path.Value!.EndsWith("/v3/conversations", StringComparison.Ordinal))
        {
            var channel = call.Body?["channelData"]?["channel"]?["id"]?.GetValue<string>();
            var conversation = channel is null ? $"a:created-{id}" : $"{channel};messageid={id}";
            answer = $$"""{"id":"{{conversation}}","activityId":"{{id}}"}""";
        }
        else
        {
            answer = $$"""{"id":"{{id}}"}""";
            if (call.Method == "PUT") activityId = Uri.UnescapeDataString(call.Path.Split('?')[0].Split('/')[^1]);
        }
        if (call.Method is "POST" or "PUT")
            Processed.Enqueue(new ConnectorWrite(Interlocked.Increment(ref _sequence), call.At, call.Method, call.Path, ConversationOf(call),
                activityId, TextOf(call), CardOf(call), fault));
        return answer;
    }

    private string NextId() => Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task ThrottleAsync(HttpContext ctx, Fault fault, int retryAfterSeconds)
    {
        Tally(fault);
        ctx.Response.StatusCode = 429;
        ctx.Response.Headers["Retry-After"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync("""{"error":{"code":"Throttled","message":"Too many requests"}}""");
    }

    private bool OverLimit(RecordedCall call, (int PerConversation, int PerTenant, int? PerConversationPer2s) limits)
    {
        lock (_limitGate)
        {
            var second = TimeSpan.FromSeconds(1);
            var conversation = Window("c:" + ConversationOf(call), call.At, second);
            var tenant = Window("t", call.At, second);
            var twoSeconds = limits.PerConversationPer2s is null ? null : Window("c2:" + ConversationOf(call), call.At, 2 * second);
            if (conversation.Count >= limits.PerConversation || tenant.Count >= limits.PerTenant || twoSeconds?.Count >= limits.PerConversationPer2s)
                return true;
            conversation.Enqueue(call.At);
            tenant.Enqueue(call.At);
            twoSeconds?.Enqueue(call.At);
            return false;
        }
    }

    private Queue<DateTimeOffset> Window(string key, DateTimeOffset now, TimeSpan length)
    {
        if (!_windows.TryGetValue(key, out var q)) _windows[key] = q = new Queue<DateTimeOffset>();
        while (q.Count > 0 && now - q.Peek() >= length) q.Dequeue();
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
