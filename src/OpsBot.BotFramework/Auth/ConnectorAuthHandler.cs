using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace OpsBot.BotFramework.Auth;

/// <summary>
/// Outermost handler of the connector HttpClient: attaches the bearer token (only for trusted serviceUrls, protocol doc §3.3)
/// and on a 401 forces one token refresh and sends once more through the limiter and pipeline (§3.2).
/// </summary>
public sealed class ConnectorAuthHandler(BotCredentials credentials, TrustedServiceUrls trusted, ConnectorTokenProvider tokens, ILogger<ConnectorAuthHandler> log)
    : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = null;
        if (!credentials.IsConfigured) return await base.SendAsync(request, cancellationToken);

        var target = request.RequestUri!.ToString();
        if (!trusted.IsTrusted(target)) throw new UntrustedServiceUrlException(target);

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetTokenAsync(forceRefresh: false, cancellationToken));
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

        log.LogWarning("Connector answered 401 to {Method} {Host}; refreshing the token and trying once more", request.Method, request.RequestUri.Host);
        response.Dispose();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetTokenAsync(forceRefresh: true, cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>A send with credentials to a serviceUrl that is neither validated inbound nor allow-listed: refused before any token leaves.</summary>
public sealed class UntrustedServiceUrlException(string serviceUrl)
    : InvalidOperationException($"Refusing to call the untrusted serviceUrl '{serviceUrl}': its host was not seen on an authenticated inbound activity and is not in Bot:TrustedServiceUrlHosts.")
{
    public string ServiceUrl { get; } = serviceUrl;
}
