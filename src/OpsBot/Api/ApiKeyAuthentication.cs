using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace OpsBot.Api;

/// <summary>
/// Authentication for other systems calling OpsBot's HTTP API (alerts, KPI readings, ERP feed): an API key in
/// <c>X-Api-Key</c> (or <c>Authorization: ApiKey …</c>), compared against SHA-256 hashes in configuration
/// (<c>Api:Keys:&lt;client name&gt; = &lt;hex sha256&gt;</c>). Keys themselves are never stored.
/// </summary>
public sealed class ApiKeyHandler(IOptionsMonitor<ApiKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ApiKeyOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers["X-Api-Key"].ToString();
        var authorization = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(key) && authorization.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase)) key = authorization[7..].Trim();
        if (string.IsNullOrEmpty(key)) return Task.FromResult(AuthenticateResult.NoResult());

        var hash = Hash(key);
        foreach (var (client, expected) in Options.Keys)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(expected.ToLowerInvariant())))
            {
                var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, client), new Claim("client", client)], SchemeName);
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
            }
        }
        return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}

public sealed class ApiKeyOptions : AuthenticationSchemeOptions
{
    /// <summary>Client name → lower-case hex SHA-256 of its key.</summary>
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);
}

public static class ApiAuthentication
{
    /// <summary>The authorization policy every endpoint for other systems requires.</summary>
    public const string Policy = "api";

    public static IServiceCollection AddApiAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAuthentication()
            .AddScheme<ApiKeyOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, o => configuration.GetSection("Api").Bind(o));
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, p => p.AddAuthenticationSchemes(ApiKeyHandler.SchemeName).RequireAuthenticatedUser());
        return services;
    }
}
