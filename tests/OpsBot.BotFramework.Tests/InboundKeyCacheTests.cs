using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace OpsBot.BotFramework.Tests;

/// <summary>Vectors that need a fresh app: key fetching and caching (A13 cold, A15, A16, A29), the Entra path off (A26), auth off (A3, A4), start-up rules.</summary>
public sealed class InboundKeyCacheTests : IAsyncLifetime
{
    private const string AppId = InboundAuthFixture.AppId;
    private readonly TestSigningKey _key = new("rotating-1");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private FakeOpenIdServer _authority = null!;
    private FakeConnector _connector = null!;
    private readonly List<BotHost> _apps = [];

    public async Task InitializeAsync()
    {
        _authority = await FakeOpenIdServer.StartAsync();
        _authority.PublishChannelKey(_key, "msteams");
        _connector = await FakeConnector.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        await _connector.DisposeAsync();
        await _authority.DisposeAsync();
        _key.Dispose();
    }

    private BotHost NewApp(string appId = AppId, bool entra = true)
    {
        var app = InboundAuthFixture.Configure(new BotHost(), _authority, appId);
        if (!entra) app.Settings["Bot:AllowEntraCallers"] = "";
        app.ServiceOverrides.Add(s => s.AddSingleton<TimeProvider>(_time));
        _apps.Add(app);
        return app;
    }

    private string Token(TestSigningKey key, JsonObject? payload = null) =>
        TestTokens.Rs256(key, payload ?? TestTokens.ChannelPayload(AppId, _connector.ServiceUrl, _time.GetUtcNow()));

    private Task<HttpResponseMessage> SendAsync(HttpClient client, string token) =>
        client.PostBearerAsync(InboundActivities.Message(_connector.ServiceUrl, "probe"), token);

    [Theory]
    [InlineData("https://api.botframework.com/")]
    [InlineData("https://login.botframework.com")]
    public async Task A13_a_wrong_issuer_is_rejected_before_any_metadata_fetch(string issuer)
    {
        var client = NewApp().CreateClient();
        var payload = TestTokens.ChannelPayload(AppId, _connector.ServiceUrl, _time.GetUtcNow());
        payload["iss"] = issuer;

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(client, Token(_key, payload))).StatusCode);
        Assert.Equal(0, _authority.ChannelMetadataFetches);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, Token(_key))).StatusCode);
        Assert.Equal(1, _authority.ChannelMetadataFetches);
    }

    [Fact]
    public async Task Concurrent_first_requests_share_one_metadata_fetch()
    {
        var client = NewApp().CreateClient();
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => SendAsync(client, Token(_key))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, _authority.ChannelMetadataFetches);
    }

    [Fact]
    public async Task A15_a_key_published_after_start_is_found_with_exactly_one_refresh()
    {
        var client = NewApp().CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, Token(_key))).StatusCode);
        Assert.Equal(1, _authority.ChannelMetadataFetches);

        using var rotated = new TestSigningKey("rotating-2");
        _authority.PublishChannelKey(rotated, "msteams");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, Token(rotated))).StatusCode);
        Assert.Equal(2, _authority.ChannelMetadataFetches);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, Token(rotated))).StatusCode);
        Assert.Equal(2, _authority.ChannelMetadataFetches);
    }

    [Fact]
    public async Task A16_an_unknown_kid_never_published_refreshes_at_most_once_per_five_minutes()
    {
        var client = NewApp().CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, Token(_key))).StatusCode);
        using var unpublished = new TestSigningKey("never-published");

        for (var i = 0; i < 20; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(client, Token(unpublished))).StatusCode);
        Assert.Equal(2, _authority.ChannelMetadataFetches);

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(client, Token(unpublished))).StatusCode);
        Assert.Equal(2, _authority.ChannelMetadataFetches);

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(client, Token(unpublished))).StatusCode);
        Assert.Equal(3, _authority.ChannelMetadataFetches);
    }

    [Fact]
    public async Task A29_metadata_down_at_cold_start_answers_503_then_recovers_and_later_outages_keep_the_last_good_keys()
    {
        _authority.Down = true;
        var client = NewApp().CreateClient();

        var down = await SendAsync(client, Token(_key));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("", await down.Content.ReadAsStringAsync());

        _authority.Down = false;
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, Token(_key))).StatusCode);

        _authority.Down = true;
        var fetches = _authority.ChannelMetadataFetches;
        _time.Advance(TimeSpan.FromHours(13));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, Token(_key))).StatusCode);
        await WaitUntilAsync(() => _authority.ChannelMetadataFetches > fetches); // the stale set triggered a (failing) refresh
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, Token(_key))).StatusCode);
    }

    [Fact]
    public async Task A26_entra_tokens_are_rejected_when_no_entra_callers_are_configured_without_fetching_entra_keys()
    {
        using var entraKey = new TestSigningKey("entra-1");
        _authority.PublishEntraKey(entraKey);
        var client = NewApp(entra: false).CreateClient();
        var now = _time.GetUtcNow();
        var payload = new JsonObject
        {
            ["iss"] = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/",
            ["aud"] = AppId,
            ["ver"] = "1.0",
            ["appid"] = AppId,
            ["nbf"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
        };
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(client, TestTokens.Rs256(entraKey, payload))).StatusCode);
        Assert.Equal(0, _authority.EntraMetadataFetches);
    }

    [Fact]
    public async Task A3_A4_with_an_empty_app_id_requests_without_a_token_run_anonymously_and_requests_with_one_are_rejected()
    {
        var app = NewApp(appId: "");
        var client = app.CreateClient();
        var anonymous = InboundActivities.Message(_connector.ServiceUrl, "probe");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(anonymous, null)).StatusCode);
        var caller = Assert.Single(app.Probe.Turns, t => t.Activity.Id == anonymous.Id).Caller;
        Assert.False(caller.IsAuthenticated);
        Assert.Null(caller.CallerId);

        var withToken = InboundActivities.Message(_connector.ServiceUrl, "probe");
        var response = await client.PostBearerAsync(withToken, Token(_key, TestTokens.ChannelPayload("", _connector.ServiceUrl, _time.GetUtcNow())));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(app.Probe.Saw(withToken.Id));
    }

    [Fact]
    public void Production_refuses_to_start_with_an_empty_app_id()
    {
        var app = NewApp(appId: "");
        app.Environment = "Production";
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("MicrosoftAppId", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_starts_with_an_empty_app_id_only_when_explicitly_allowed()
    {
        var app = NewApp(appId: "");
        app.Environment = "Production";
        app.Settings["Bot:AllowUnauthenticated"] = "true";
        app.Settings["Bot:TrustedServiceUrlHosts"] = "relay.contoso.example";
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(InboundActivities.Message(_connector.ServiceUrl, "probe"), null)).StatusCode);

        var trusted = app.Services.GetRequiredService<OpsBot.BotFramework.Auth.TrustedServiceUrls>();
        Assert.True(trusted.IsTrusted("https://emea.relay.contoso.example/teams/"));
        Assert.True(trusted.IsTrusted("https://smba.trafficmanager.net/emea/"));
        Assert.False(trusted.IsTrusted(_connector.ServiceUrl)); // loopback/http only outside Production
    }

    [Fact]
    public void Loopback_service_urls_are_trusted_in_the_testing_environment()
    {
        var app = NewApp();
        var trusted = app.Services.GetRequiredService<OpsBot.BotFramework.Auth.TrustedServiceUrls>();
        Assert.True(trusted.IsTrusted(_connector.ServiceUrl));
        Assert.False(trusted.IsTrusted("https://evil.example/"));
    }

    [Fact]
    public async Task Start_up_with_an_empty_app_id_logs_a_loud_warning()
    {
        var logs = new CapturingLoggerProvider();
        var app = NewApp(appId: "");
        app.ServiceOverrides.Add(s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().PostAsync(InboundActivities.Message(_connector.ServiceUrl, "probe"), null)).StatusCode);
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("AUTHENTICATION IS OFF", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rejections_log_the_reason_but_never_the_token()
    {
        var logs = new CapturingLoggerProvider();
        var app = NewApp();
        app.ServiceOverrides.Add(s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        var client = app.CreateClient();
        var wrongAudience = TestTokens.ChannelPayload("someone-else", _connector.ServiceUrl, _time.GetUtcNow());
        var expired = TestTokens.ChannelPayload(AppId, _connector.ServiceUrl, _time.GetUtcNow().AddHours(-1));
        var tokens = new[] { Token(_key, wrongAudience), Token(_key, expired), Token(_key) + "x" };

        foreach (var token in tokens)
        {
            var response = await SendAsync(client, token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("", await response.Content.ReadAsStringAsync());
        }

        var rejections = logs.Lines.Where(l => l.Contains("Rejected inbound activity", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, rejections.Count);
        foreach (var part in tokens.SelectMany(t => t.Split('.')))
            Assert.DoesNotContain(logs.Lines, l => l.Contains(part, StringComparison.Ordinal));
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition()) await Task.Delay(20, timeout.Token);
    }
}
