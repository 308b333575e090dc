using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework.Auth;

public enum AuthStatus { Authenticated, Unauthorized, Unavailable }

/// <summary>The outcome of inbound authentication. <see cref="Reason"/> is for the server log only, never for the caller.</summary>
public sealed record AuthResult(AuthStatus Status, CallerIdentity Caller, string? Reason = null)
{
    public static AuthResult Fail(string reason) => new(AuthStatus.Unauthorized, CallerIdentity.Anonymous, reason);
}

/// <summary>
/// Validates the <c>Authorization</c> header of an inbound activity exactly as protocol doc §2.1/§2.4 describe:
/// channel tokens (issuer filtered before any key fetch, RS256 only, kid, signature, lifetime with 5 min skew, issuer,
/// audience = app id, key endorsement for the activity's channel, <c>serviceurl</c> = activity serviceUrl) and, only when
/// <c>Bot:AllowEntraCallers</c> lists callers, Entra v1/v2 tokens. Never throws for a bad token.
/// </summary>
public sealed class BotAuthenticator
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly BotAuthenticationOptions _options;
    private readonly TimeProvider _time;
    private readonly TrustedServiceUrls _trusted;
    private readonly IReadOnlySet<string> _entraIssuers;
    private readonly JsonWebTokenHandler _handler = new();

    public BotAuthenticator(BotAuthenticationOptions options, IHttpClientFactory http, TimeProvider time, TrustedServiceUrls trusted, ILoggerFactory logs)
    {
        _options = options;
        _time = time;
        _trusted = trusted;
        _entraIssuers = options.EntraIssuers();
        ChannelKeys = new OpenIdKeySet(options.ChannelOpenIdMetadataUrl, http, time, logs.CreateLogger<OpenIdKeySet>());
        EntraKeys = new OpenIdKeySet(options.EmulatorOpenIdMetadataUrl, http, time, logs.CreateLogger<OpenIdKeySet>());
    }

    public OpenIdKeySet ChannelKeys { get; }
    public OpenIdKeySet EntraKeys { get; }

    public async Task<AuthResult> AuthenticateAsync(string? authorization, Activity activity, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return _options.AuthenticationDisabled
                ? new AuthResult(AuthStatus.Authenticated, CallerIdentity.Anonymous)
                : AuthResult.Fail("no Authorization header");
        }
        if (_options.AuthenticationDisabled) return AuthResult.Fail("a token was sent but MicrosoftAppId is empty, so no token can be valid");

        var parts = authorization.Split(' ');
        if (parts.Length != 2 || !string.Equals(parts[0], "Bearer", StringComparison.Ordinal) || parts[1].Length == 0)
            return AuthResult.Fail("Authorization header is not 'Bearer <token>'");

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(parts[1]);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or FormatException or System.Text.Json.JsonException)
        {
            return AuthResult.Fail("token is not a JWT");
        }
        if (jwt.IsEncrypted) return AuthResult.Fail("encrypted tokens are not accepted");
        if (!string.Equals(jwt.Alg, SecurityAlgorithms.RsaSha256, StringComparison.Ordinal))
            return AuthResult.Fail($"algorithm '{Printable(jwt.Alg)}' is not allowed (RS256 only)");

        var issuer = jwt.Issuer;
        if (string.Equals(issuer, _options.ChannelTokenIssuer, StringComparison.Ordinal))
            return await ChannelAsync(jwt, activity, ct);
        if (_entraIssuers.Contains(issuer))
        {
            return _options.EntraPathEnabled
                ? await EntraAsync(jwt, ct)
                : AuthResult.Fail("Entra-issued token, but Bot:AllowEntraCallers is empty");
        }
        return AuthResult.Fail($"issuer '{Printable(issuer)}' is not accepted");
    }

    private async Task<AuthResult> ChannelAsync(JsonWebToken jwt, Activity activity, CancellationToken ct)
    {
        var (key, unavailable) = await FindKeyAsync(ChannelKeys, jwt.Kid, ct);
        if (unavailable) return new AuthResult(AuthStatus.Unavailable, CallerIdentity.Anonymous, "channel signing keys could not be fetched");
        if (key is null) return AuthResult.Fail($"unknown signing key '{Printable(jwt.Kid)}'");

        var validated = await _handler.ValidateTokenAsync(jwt, Parameters(key.Key, [_options.ChannelTokenIssuer]));
        if (!validated.IsValid) return AuthResult.Fail($"channel token rejected: {validated.Exception?.Message}");

        if (string.IsNullOrEmpty(activity.ChannelId)) return AuthResult.Fail("activity has no channelId");
        if (key.Endorsements.Count == 0 || !key.Endorsements.Contains(activity.ChannelId, StringComparer.Ordinal))
            return AuthResult.Fail($"signing key is not endorsed for channel '{Printable(activity.ChannelId)}'");

        if (!jwt.TryGetPayloadValue<string>("serviceurl", out var serviceUrl) || string.IsNullOrEmpty(serviceUrl))
            return AuthResult.Fail("token has no serviceurl claim");
        if (!string.Equals(serviceUrl, activity.ServiceUrl, StringComparison.OrdinalIgnoreCase))
            return AuthResult.Fail("serviceurl claim does not match the activity's serviceUrl");

        _trusted.TrustValidated(activity.ServiceUrl!);
        return new AuthResult(AuthStatus.Authenticated, new CallerIdentity(true, _options.CallerId, null));
    }

    private async Task<AuthResult> EntraAsync(JsonWebToken jwt, CancellationToken ct)
    {
        var (key, unavailable) = await FindKeyAsync(EntraKeys, jwt.Kid, ct);
        if (unavailable) return new AuthResult(AuthStatus.Unavailable, CallerIdentity.Anonymous, "Entra signing keys could not be fetched");
        if (key is null) return AuthResult.Fail($"unknown Entra signing key '{Printable(jwt.Kid)}'");

        var validated = await _handler.ValidateTokenAsync(jwt, Parameters(key.Key, _entraIssuers));
        if (!validated.IsValid) return AuthResult.Fail($"Entra token rejected: {validated.Exception?.Message}");

        jwt.TryGetPayloadValue<string>("ver", out var version);
        var claim = version switch
        {
            null or "" or "1.0" => "appid",
            "2.0" => "azp",
            _ => null,
        };
        if (claim is null) return AuthResult.Fail($"Entra token version '{Printable(version)}' is not supported");
        if (!jwt.TryGetPayloadValue<string>(claim, out var callerAppId) || string.IsNullOrEmpty(callerAppId))
            return AuthResult.Fail($"Entra token has no '{claim}' claim");
        if (!_options.AllowEntraCallers.Contains(callerAppId, StringComparer.OrdinalIgnoreCase))
            return AuthResult.Fail($"Entra caller '{Printable(callerAppId)}' is not in Bot:AllowEntraCallers");

        var callerId = string.Equals(callerAppId, _options.AppId, StringComparison.OrdinalIgnoreCase)
            ? _options.CallerId
            : $"urn:botframework:aadappid:{callerAppId}";
        return new AuthResult(AuthStatus.Authenticated, new CallerIdentity(true, callerId, callerAppId));
    }

    private static async Task<(EndorsedKey? Key, bool Unavailable)> FindKeyAsync(OpenIdKeySet keys, string? kid, CancellationToken ct)
    {
        var snapshot = await keys.GetAsync(ct);
        if (snapshot is null) return (null, true);
        if (string.IsNullOrEmpty(kid)) return (null, false);
        if (snapshot.Keys.TryGetValue(kid, out var key)) return (key, false);
        snapshot = await keys.RefreshForUnknownKeyAsync(ct);
        return (snapshot?.Keys.GetValueOrDefault(kid), false);
    }

    private TokenValidationParameters Parameters(SecurityKey key, IEnumerable<string> issuers) => new()
    {
        ValidIssuers = issuers,
        ValidateIssuer = true,
        ValidAudience = _options.AppId,
        ValidateAudience = true,
        RequireAudience = true,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        RequireSignedTokens = true,
        IssuerSigningKey = key,
        TryAllIssuerSigningKeys = false,
        ValidateIssuerSigningKey = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = ClockSkew,
        LifetimeValidator = ValidLifetime,
    };

    /// <summary>exp required; exp and nbf checked with 5 minutes of skew against the injected clock.</summary>
    private bool ValidLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is not { } exp) return false;
        if (notBefore is { } nbf && (nbf > exp || nbf > now + ClockSkew)) return false;
        return exp > now - ClockSkew;
    }

    /// <summary>Attacker-controlled header/claim values are shortened and stripped of control characters before they reach a log.</summary>
    private static string Printable(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var s = new string(value.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return value.Length > 80 ? s + "…" : s;
    }
}
