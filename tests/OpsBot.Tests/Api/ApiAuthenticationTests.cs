using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using OpsBot.Api;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Api;

/// <summary>Other systems reach the HTTP API with an API key or an Entra ID client-credentials token (validated against loopback metadata).</summary>
public sealed class ApiAuthenticationTests : IAsyncLifetime
{
    private const string Tenant = "7a1e2b3c-4d5e-6f70-8192-a3b4c5d6e7f8";
    private const string Audience = "api://opsbot-api";
    private const string ErpApp = "0c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5";
    private const string ApiKey = "erp-key-for-tests";
    private readonly TestSigningKey _key = new("entra-key-1");
    private FakeOpenIdServer _idp = null!;
    private OpsBotFactory _app = null!;

    public async Task InitializeAsync()
    {
        _idp = await FakeOpenIdServer.StartAsync();
        _idp.PublishEntraKey(_key);
        _app = new OpsBotFactory();
        _app.Settings["Api:Keys:erp"] = ApiKeyHandler.Hash(ApiKey);
        _app.Settings["Api:Entra:TenantId"] = Tenant;
        _app.Settings["Api:Entra:Audience"] = Audience;
        _app.Settings["Api:Entra:AllowedClients:0"] = ErpApp;
        _app.Settings["Api:Entra:MetadataAddress"] = _idp.EntraMetadataUrl;
        _app.Settings["Api:Entra:RequireHttpsMetadata"] = "false";
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _idp.DisposeAsync();
        _key.Dispose();
    }

    private JsonObject Payload(string issuer = $"https://login.microsoftonline.com/{Tenant}/v2.0", string audience = Audience, string caller = ErpApp) => new()
    {
        ["iss"] = issuer,
        ["aud"] = audience,
        ["azp"] = caller,
        ["tid"] = Tenant,
        ["ver"] = "2.0",
        ["nbf"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(),
        ["exp"] = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds(),
    };

    private async Task<HttpStatusCode> GetFeedAsync(Action<HttpRequestHeaders> authenticate)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/erp/commitments?since=0");
        authenticate(request.Headers);
        var response = await _app.CreateClient().SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task An_allowed_application_with_a_valid_Entra_token_is_let_in()
    {
        var token = TestTokens.Rs256(_key, Payload());
        Assert.Equal(HttpStatusCode.OK, await GetFeedAsync(h => h.Authorization = new AuthenticationHeaderValue("Bearer", token)));
    }

    [Fact]
    public async Task An_api_key_still_works_and_no_credential_is_refused()
    {
        Assert.Equal(HttpStatusCode.OK, await GetFeedAsync(h => h.Add("X-Api-Key", ApiKey)));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetFeedAsync(_ => { }));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetFeedAsync(h => h.Add("X-Api-Key", "guessed")));
    }

    [Fact]
    public async Task A_refused_Entra_token_gets_a_problem_saying_why_and_the_bearer_challenge()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/erp/commitments?since=0");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Rs256(_key, Payload(audience: "api://someone-else")));
        var response = await _app.CreateClient().SendAsync(request);
        var problem = await Problems.AssertAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("bearer token was not accepted", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Theory]
    [InlineData("caller")]
    [InlineData("audience")]
    [InlineData("issuer")]
    [InlineData("signature")]
    public async Task Entra_tokens_for_another_caller_audience_tenant_or_key_are_refused(string wrong)
    {
        using var otherKey = new TestSigningKey("entra-key-1");
        var token = wrong switch
        {
            "caller" => TestTokens.Rs256(_key, Payload(caller: "11111111-0000-0000-0000-000000000000")),
            "audience" => TestTokens.Rs256(_key, Payload(audience: "api://someone-else")),
            "issuer" => TestTokens.Rs256(_key, Payload(issuer: "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0")),
            _ => TestTokens.Rs256(otherKey, Payload()),
        };
        Assert.Equal(HttpStatusCode.Unauthorized, await GetFeedAsync(h => h.Authorization = new AuthenticationHeaderValue("Bearer", token)));
    }
}
