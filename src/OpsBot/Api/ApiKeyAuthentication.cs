using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
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
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers[HeaderName].ToString();
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

    /// <summary>Every configured key must be a SHA-256 hash (64 hex digits), never empty and never the key itself.</summary>
    internal sealed class Hashes : IValidateOptions<ApiKeyOptions>
    {
        public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
        {
            var bad = options.Keys.Where(k => k.Value is not { Length: 64 } || !k.Value.All(char.IsAsciiHexDigit))
                .Select(k => $"Api:Keys:{k.Key} must be the hex SHA-256 of the client's key (64 hex digits); it is {(string.IsNullOrWhiteSpace(k.Value) ? "empty" : "something else")}.")
                .ToList();
            return bad.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(bad);
        }
    }
}

/// <summary>
/// <c>Api:Entra</c>: other systems may instead present an Entra ID bearer token (client credentials) issued by
/// <c>TenantId</c> for <c>Audience</c> (OpsBot's API app id URI or client id); <c>AllowedClients</c> lists the caller app ids.
/// </summary>
public sealed class ApiEntraOptions
{
    public string? TenantId { get; set; }
    public string? Audience { get; set; }
    public string[] AllowedClients { get; set; } = [];
    /// <summary>Override of the OpenID metadata document (private clouds, tests); default: the tenant's v2.0 document.</summary>
    public string? MetadataAddress { get; set; }
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(TenantId) && !string.IsNullOrWhiteSpace(Audience);
}

public static class ApiAuthentication
{
    /// <summary>The authorization policy every endpoint for other systems requires.</summary>
    public const string Policy = "api";
    public const string EntraScheme = "ApiEntra";

    public static IServiceCollection AddApiAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        var authentication = services.AddAuthentication()
            .AddScheme<ApiKeyOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, o => configuration.GetSection("Api").Bind(o));
        string[] schemes = [ApiKeyHandler.SchemeName];

        services.AddSingleton<IValidateOptions<ApiKeyOptions>, ApiKeyOptions.Hashes>();
        services.AddOptions<ApiKeyOptions>(ApiKeyHandler.SchemeName).ValidateOnStart();

        var entra = configuration.GetSection("Api:Entra").Get<ApiEntraOptions>() ?? new ApiEntraOptions();
        services.AddOptions<ApiEntraOptions>().Bind(configuration.GetSection("Api:Entra"))
            .Validate(o => string.IsNullOrWhiteSpace(o.TenantId) == string.IsNullOrWhiteSpace(o.Audience),
                "Api:Entra:TenantId and Api:Entra:Audience are set together (both turn Entra callers on).")
            .Validate(o => !o.Enabled || o.AllowedClients.Any(c => !string.IsNullOrWhiteSpace(c)),
                "Api:Entra:AllowedClients must list the caller app ids when Api:Entra is on.")
            .ValidateOnStart();
        if (entra.Enabled)
        {
            authentication.AddJwtBearer(EntraScheme, o =>
            {
                o.MetadataAddress = entra.MetadataAddress ?? $"https://login.microsoftonline.com/{entra.TenantId}/v2.0/.well-known/openid-configuration";
                o.RequireHttpsMetadata = entra.RequireHttpsMetadata;
                o.MapInboundClaims = false;
                o.TokenValidationParameters.ValidAudiences = [entra.Audience!];
                o.TokenValidationParameters.ValidIssuers =
                    [$"https://login.microsoftonline.com/{entra.TenantId}/v2.0", $"https://sts.windows.net/{entra.TenantId}/"];
                o.TokenValidationParameters.ValidAlgorithms = ["RS256"];
                o.Events = new JwtBearerEvents { OnTokenValidated = ctx => AcceptClient(ctx, entra) };
            });
            schemes = [.. schemes, EntraScheme];
        }
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, p => p.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser().RequireClaim("client"));
        return services;
    }

    /// <summary>The caller app id (<c>azp</c> in v2 tokens, <c>appid</c> in v1) must be allowed; it becomes the <c>client</c> claim.</summary>
    private static Task AcceptClient(TokenValidatedContext ctx, ApiEntraOptions entra)
    {
        var caller = ctx.Principal?.FindFirst("azp")?.Value ?? ctx.Principal?.FindFirst("appid")?.Value;
        if (caller is null || !entra.AllowedClients.Contains(caller, StringComparer.OrdinalIgnoreCase))
        {
            ctx.Fail("The calling application is not allowed to use the OpsBot API.");
            return Task.CompletedTask;
        }
        ctx.Principal!.AddIdentity(new ClaimsIdentity([new Claim("client", caller), new Claim(ClaimTypes.Name, caller)], EntraScheme));
        return Task.CompletedTask;
    }
}
