using System.Net;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Auth;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.BotFramework;

/// <summary>The connector as the OpsBot host registers it: credentials from the configuration root, one trusted-URL registry.</summary>
public sealed class OutboundAppWiringTests
{
    [Fact]
    public async Task The_app_connector_reads_root_credentials_and_sends_with_a_cached_token()
    {
        await using var connector = await FakeConnector.StartAsync();
        await using var authority = await FakeAuthority.StartAsync();
        using var factory = new OpsBotFactory();
        factory.Settings["MicrosoftAppId"] = OutboundHarness.AppId;
        factory.Settings["MicrosoftAppPassword"] = "app-secret";
        factory.Settings["MicrosoftAppType"] = "SingleTenant";
        factory.Settings["MicrosoftAppTenantId"] = OutboundHarness.TenantId;
        using var app = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
            s.AddHttpClient(ConnectorTokenProvider.HttpClientName).ConfigurePrimaryHttpMessageHandler(authority.CreateHandler)));

        var client = app.Services.GetRequiredService<ConnectorClient>();
        await client.SendToConversationAsync(connector.ServiceUrl, OutboundHarness.Message("one"));
        await app.Services.GetRequiredService<ConnectorClient>().SendToConversationAsync(connector.ServiceUrl, OutboundHarness.Message("two"));

        Assert.Same(app.Services.GetRequiredService<TrustedServiceUrls>(), app.Services.GetRequiredService<TrustedServiceUrls>());
        Assert.Equal(2, connector.Calls.Count);
        Assert.All(connector.Calls, c => Assert.Equal("Bearer fake-access-token-1", c.Authorization));
        var token = Assert.Single(authority.TokenRequests);
        Assert.Equal($"/{OutboundHarness.TenantId}/oauth2/v2.0/token", token.Url.AbsolutePath);
        Assert.Equal("app-secret", token.Form["client_secret"]);
    }

    [Theory]
    [InlineData("Bot:TrustedServiceUrlHosts:0", "connector.contoso.example")]
    [InlineData("Bot:TrustedServiceUrlHosts", "other.example, connector.contoso.example")]
    public void Trusted_hosts_come_from_configuration_as_array_or_list(string key, string value)
    {
        using var factory = new OpsBotFactory();
        factory.Settings[key] = value;
        var trusted = factory.Services.GetRequiredService<TrustedServiceUrls>();

        Assert.True(trusted.IsTrusted("https://connector.contoso.example/amer/"));
        Assert.True(trusted.IsTrusted("https://smba.trafficmanager.net/teams/"));
        Assert.True(trusted.IsTrusted("http://127.0.0.1:5000/_connector"));
        Assert.False(trusted.IsTrusted("https://evil.example/"));
    }
}
