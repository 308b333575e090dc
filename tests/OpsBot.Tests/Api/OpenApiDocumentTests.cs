using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Api;

/// <summary>
/// <c>/openapi/v1.json</c> is a valid OpenAPI document, lists every endpoint the app maps under <c>/api</c> with its method, and is
/// the document committed at <c>docs/openapi.json</c>. After an intended API change, refresh the copy with
/// <c>OPSBOT_WRITE_OPENAPI=1 dotnet test --filter OpenApiDocumentTests</c> and review the diff.
/// </summary>
public sealed class OpenApiDocumentTests : IAsyncLifetime
{
    private static readonly string Committed = RepoFiles.PathOf("docs", "openapi.json");
    private OpsBotFactory _app = null!;
    private string _served = "";

    public async Task InitializeAsync()
    {
        _app = new OpsBotFactory();
        var response = await _app.CreateClient().GetAsync("/openapi/v1.json");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        _served = await response.Content.ReadAsStringAsync();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static OpenApiDocument Read(string json)
    {
        var (document, diagnostic) = OpenApiDocument.Parse(json, OpenApiConstants.Json);
        var problems = diagnostic!.Errors.Select(e => $"{e.Pointer}: {e.Message}")
            .Concat(document is null ? [] : document.Validate(ValidationRuleSet.GetDefaultRuleSet())!.Select(e => $"{e.Pointer}: {e.Message}"))
            .ToList();
        Assert.True(problems.Count == 0, "The OpenAPI document is not valid:\n" + string.Join('\n', problems));
        return document!;
    }

    [Fact]
    public void The_served_document_is_valid_OpenAPI_with_both_security_schemes()
    {
        var document = Read(_served);
        Assert.Equal("3.1.1", JsonNode.Parse(_served)!["openapi"]!.GetValue<string>());
        var schemes = document.Components!.SecuritySchemes!;
        Assert.Equal(SecuritySchemeType.ApiKey, schemes["ApiKey"].Type);
        Assert.Equal(ParameterLocation.Header, schemes["ApiKey"].In);
        Assert.Equal("X-Api-Key", schemes["ApiKey"].Name);
        Assert.Equal(SecuritySchemeType.Http, schemes["ApiEntra"].Type);
        Assert.Equal("bearer", schemes["ApiEntra"].Scheme);

        // The reader does report a broken document (so an empty list above means something).
        var broken = JsonNode.Parse(_served)!.AsObject();
        broken.Remove("info");
        broken["paths"]!["/api/alerts"]!["post"]!["responses"] = "none";
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Read(broken.ToJsonString()));
    }

    [Fact]
    public void Every_endpoint_under_api_is_documented_with_its_method_summary_security_and_problem_answers()
    {
        var document = Read(_served);
        var mapped = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => Methods(e).Select(m => (Path: OpenApiPath(e.RoutePattern), Method: m)))
            .ToList();
        Assert.Contains(mapped, e => e.Path == "/api/alerts" && e.Method == "POST");
        Assert.Contains(mapped, e => e.Path == "/api/messages");

        foreach (var (path, method) in mapped)
        {
            Assert.True(document.Paths.TryGetValue(path, out var item), $"{method} {path} is mapped but not in the document.");
            Assert.True(item!.Operations!.TryGetValue(new HttpMethod(method), out var operation), $"{path} is in the document without {method}.");
            Assert.False(string.IsNullOrWhiteSpace(operation!.Summary), $"{method} {path} has no summary.");
            Assert.NotEmpty(operation.Security!);
            Assert.Contains(operation.Responses!, r => r.Key.StartsWith('2'));
            if (path == "/api/messages") continue; // the Bot Framework protocol: errors without a body
            foreach (var status in new[] { "401", "403" })
                Assert.True(operation.Responses!.TryGetValue(status, out var problem) && problem.Content!.ContainsKey("application/problem+json"),
                    $"{method} {path} does not document its {status} problem.");
            Assert.All(operation.Responses!.Where(r => r.Key[0] is '4' or '5'), r => Assert.True(r.Value.Content!.ContainsKey("application/problem+json"),
                $"{method} {path} documents {r.Key} without a problem+json body."));
        }
        var documented = document.Paths.SelectMany(p => p.Value.Operations!.Keys.Select(m => (Path: p.Key, Method: m.Method))).ToList();
        Assert.Equal(documented.Order().ToList(), mapped.Order().ToList());
    }

    [Fact]
    public async Task The_committed_copy_in_docs_is_the_document_the_app_serves()
    {
        if (Environment.GetEnvironmentVariable("OPSBOT_WRITE_OPENAPI") == "1") await File.WriteAllTextAsync(Committed, _served);
        var committed = File.Exists(Committed) ? await File.ReadAllTextAsync(Committed) : "{}";
        if (JsonNode.DeepEquals(JsonNode.Parse(committed), JsonNode.Parse(_served))) return;
        var served = Path.Combine(Path.GetTempPath(), $"opsbot-openapi-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(served, _served);
        Assert.Fail($"docs/openapi.json is not the document the app serves (written to {served}). If the API change is intended, "
            + "refresh the copy with OPSBOT_WRITE_OPENAPI=1 dotnet test --filter OpenApiDocumentTests and commit it.");
    }

    /// <summary>The protocol layer maps <c>/api/messages</c> for every method and answers all but POST with 405.</summary>
    private static IReadOnlyList<string> Methods(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods
        ?? (endpoint.RoutePattern.RawText == "/api/messages" ? ["POST"] : throw new Xunit.Sdk.XunitException($"{endpoint.RoutePattern.RawText} takes every method."));

    /// <summary><c>/api/alerts/{id:long}</c> → <c>/api/alerts/{id}</c>.</summary>
    private static string OpenApiPath(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => throw new InvalidOperationException($"Unexpected route part in {pattern.RawText}"),
        }))));
}
