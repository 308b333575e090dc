using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;

namespace OpsBot.BotFramework.Auth;

/// <summary>
/// Client-credentials tokens for the Bot Connector through MSAL (protocol doc §3.1, §3.2): one confidential client per
/// (appId, authority), kept for the life of the process so MSAL's in-memory app-token cache serves every send.
/// Acquisitions are serialized so a cold start with many parallel sends asks the authority once.
/// </summary>
public sealed class ConnectorTokenProvider(BotCredentials credentials, IHttpClientFactory httpClients, ILogger<ConnectorTokenProvider> log)
{
    /// <summary>Named HttpClient MSAL uses for the authority (tests route it to a loopback fake).</summary>
    public const string HttpClientName = "OpsBot.BotFramework.Msal";

    private readonly ConcurrentDictionary<(string AppId, string Authority), Lazy<IConfidentialClientApplication>> _apps = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<string> GetTokenAsync(bool forceRefresh, CancellationToken ct)
    {
        if (!credentials.IsConfigured) throw new InvalidOperationException("No MicrosoftAppId is configured; outbound calls are anonymous.");
        var app = _apps.GetOrAdd((credentials.AppId, credentials.Authority), key => new Lazy<IConfidentialClientApplication>(() => Build(key.AppId, key.Authority))).Value;

        await _gate.WaitAsync(ct);
        try
        {
            var result = await app.AcquireTokenForClient([credentials.Scope]).WithForceRefresh(forceRefresh).ExecuteAsync(ct);
            if (result.AuthenticationResultMetadata.TokenSource != TokenSource.Cache)
                log.LogInformation("Outbound token acquired from {Authority} for {Scope} (force refresh: {Force}), expires {ExpiresOn:o}",
                    credentials.Authority, credentials.Scope, forceRefresh, result.ExpiresOn);
            return result.AccessToken;
        }
        catch (MsalServiceException ex)
        {
            log.LogError("Outbound token request to {Authority} failed: {ErrorCode} (HTTP {Status})", credentials.Authority, ex.ErrorCode, ex.StatusCode);
            var status = ex.StatusCode is >= 500 or 429 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.Unauthorized;
            throw new ConnectorException(status, "TokenAcquisitionFailed", ex.ErrorCode,
                $"Could not get a Bot Connector token from {credentials.Authority}: {ex.ErrorCode}.", innerException: ex);
        }
        catch (MsalClientException ex)
        {
            log.LogError("Outbound token request to {Authority} failed on the client side: {ErrorCode}", credentials.Authority, ex.ErrorCode);
            throw new ConnectorException(HttpStatusCode.ServiceUnavailable, "TokenAcquisitionFailed", ex.ErrorCode,
                $"Could not get a Bot Connector token from {credentials.Authority}: {ex.ErrorCode}.", innerException: ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private IConfidentialClientApplication Build(string appId, string authority) =>
        ConfidentialClientApplicationBuilder.Create(appId)
            .WithAuthority(authority, credentials.ValidateAuthority)
            .WithClientSecret(credentials.Password!)
            .WithHttpClientFactory(new MsalHttpClientFactory(httpClients))
            .Build();

    private sealed class MsalHttpClientFactory(IHttpClientFactory factory) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => factory.CreateClient(HttpClientName);
    }
}
