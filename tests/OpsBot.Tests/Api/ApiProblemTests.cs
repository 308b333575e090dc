using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Api;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Api;

/// <summary>Every error of the HTTP API under <c>/api</c> is RFC 9457 problem+json, one test per status, and bad input stores nothing.</summary>
public sealed class ApiProblemTests : IAsyncLifetime
{
    private const string ApiKey = "problem-tests-key";
    private OpsBotFactory _app = null!;
    private HttpClient _api = null!;

    public Task InitializeAsync()
    {
        _app = new OpsBotFactory();
        _app.Settings["Api:Keys:erp"] = ApiKeyHandler.Hash(ApiKey);
        _app.Settings["Alerts:Kpis:on-time-delivery:Warning"] = "95";
        _app.Settings["Alerts:Kpis:on-time-delivery:Critical"] = "90";
        _api = _app.CreateClient();
        _api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static readonly object Alert = new { account = "Contoso", kind = "line-down", severity = 2, impact = "Line 2 stopped" };

    private Task<HttpResponseMessage> PostAlertAsync(string body, string contentType = "application/json") =>
        _api.PostAsync("/api/alerts", new StringContent(body, Encoding.UTF8, contentType));

    private async Task AssertNoAlertStoredAsync() => Assert.Equal(0, await _app.WithDbAsync(db => db.Alerts.CountAsync()));

    [Fact]
    public async Task A_missing_or_unknown_api_key_is_a_401_problem()
    {
        var anonymous = _app.CreateClient();
        var missing = await Problems.AssertAsync(await anonymous.PostAsJsonAsync("/api/alerts", Alert), HttpStatusCode.Unauthorized);
        Assert.Contains("X-Api-Key", missing["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        using var guessed = new HttpRequestMessage(HttpMethod.Get, "/api/erp/commitments");
        guessed.Headers.Add("X-Api-Key", "guessed");
        await Problems.AssertAsync(await anonymous.SendAsync(guessed), HttpStatusCode.Unauthorized);
        await Problems.AssertAsync(await anonymous.GetAsync("/api/escalations/report.csv?month=2025-01"), HttpStatusCode.Unauthorized);
        await AssertNoAlertStoredAsync();
    }

    [Fact]
    public async Task A_caller_the_policy_refuses_gets_a_403_problem()
    {
        // No caller of today's policy is authenticated yet refused (every API key and allowed Entra app carries its client
        // claim), so this app's policy asks for a client that does not exist: the refusal itself goes through the real pipeline.
        await using var app = new OpsBotFactory();
        app.Settings["Api:Keys:erp"] = ApiKeyHandler.Hash(ApiKey);
        app.TestServices = s => s.PostConfigure<AuthorizationOptions>(o => o.AddPolicy(ApiAuthentication.Policy,
            p => p.AddAuthenticationSchemes(ApiKeyHandler.SchemeName).RequireAuthenticatedUser().RequireClaim("client", "nobody")));
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        await Problems.AssertAsync(await client.PostAsJsonAsync("/api/alerts", Alert), HttpStatusCode.Forbidden);
        Assert.Equal(0, await app.WithDbAsync(db => db.Alerts.CountAsync()));
    }

    [Fact]
    public async Task An_unknown_id_or_route_under_api_is_a_404_problem()
    {
        await Problems.AssertAsync(await _api.GetAsync("/api/alerts/424242"), HttpStatusCode.NotFound);
        await Problems.AssertAsync(await _api.GetAsync("/api/commitments/OPP-NOPE"), HttpStatusCode.NotFound);
        await Problems.AssertAsync(await _api.PostAsJsonAsync("/api/kpis/unknown/readings", new { value = 1 }), HttpStatusCode.NotFound);
        var route = await Problems.AssertAsync(await _api.GetAsync("/api/nothing-here"), HttpStatusCode.NotFound);
        Assert.Contains("/api/nothing-here", route["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await Problems.AssertAsync(await _app.CreateClient().GetAsync("/api/alerts/1/nothing"), HttpStatusCode.NotFound);
        await Problems.AssertAsync(await _api.GetAsync("/api/alerts/not-a-number"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_method_the_route_does_not_take_is_a_405_problem_naming_the_allowed_ones()
    {
        var get = await _api.GetAsync("/api/alerts");
        var problem = await Problems.AssertAsync(get, HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["POST"], get.Content.Headers.Allow);
        Assert.Contains("POST", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await Problems.AssertAsync(await _api.DeleteAsync("/api/alerts/1"), HttpStatusCode.MethodNotAllowed);
        await Problems.AssertAsync(await _api.PostAsJsonAsync("/api/erp/commitments", new { }), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_problem_and_stores_nothing()
    {
        var huge = "{\"account\":\"Contoso\",\"kind\":\"other\",\"severity\":4,\"impact\":\"x\",\"description\":\"" + new string('x', 70_000) + "\"}";
        await Problems.AssertAsync(await PostAlertAsync(huge), HttpStatusCode.RequestEntityTooLarge);
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/alerts") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge))) };
        chunked.Content.Headers.ContentType = new("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        await Problems.AssertAsync(await _api.SendAsync(chunked), HttpStatusCode.RequestEntityTooLarge);
        await AssertNoAlertStoredAsync();
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_problem_and_stores_nothing()
    {
        var xml = await Problems.AssertAsync(await PostAlertAsync("<alert account=\"Contoso\"/>", "application/xml"), HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/json", xml["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await Problems.AssertAsync(await PostAlertAsync("account=Contoso", "application/x-www-form-urlencoded"), HttpStatusCode.UnsupportedMediaType);
        await Problems.AssertAsync(await _api.PostAsync("/api/kpis/on-time-delivery/readings", new StringContent("93", Encoding.UTF8, "text/csv")),
            HttpStatusCode.UnsupportedMediaType);
        await AssertNoAlertStoredAsync();

        // A JSON body without a Content-Type is read as before.
        var untyped = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"account": "Contoso", "kind": "line-down", "severity": 2, "impact": "Line 2 stopped"}"""));
        var created = await _api.PostAsync("/api/alerts", untyped);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Malformed_json_wrong_types_and_invalid_values_are_400_problems_and_store_nothing()
    {
        await Problems.AssertAsync(await PostAlertAsync("""{"account": "Contoso", """), HttpStatusCode.BadRequest);
        await Problems.AssertAsync(await PostAlertAsync("[1, 2]"), HttpStatusCode.BadRequest);
        await Problems.AssertAsync(await PostAlertAsync("null"), HttpStatusCode.BadRequest);
        await Problems.AssertAsync(await PostAlertAsync("""{"account": "Contoso", "kind": "line-down", "impact": "x", "severity": "high"}"""), HttpStatusCode.BadRequest);
        var invalid = await Problems.AssertAsync(await PostAlertAsync("""{"account": "", "kind": "meteor", "severity": 7, "impact": ""}"""), HttpStatusCode.BadRequest);
        Assert.NotNull(invalid["errors"]?["severity"]);
        await Problems.AssertAsync(await _api.PostAsync("/api/kpis/on-time-delivery/readings",
            new StringContent("""{"value": "ninety"}""", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        await Problems.AssertAsync(await _api.GetAsync("/api/erp/commitments?limit=many"), HttpStatusCode.BadRequest);
        await Problems.AssertAsync(await _api.GetAsync("/api/erp/commitments?since=yesterday"), HttpStatusCode.BadRequest);
        await Problems.AssertAsync(await _api.GetAsync("/api/escalations/report.csv?month=13-2025"), HttpStatusCode.BadRequest);
        using var longKey = new HttpRequestMessage(HttpMethod.Post, "/api/alerts") { Content = JsonContent.Create(Alert) };
        longKey.Headers.Add("Idempotency-Key", new string('k', 101));
        await Problems.AssertAsync(await _api.SendAsync(longKey), HttpStatusCode.BadRequest);
        await AssertNoAlertStoredAsync();
    }

    [Fact]
    public async Task The_bot_endpoint_keeps_its_protocol_answers_without_a_body()
    {
        // /api/messages answers as the Bot Framework SDK does (protocol doc §2.8 and §5.1): status only, no problem body.
        var get = await _app.CreateClient().GetAsync("/api/messages");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal("", await get.Content.ReadAsStringAsync());
    }
}
