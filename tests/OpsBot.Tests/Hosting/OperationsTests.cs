using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.Hosting;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Hosting;

/// <summary>Health endpoints, logs without secrets, OpenTelemetry wiring and graceful shutdown.</summary>
public sealed class OperationsTests : IAsyncLifetime
{
    private FakeConnector _connector = null!;

    public async Task InitializeAsync() => _connector = await FakeConnector.StartAsync();

    public async Task DisposeAsync() => await _connector.DisposeAsync();

    [Fact]
    public async Task Healthz_is_live_and_readyz_checks_the_database()
    {
        await using var app = new OpsBotFactory();
        var client = app.CreateClient();

        var live = await client.GetAsync("/healthz");
        var ready = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", await live.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_fails_while_the_database_is_unreachable_but_healthz_stays_live()
    {
        await using var app = new OpsBotFactory(DatabaseProvider.Postgres, $"Host=127.0.0.1;Port={FreePort()};Username=opsbot;Database=none;Timeout=2");
        app.Settings["Database:MigrateOnStartup"] = "false";
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Logs_at_trace_level_never_contain_tokens_keys_or_secrets()
    {
        const string appId = "8d4bc5a1-7f0e-4c3b-9a51-0b0c0b07001a";
        const string password = "app-password-Qx7!never-logged";
        const string apiKey = "api-key-7f3c9e-never-logged";
        await using var channel = await FakeOpenIdServer.StartAsync();
        using var key = new TestSigningKey("channel-key-1");
        channel.PublishChannelKey(key, "msteams");
        await using var authority = await FakeAuthority.StartAsync();
        var logs = new CapturingLoggerProvider();
        await using var root = new OpsBotFactory();
        root.Settings["Logging:LogLevel:Default"] = "Trace";
        root.Settings["Logging:LogLevel:Microsoft"] = "Trace";
        root.Settings["MicrosoftAppId"] = appId;
        root.Settings["MicrosoftAppPassword"] = password;
        root.Settings["MicrosoftAppType"] = "SingleTenant";
        root.Settings["MicrosoftAppTenantId"] = "5e0fd4a2-1111-4c3b-9a51-70e7e7e7e7e7";
        root.Settings["ToBotFromChannelOpenIdMetadataUrl"] = channel.ChannelMetadataUrl;
        root.Settings["Api:Keys:erp"] = OpsBot.Api.ApiKeyHandler.Hash(apiKey);
        await using var app = root.WithWebHostBuilder(b => b
            .ConfigureLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Trace))
            .ConfigureTestServices(s => s.AddHttpClient(OpsBot.BotFramework.Auth.ConnectorTokenProvider.HttpClientName)
                .ConfigurePrimaryHttpMessageHandler(authority.CreateHandler)));
        var client = app.CreateClient();
        var token = TestTokens.Rs256(key, TestTokens.ChannelPayload(appId, _connector.ServiceUrl, DateTimeOffset.UtcNow));

        using var message = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = JsonContent.Create(Activities.Message(_connector.ServiceUrl, "help"), options: OpsBot.BotFramework.Schema.BotJson.Options),
        };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        message.Headers.Add("X-Api-Key", apiKey);
        var response = await client.SendAsync(message);
        using var api = new HttpRequestMessage(HttpMethod.Get, "/readyz");
        api.Headers.Authorization = new AuthenticationHeaderValue("ApiKey", apiKey);
        await client.SendAsync(api);

        Assert.True(response.IsSuccessStatusCode);
        var post = Assert.Single(_connector.Posts);
        Assert.Equal("Bearer fake-access-token-1", post.Authorization);
        var all = string.Join('\n', logs.Lines);
        Assert.Contains("/api/messages", all, StringComparison.Ordinal);
        Assert.DoesNotContain(token, all, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], all, StringComparison.Ordinal);
        Assert.DoesNotContain(password, all, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey, all, StringComparison.Ordinal);
        Assert.DoesNotContain("fake-access-token-1", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_turn_is_traced_by_the_OpsBot_activity_source()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == OpsBot.Conversations.BotTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var app = new OpsBotFactory();

        var message = Activities.Message(_connector.ServiceUrl, "help", conversationId: "a:traced-" + Guid.NewGuid().ToString("n"));
        await app.CreateClient().PostActivityAsync(message);

        Assert.Contains(spans, s => s.OperationName == "bot.turn" && (string?)s.GetTagItem("bot.activity.type") == "message");
    }

    [Fact]
    public async Task Traces_and_metrics_go_to_the_configured_OTLP_endpoint()
    {
        var collector = await FakeCollector.StartAsync();
        await using (var app = new OpsBotFactory())
        {
            app.Settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Url;
            app.Settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            app.Settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
            app.Settings["OTEL_METRIC_EXPORT_INTERVAL"] = "200";
            await app.CreateClient().PostActivityAsync(Activities.Message(_connector.ServiceUrl, "help"));
            await collector.WaitForAsync("/v1/traces", "/v1/metrics");
        }
        await collector.DisposeAsync();

        Assert.Contains("/v1/traces", collector.Paths);
        Assert.Contains("/v1/metrics", collector.Paths);
    }

    [Fact]
    public async Task Shutdown_waits_for_a_turn_in_flight_to_finish()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var root = new OpsBotFactory();
        root.Settings["urls"] = "http://127.0.0.1:0";
        var app = root.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddBotRoutes(r => r.Command("slow", "Takes a while", async (turn, _, ct) =>
        {
            started.SetResult();
            await release.Task;
            await turn.SendTextAsync("finished", CancellationToken.None);
        }))));
        app.UseKestrel(0);
        app.StartServer();
        Assert.Equal(TimeSpan.FromSeconds(30), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        // The factory disposes clients it created when it stops; this one must outlive it.
        using var client = new HttpClient { BaseAddress = app.CreateClient().BaseAddress };

        var inFlight = client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "slow"));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var stopping = app.DisposeAsync().AsTask();
        await Task.Delay(Timeout.Infinite, lifetime.ApplicationStopping).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(stopping.IsCompleted);
        release.SetResult();

        var response = await inFlight.WaitAsync(TimeSpan.FromSeconds(20));
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
        await root.DisposeAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("finished", _connector.Posts.Last().Body!["text"]!.GetValue<string>());
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);

        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                lines.Enqueue($"{category} scope {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> kv ? string.Join(";", kv.Select(p => $"{p.Key}={p.Value}")) : "";
                lines.Enqueue($"{category} {logLevel} {formatter(state, exception)} {values} {exception}");
            }
        }
    }

    /// <summary>An OTLP/HTTP collector on loopback that records the paths posted to it.</summary>
    private sealed class FakeCollector : IAsyncDisposable
    {
        private WebApplication? _app;
        public ConcurrentBag<string> Paths { get; } = [];
        public string Url { get; private set; } = "";

        public static async Task<FakeCollector> StartAsync()
        {
            var self = new FakeCollector();
            (self._app, self.Url) = await Loopback.StartAsync(ctx =>
            {
                self.Paths.Add(ctx.Request.Path.Value!);
                ctx.Response.ContentType = "application/x-protobuf";
                return Task.CompletedTask;
            });
            return self;
        }

        /// <summary>Waits until every path in <paramref name="paths"/> has been received (exports are periodic, and slow on a loaded machine).</summary>
        public async Task WaitForAsync(params string[] paths)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!paths.All(Paths.Contains) && !timeout.IsCancellationRequested) await Task.Delay(50, CancellationToken.None);
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is null) return;
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
