using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Auth;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework.Tests;

/// <summary>One app with authentication on (app id, single tenant, Entra callers allowed) against a loopback OpenID authority.</summary>
public sealed class InboundAuthFixture : IAsyncLifetime
{
    public const string AppId = "8d4bc5a1-7f0e-4c3b-9a51-0b0c0b07001a";
    public const string TenantId = "5e0fd4a2-1111-4c3b-9a51-70e7e7e7e7e7";

    public FakeOpenIdServer Authority { get; private set; } = null!;
    public FakeConnector Connector { get; private set; } = null!;
    public BotHost App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public TestSigningKey Key { get; } = new("channel-key-1");
    public TestSigningKey WebchatOnlyKey { get; } = new("webchat-only");
    public TestSigningKey UnendorsedKey { get; } = new("no-endorsements");
    public TestSigningKey EntraKey { get; } = new("entra-key-1");

    public async Task InitializeAsync()
    {
        Authority = await FakeOpenIdServer.StartAsync();
        Authority.PublishChannelKey(Key, "msteams", "skype");
        Authority.PublishChannelKey(WebchatOnlyKey, "webchat");
        Authority.PublishChannelKey(UnendorsedKey, null);
        Authority.PublishEntraKey(EntraKey);
        Connector = await FakeConnector.StartAsync();
        App = Configure(new BotHost(), Authority);
        Client = App.CreateClient();
    }

    public static BotHost Configure(BotHost app, FakeOpenIdServer authority, string appId = AppId)
    {
        app.Settings["MicrosoftAppId"] = appId;
        app.Settings["MicrosoftAppPassword"] = "not-used-by-inbound";
        app.Settings["MicrosoftAppType"] = "SingleTenant";
        app.Settings["MicrosoftAppTenantId"] = TenantId;
        app.Settings["ToBotFromChannelOpenIdMetadataUrl"] = authority.ChannelMetadataUrl;
        app.Settings["ToBotFromEmulatorOpenIdMetadataUrl"] = authority.EntraMetadataUrl;
        app.Settings["Bot:AllowEntraCallers"] = appId + ",0c0ffee0-0000-4000-8000-00000000b2b2";
        return app;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Connector.DisposeAsync();
        await Authority.DisposeAsync();
        foreach (var k in new[] { Key, WebchatOnlyKey, UnendorsedKey, EntraKey }) k.Dispose();
    }
}

/// <summary>Protocol doc §10 vectors A1–A30 (those that need no fresh app; see <see cref="InboundKeyCacheTests"/> for the rest).</summary>
public sealed class InboundAuthTests(InboundAuthFixture f) : IClassFixture<InboundAuthFixture>
{
    private const string AppId = InboundAuthFixture.AppId;
    private string ServiceUrl => f.Connector.ServiceUrl;
    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private JsonObject Payload(string? serviceUrl = null) => TestTokens.ChannelPayload(AppId, serviceUrl ?? ServiceUrl, Now);

    private async Task<HttpResponseMessage> SendAsync(string? authorization, Activity? activity = null)
    {
        activity ??= InboundActivities.Message(ServiceUrl, "probe");
        return await f.Client.PostAsync(activity, authorization);
    }

    private async Task AssertRejectedAsync(HttpResponseMessage response, Activity activity)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.False(f.App.Probe.Saw(activity.Id), "the handler must not run for a rejected activity");
    }

    private async Task AssertRejectedAsync(string? authorization, Activity? activity = null)
    {
        activity ??= InboundActivities.Message(ServiceUrl, "probe");
        await AssertRejectedAsync(await SendAsync(authorization, activity), activity);
    }

    private async Task AssertAcceptedAsync(string token, Activity? activity = null)
    {
        activity ??= InboundActivities.Message(ServiceUrl, "probe");
        var response = await f.Client.PostBearerAsync(activity, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(f.App.Probe.Saw(activity.Id));
    }

    [Fact]
    public async Task A1_valid_channel_token_runs_the_handler_as_the_azure_channel_and_trusts_its_serviceUrl()
    {
        const string regionUrl = "https://smba-region.example.test/amer/";
        var trusted = f.App.Services.GetRequiredService<TrustedServiceUrls>();
        Assert.False(trusted.IsTrusted(regionUrl));
        var activity = InboundActivities.Message(regionUrl, "probe");
        activity.CallerId = "urn:botframework:forged"; // a callerId on the wire must be ignored

        var response = await f.Client.PostBearerAsync(activity, TestTokens.Rs256(f.Key, Payload(regionUrl)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (seen, caller) = Assert.Single(f.App.Probe.Turns, t => t.Activity.Id == activity.Id);
        Assert.True(caller.IsAuthenticated);
        Assert.Equal("urn:botframework:azure", caller.CallerId);
        Assert.Equal("urn:botframework:azure", seen.CallerId);
        Assert.True(trusted.IsTrusted(regionUrl));
    }

    [Fact]
    public Task A2_no_authorization_header_with_an_app_id_is_rejected() => AssertRejectedAsync(null);

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer a b")]
    [InlineData("bearer {token}")]
    [InlineData("Token {token}")]
    public Task A5_authorization_headers_not_shaped_bearer_token_are_rejected(string header) =>
        AssertRejectedAsync(header.Replace("{token}", TestTokens.Rs256(f.Key, Payload()), StringComparison.Ordinal));

    [Theory]
    [InlineData("garbage")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.W10.c2ln")]
    [InlineData("....")]
    public Task A6_a_token_that_is_not_a_jwt_is_rejected_not_500(string token) => AssertRejectedAsync("Bearer " + token);

    [Theory]
    [InlineData("iss", "5")]
    [InlineData("iss", "[\"https://api.botframework.com\"]")]
    [InlineData("exp", "\"tomorrow\"")]
    [InlineData("nbf", "{}")]
    [InlineData("aud", "{\"x\":1}")]
    [InlineData("serviceurl", "42")]
    [InlineData("serviceurl", "[\"x\"]")]
    public async Task A6_validly_signed_tokens_with_claims_of_the_wrong_type_are_rejected_not_500(string claim, string json)
    {
        var payload = Payload();
        payload[claim] = JsonNode.Parse(json);
        await AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.Key, payload));
    }

    [Fact]
    public async Task A7_a_signature_made_with_another_key_under_a_known_kid_is_rejected()
    {
        using var impostor = new TestSigningKey(f.Key.Kid);
        await AssertRejectedAsync("Bearer " + TestTokens.Rs256(impostor, Payload()));
    }

    [Theory]
    [InlineData(null, -6, false)] // A8 expired beyond the 5 min skew
    [InlineData(null, -4, true)] // A9 expired within the skew
    [InlineData(6, 30, false)] // A10 not yet valid beyond the skew
    [InlineData(4, 30, true)] // A11 not yet valid within the skew
    public async Task A8_to_A11_lifetime_is_checked_with_five_minutes_of_skew(int? nbfMinutes, int expMinutes, bool accepted)
    {
        var payload = Payload();
        payload.Remove("nbf");
        if (nbfMinutes is { } nbf) payload["nbf"] = Now.AddMinutes(nbf).ToUnixTimeSeconds();
        payload["exp"] = Now.AddMinutes(expMinutes).ToUnixTimeSeconds();
        var token = TestTokens.Rs256(f.Key, payload);
        if (accepted) await AssertAcceptedAsync(token);
        else await AssertRejectedAsync("Bearer " + token);
    }

    [Fact]
    public async Task A12_a_token_without_exp_is_rejected()
    {
        var payload = Payload();
        payload.Remove("exp");
        await AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.Key, payload));
    }

    [Theory]
    [InlineData("https://api.botframework.com/")]
    [InlineData("https://API.botframework.com")]
    [InlineData("https://api.botframework.us")]
    [InlineData("https://evil.example")]
    [InlineData(null)]
    public async Task A13_an_issuer_other_than_the_channel_issuer_is_rejected(string? issuer)
    {
        var payload = Payload();
        if (issuer is null) payload.Remove("iss");
        else payload["iss"] = issuer;
        await AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.Key, payload));
    }

    [Theory]
    [InlineData("0c0ffee0-0000-4000-8000-00000000b2b2")]
    [InlineData("https://api.botframework.com")]
    [InlineData("")]
    [InlineData(null)]
    public async Task A14_an_audience_other_than_the_app_id_is_rejected(string? audience)
    {
        var payload = Payload();
        if (audience is null) payload.Remove("aud");
        else payload["aud"] = audience;
        await AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.Key, payload));
    }

    [Fact]
    public async Task A14_an_audience_array_containing_the_app_id_is_accepted_like_the_sdk()
    {
        var payload = Payload();
        payload["aud"] = new JsonArray("https://api.botframework.com", AppId);
        await AssertAcceptedAsync(TestTokens.Rs256(f.Key, payload));
    }

    [Fact]
    public Task A17_a_key_endorsed_only_for_webchat_is_rejected_for_msteams() =>
        AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.WebchatOnlyKey, Payload()));

    [Fact]
    public async Task A17_the_same_key_is_accepted_for_the_channel_it_is_endorsed_for()
    {
        var activity = InboundActivities.Message(ServiceUrl, "probe");
        activity.ChannelId = "webchat";
        await AssertAcceptedAsync(TestTokens.Rs256(f.WebchatOnlyKey, Payload()), activity);
    }

    [Fact]
    public Task A18_a_key_without_endorsements_is_rejected() =>
        AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.UnendorsedKey, Payload()));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task A19_an_activity_without_channelId_is_rejected(string? channelId)
    {
        var activity = InboundActivities.Message(ServiceUrl, "probe");
        activity.ChannelId = channelId;
        await AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.Key, Payload()), activity);
    }

    [Fact]
    public async Task A20_a_token_without_serviceurl_claim_is_rejected()
    {
        var payload = Payload();
        payload.Remove("serviceurl");
        await AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.Key, payload));
    }

    [Fact]
    public async Task A21_a_serviceurl_claim_other_than_the_activity_serviceUrl_is_rejected_and_nothing_is_sent()
    {
        var activity = InboundActivities.Message(ServiceUrl, "echo hi");
        await AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.Key, Payload("https://evil.example/")), activity);
        Assert.DoesNotContain(f.Connector.Calls, c => c.Path.Contains(Uri.EscapeDataString(activity.Conversation!.Id!), StringComparison.Ordinal));
        Assert.False(f.App.Services.GetRequiredService<TrustedServiceUrls>().IsTrusted("https://evil.example/"));
    }

    [Fact]
    public Task A22_a_serviceurl_differing_only_in_case_is_accepted() =>
        AssertAcceptedAsync(TestTokens.Rs256(f.Key, Payload(ServiceUrl.ToUpperInvariant())));

    [Fact]
    public Task A23_alg_none_with_an_empty_signature_is_rejected() =>
        AssertRejectedAsync("Bearer " + TestTokens.Sign(TestTokens.Header("none", f.Key.Kid), Payload(), null));

    [Fact]
    public async Task A24_hs256_signed_with_the_public_key_bytes_is_rejected()
    {
        var publicKeyBytes = f.Key.Rsa.ExportSubjectPublicKeyInfo();
        var pem = Encoding.ASCII.GetBytes(f.Key.Rsa.ExportSubjectPublicKeyInfoPem());
        foreach (var secret in new[] { publicKeyBytes, pem })
        {
            var token = TestTokens.Sign(TestTokens.Header("HS256", f.Key.Kid), Payload(), d => HMACSHA256.HashData(secret, d));
            await AssertRejectedAsync("Bearer " + token);
        }
    }

    [Theory]
    [InlineData("RS512")]
    [InlineData("RS384")]
    public async Task A25_rs384_and_rs512_are_rejected_even_when_validly_signed(string alg)
    {
        var hash = alg == "RS512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA384;
        var token = TestTokens.Sign(TestTokens.Header(alg, f.Key.Kid), Payload(), d => f.Key.Rsa.SignData(d, hash, RSASignaturePadding.Pkcs1));
        await AssertRejectedAsync("Bearer " + token);
    }

    [Fact]
    public async Task A25_the_same_key_and_claims_signed_rs256_are_accepted() => await AssertAcceptedAsync(TestTokens.Rs256(f.Key, Payload()));

    private JsonObject EntraPayload(string issuer, string? version, string? appid = null, string? azp = null, string audience = AppId)
    {
        var p = new JsonObject
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["tid"] = "d6d49420-f39b-4df7-a1dc-d59a935871db",
            ["nbf"] = Now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["exp"] = Now.AddMinutes(5).ToUnixTimeSeconds(),
        };
        if (version is not null) p["ver"] = version;
        if (appid is not null) p["appid"] = appid;
        if (azp is not null) p["azp"] = azp;
        return p;
    }

    private const string EmulatorV1 = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/";
    private const string EmulatorV2 = "https://login.microsoftonline.com/d6d49420-f39b-4df7-a1dc-d59a935871db/v2.0";

    [Theory]
    [InlineData(EmulatorV1, "1.0", AppId, null)]
    [InlineData(EmulatorV1, null, AppId, null)]
    [InlineData(EmulatorV2, "2.0", null, AppId)]
    public async Task A27_entra_v1_appid_and_v2_azp_tokens_from_an_allowed_caller_are_accepted(string issuer, string? version, string? appid, string? azp)
    {
        var activity = InboundActivities.Message(ServiceUrl, "probe");
        await AssertAcceptedAsync(TestTokens.Rs256(f.EntraKey, EntraPayload(issuer, version, appid, azp)), activity);
        var caller = Assert.Single(f.App.Probe.Turns, t => t.Activity.Id == activity.Id).Caller;
        Assert.Equal("urn:botframework:azure", caller.CallerId);
        Assert.Equal(AppId, caller.AppId);
    }

    [Fact]
    public async Task A27_another_allowed_bot_gets_an_aadappid_caller_id_and_no_serviceUrl_trust()
    {
        const string caller = "0c0ffee0-0000-4000-8000-00000000b2b2";
        const string url = "https://skill-host.example.test/api/";
        var activity = InboundActivities.Message(url, "probe");
        await AssertAcceptedAsync(TestTokens.Rs256(f.EntraKey, EntraPayload(EmulatorV2, "2.0", azp: caller)), activity);
        Assert.Equal($"urn:botframework:aadappid:{caller}", Assert.Single(f.App.Probe.Turns, t => t.Activity.Id == activity.Id).Caller.CallerId);
        Assert.False(f.App.Services.GetRequiredService<TrustedServiceUrls>().IsTrusted(url));
    }

    [Theory]
    [InlineData(EmulatorV2, "2.0", AppId, null)] // v2 without azp (appid is the v1 claim)
    [InlineData(EmulatorV1, "3.0", AppId, AppId)]
    [InlineData(EmulatorV1, "1.0", "11111111-9999-4000-8000-000000000000", null)] // caller not in Bot:AllowEntraCallers
    [InlineData(EmulatorV1, "1.0", null, null)]
    public Task A27_entra_tokens_with_wrong_version_or_caller_are_rejected(string issuer, string version, string? appid, string? azp) =>
        AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.EntraKey, EntraPayload(issuer, version, appid, azp)));

    [Fact]
    public Task A27_entra_token_whose_audience_is_not_the_app_id_is_rejected() =>
        AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.EntraKey, EntraPayload(EmulatorV1, "1.0", AppId, audience: "https://api.botframework.com")));

    [Fact]
    public Task A27_entra_token_signed_by_a_channel_key_is_rejected() =>
        AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.Key, EntraPayload(EmulatorV1, "1.0", AppId)));

    [Fact]
    public async Task A28_single_tenant_issuer_of_the_configured_tenant_is_accepted_other_tenants_are_not()
    {
        await AssertAcceptedAsync(TestTokens.Rs256(f.EntraKey,
            EntraPayload($"https://login.microsoftonline.com/{InboundAuthFixture.TenantId}/v2.0", "2.0", azp: AppId)));
        await AssertAcceptedAsync(TestTokens.Rs256(f.EntraKey,
            EntraPayload($"https://sts.windows.net/{InboundAuthFixture.TenantId}/", "1.0", appid: AppId)));
        await AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.EntraKey,
            EntraPayload("https://login.microsoftonline.com/99999999-8888-4777-8666-555555555555/v2.0", "2.0", azp: AppId)));
    }

    [Fact]
    public async Task A30_the_playground_dummy_hs256_token_is_rejected()
    {
        var payload = new JsonObject
        {
            ["aud"] = AppId,
            ["serviceurl"] = ServiceUrl,
            ["exp"] = Now.AddMinutes(5).ToUnixTimeSeconds(),
        };
        var secret = Encoding.UTF8.GetBytes("dummy-secret-key");
        await AssertRejectedAsync("Bearer " + TestTokens.Sign(TestTokens.Header("HS256", null), payload, d => HMACSHA256.HashData(secret, d)));
    }

    [Fact]
    public async Task Invalid_tokens_never_cost_a_key_fetch_once_keys_are_cached()
    {
        await AssertAcceptedAsync(TestTokens.Rs256(f.Key, Payload()));
        var fetches = f.Authority.ChannelMetadataFetches;
        await AssertRejectedAsync("Bearer " + TestTokens.Rs256(f.WebchatOnlyKey, Payload()));
        await AssertRejectedAsync("Bearer garbage");
        Assert.Equal(fetches, f.Authority.ChannelMetadataFetches);
    }
}
