using System.Net;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Auth;
using OpsBot.BotFramework.Connector;
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

    [Fact]
    public async Task Retry_after_dates_are_read_against_the_connector_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:Connector:MaxRetryAfter"] = "00:00:05",
            services: s => s.AddKeyedSingleton<TimeProvider>(ConnectorClient.ClockKey, clock));
        h.Connector.Respond(HttpStatusCode.TooManyRequests, null, ("Retry-After", clock.GetUtcNow().AddSeconds(90).ToString("R")));

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.Equal(TimeSpan.FromSeconds(90), error.RetryAfter);
        Assert.Single(h.Connector.Calls);
    }

    [Fact]
    public async Task Single_attempt_configuration_disables_retries()
    {
        await using var h = await OutboundHarness.StartAsync(s => s["Bot:Connector:MaxAttempts"] = "1");
        h.Connector.Respond(HttpStatusCode.ServiceUnavailable);

        var error = await Assert.ThrowsAsync<ConnectorException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, OutboundHarness.Message("hi")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.Status);
        Assert.Single(h.Connector.Calls);
    }
}
