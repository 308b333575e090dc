using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Auth;

namespace OpsBot.BotFramework.Tests;

/// <summary>Outbound authentication (protocol doc §3; vectors O1, O2, O9, O10) through real MSAL against the fake authority.</summary>
public sealed class OutboundTokenTests
{
    [Fact]
    public async Task O1_fifty_sends_use_one_token_request()
    {
        await using var h = await OutboundHarness.StartAsync();

        for (var i = 0; i < 20; i++) await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message($"m{i}", $"a:c{i}"));
        await Task.WhenAll(Enumerable.Range(20, 30).Select(i => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message($"m{i}", $"a:c{i}"))));

        Assert.Equal(50, h.Connector.Calls.Count);
        Assert.Single(h.Authority.TokenRequests);
        Assert.All(h.Connector.Calls, c => Assert.Equal("Bearer fake-access-token-1", c.Authorization));
    }

    [Fact]
    public async Task Parallel_cold_start_sends_ask_the_authority_once()
    {
        await using var h = await OutboundHarness.StartAsync();

        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("x", $"a:p{i}"))));

        Assert.Single(h.Authority.TokenRequests);
    }

    [Fact]
    public async Task O10_single_tenant_token_comes_from_the_tenant_with_the_bot_framework_scope()
    {
        await using var h = await OutboundHarness.StartAsync();

        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi"));

        var request = Assert.Single(h.Authority.TokenRequests);
        Assert.Equal($"https://login.microsoftonline.com/{OutboundHarness.TenantId}/oauth2/v2.0/token", request.Url.ToString());
        Assert.Equal("client_credentials", request.Form["grant_type"]);
        Assert.Equal(OutboundHarness.AppId, request.Form["client_id"]);
        Assert.Equal("test-secret", request.Form["client_secret"]);
        Assert.Equal("https://api.botframework.com/.default", request.Form["scope"]);
    }

    [Fact]
    public async Task Multi_tenant_token_comes_from_botframework_com()
    {
        await using var h = await OutboundHarness.StartAsync(s => { s["MicrosoftAppType"] = "MultiTenant"; s["MicrosoftAppTenantId"] = ""; });

        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi"));

        Assert.Equal("https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token", Assert.Single(h.Authority.TokenRequests).Url.ToString());
    }

    [Fact]
    public async Task Login_url_and_scope_come_from_configuration_and_default_is_appended()
    {
        await using var h = await OutboundHarness.StartAsync(s =>
        {
            s["ToChannelFromBotLoginUrl"] = "https://login.microsoftonline.us/gov-tenant";
            s["ToChannelFromBotOAuthScope"] = "https://api.botframework.us";
            s["ValidateAuthority"] = "false";
        });

        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi"));

        var request = Assert.Single(h.Authority.TokenRequests);
        Assert.Equal("login.microsoftonline.us", request.Url.Host);
        Assert.Equal("/gov-tenant/oauth2/v2.0/token", request.Url.AbsolutePath);
        Assert.Equal("https://api.botframework.us/.default", request.Form["scope"]);
    }

    [Fact]
    public async Task Government_cloud_uses_the_us_login_host_and_audience()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["ChannelService"] = "https://botframework.azure.us");

        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi"));

        var request = Assert.Single(h.Authority.TokenRequests);
        Assert.Equal($"https://login.microsoftonline.us/{OutboundHarness.TenantId}/oauth2/v2.0/token", request.Url.ToString());
        Assert.Equal("https://api.botframework.us/.default", request.Form["scope"]);
    }

    [Fact]
    public async Task O2_a_401_forces_one_token_refresh_and_one_retry()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(HttpStatusCode.Unauthorized, """{"error":{"code":"BotNotRegistered","message":"token expired"}}""");

        var result = await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi"));

        Assert.NotNull(result.Id);
        Assert.Equal(2, h.Authority.TokenRequests.Count);
        Assert.Equal(["Bearer fake-access-token-1", "Bearer fake-access-token-2"], h.Connector.Calls.Select(c => c.Authorization));
    }

    [Fact]
    public async Task A_second_401_fails_without_further_retries()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Connector.Respond(HttpStatusCode.Unauthorized);
        h.Connector.Respond(HttpStatusCode.Unauthorized, """{"error":{"code":"BotNotRegistered","message":"no"}}""");

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.Equal("BotNotRegistered", error.Code);
        Assert.Equal(2, h.Connector.Calls.Count);
        Assert.Equal(2, h.Authority.TokenRequests.Count);
    }

    [Fact]
    public async Task Without_app_id_calls_carry_no_authorization_and_no_token_is_requested()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["MicrosoftAppId"] = "", environment: "Production");

        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi"));

        Assert.Equal("", Assert.Single(h.Connector.Calls).Authorization);
        Assert.Empty(h.Authority.AllRequests);
    }

    [Fact]
    public async Task O9_send_to_an_untrusted_service_url_is_refused_locally_and_no_token_leaves()
    {
        await using var h = await OutboundHarness.StartAsync(environment: "Production");

        var error = await Assert.ThrowsAsync<UntrustedServiceUrlException>(() =>
            h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));
        await Assert.ThrowsAsync<UntrustedServiceUrlException>(() =>
            h.Client.CreatePersonalConversationAsync(h.ServiceUrl, OutboundHarness.TenantId, "29:user"));

        Assert.Equal(h.ServiceUrl, error.ServiceUrl);
        Assert.Empty(h.Connector.Calls);
        Assert.Empty(h.Authority.AllRequests);
    }

    [Fact]
    public async Task Plain_http_stays_untrusted_outside_development_even_after_inbound_validation()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:TrustedServiceUrlHosts"] = "127.0.0.1", environment: "Production");
        h.Services.GetRequiredService<TrustedServiceUrls>().TrustValidated(h.ServiceUrl);

        await Assert.ThrowsAsync<UntrustedServiceUrlException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));
        Assert.Empty(h.Connector.Calls);
    }

    [Fact]
    public async Task Token_request_rejected_by_the_authority_surfaces_as_connector_error_without_a_connector_call()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Authority.FailNextToken(HttpStatusCode.Unauthorized, "invalid_client");

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.Equal("TokenAcquisitionFailed", error.Code);
        Assert.Equal("invalid_client", error.SubCode);
        Assert.DoesNotContain("test-secret", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(h.Connector.Calls);
    }

    [Theory]
    [InlineData("SingleTenant", "", "MicrosoftAppTenantId")]
    [InlineData("UserAssignedMSI", "t", "UserAssignedMSI")]
    public void Incomplete_credentials_fail_with_a_clear_message(string appType, string tenant, string expected)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MicrosoftAppId"] = "app", ["MicrosoftAppPassword"] = "pw", ["MicrosoftAppType"] = appType, ["MicrosoftAppTenantId"] = tenant,
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => BotCredentials.FromConfiguration(config));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_never_print_the_secret()
    {
        var credentials = new BotCredentials("app", "very-secret", BotAppType.SingleTenant, "t", null, null);
        Assert.DoesNotContain("very-secret", credentials.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_lived_token_is_renewed_before_it_expires()
    {
        await using var h = await OutboundHarness.StartAsync();
        h.Authority.TokenLifetime = TimeSpan.FromMinutes(2);

        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("one"));
        await h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("two"));

        Assert.Equal(2, h.Authority.TokenRequests.Count);
        Assert.Equal(["Bearer fake-access-token-1", "Bearer fake-access-token-2"], h.Connector.Calls.Select(c => c.Authorization));
    }
}
