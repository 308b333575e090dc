using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.Tokens;
using OpsBot.BotFramework.Auth;

namespace OpsBot.BotFramework.Tests;

public sealed class InboundConfigurationTests
{
    private static BotAuthenticationOptions Read(params (string Key, string Value)[] values) =>
        BotAuthenticationOptions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Fact]
    public void Sdk_key_names_are_read_at_the_configuration_root_with_public_cloud_defaults()
    {
        var o = Read(("MicrosoftAppId", "app"), ("MicrosoftAppPassword", "secret"), ("MicrosoftAppTenantId", "tid"));
        Assert.Equal("app", o.AppId);
        Assert.Equal("secret", o.AppPassword);
        Assert.Equal("tid", o.TenantId);
        Assert.Equal(BotAppType.SingleTenant, o.AppType);
        Assert.Equal("https://api.botframework.com", o.ChannelTokenIssuer);
        Assert.Equal("https://login.botframework.com/v1/.well-known/openidconfiguration", o.ChannelOpenIdMetadataUrl);
        Assert.Equal("https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration", o.EmulatorOpenIdMetadataUrl);
        Assert.Equal("https://api.botframework.com", o.ToChannelFromBotOAuthScope);
        Assert.Equal("urn:botframework:azure", o.CallerId);
        Assert.False(o.AuthenticationDisabled);
        Assert.False(o.EntraPathEnabled);
    }

    [Fact]
    public void The_us_government_channel_service_switches_every_constant()
    {
        var o = Read(("MicrosoftAppId", "app"), ("ChannelService", "https://botframework.azure.us"));
        Assert.Equal("https://api.botframework.us", o.ChannelTokenIssuer);
        Assert.Equal("https://login.botframework.azure.us/v1/.well-known/openidconfiguration", o.ChannelOpenIdMetadataUrl);
        Assert.Equal("https://api.botframework.us", o.ToChannelFromBotOAuthScope);
        Assert.Equal("urn:botframework:azureusgov", o.CallerId);
    }

    [Fact]
    public void An_unknown_channel_service_needs_explicit_endpoints()
    {
        Assert.Throws<InvalidOperationException>(() => Read(("ChannelService", "https://private.example")));
        var o = Read(("ChannelService", "https://private.example"),
            ("ToBotFromChannelTokenIssuer", "https://api.private.example"),
            ("ToBotFromChannelOpenIdMetadataUrl", "https://login.private.example/v1/.well-known/openidconfiguration"),
            ("ToChannelFromBotLoginUrl", "https://login.private.example/tenant"),
            ("ToChannelFromBotOAuthScope", "https://api.private.example"));
        Assert.Equal("https://api.private.example", o.ChannelTokenIssuer);
        Assert.Equal("https://login.private.example/tenant", o.ToChannelFromBotLoginUrl);
        Assert.Equal("https://api.private.example", o.ToChannelFromBotOAuthScope);
    }

    [Theory]
    [InlineData("MultiTenant", BotAppType.MultiTenant)]
    [InlineData("singletenant", BotAppType.SingleTenant)]
    [InlineData("UserAssignedMSI", BotAppType.UserAssignedMsi)]
    public void App_type_is_parsed_case_insensitively(string text, BotAppType expected) =>
        Assert.Equal(expected, Read(("MicrosoftAppType", text)).AppType);

    [Fact]
    public void An_unknown_app_type_stops_start_up() =>
        Assert.Throws<InvalidOperationException>(() => Read(("MicrosoftAppType", "Sometimes")));

    [Fact]
    public void Entra_callers_come_as_an_array_or_a_comma_separated_value()
    {
        Assert.Equal(["a", "b"], Read(("Bot:AllowEntraCallers:0", "a"), ("Bot:AllowEntraCallers:1", "b")).AllowEntraCallers);
        Assert.Equal(["a", "b"], Read(("Bot:AllowEntraCallers", " a, b ;")).AllowEntraCallers);
        Assert.True(Read(("Bot:AllowEntraCallers", "a")).EntraPathEnabled);
    }

    [Fact]
    public void Tenant_issuers_are_accepted_only_for_single_tenant_apps()
    {
        const string tenantIssuer = "https://login.microsoftonline.com/tid/v2.0";
        Assert.Contains(tenantIssuer, Read(("MicrosoftAppTenantId", "tid")).EntraIssuers());
        Assert.DoesNotContain(tenantIssuer, Read(("MicrosoftAppTenantId", "tid"), ("MicrosoftAppType", "MultiTenant")).EntraIssuers());
    }

    /// <summary>
    /// The trap the endorsement check must avoid: IdentityModel 8.x keeps unknown JWK members as <see cref="JsonElement"/>, so a
    /// check like <c>AdditionalData["endorsements"] is IEnumerable&lt;string&gt;</c> is silently false. OpsBot reads the raw JWKS instead.
    /// </summary>
    [Fact]
    public async Task Endorsements_are_read_from_the_raw_jwks_not_from_identitymodel_additional_data()
    {
        await using var authority = await FakeOpenIdServer.StartAsync();
        using var key = new TestSigningKey("k1");
        using var webchatKey = new TestSigningKey("k2");
        using var bareKey = new TestSigningKey("k3");
        authority.PublishChannelKey(key, "msteams", "skype");
        authority.PublishChannelKey(webchatKey, "webchat");
        authority.PublishChannelKey(bareKey, null);

        var identityModelView = new JsonWebKey(key.Jwk(["msteams"]).ToJsonString()).AdditionalData["endorsements"];
        Assert.IsType<JsonElement>(identityModelView);
        Assert.False(identityModelView is IEnumerable<string>);

        using var http = new HttpClient();
        var keys = new OpenIdKeySet(authority.ChannelMetadataUrl, new SingleClientFactory(http), TimeProvider.System, NullLogger.Instance);
        var snapshot = await keys.GetAsync(CancellationToken.None);

        Assert.NotNull(snapshot);
        Assert.Equal(["msteams", "skype"], snapshot.Keys["k1"].Endorsements);
        Assert.Equal(["webchat"], snapshot.Keys["k2"].Endorsements);
        Assert.Empty(snapshot.Keys["k3"].Endorsements);
    }

    private sealed class SingleClientFactory(HttpClient client) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => client;
    }
}
