using System.Collections.Concurrent;

namespace OpsBot.BotFramework.Auth;

/// <summary>
/// Which serviceUrls may receive OpsBot's outbound token (protocol doc §3.3): those that arrived on an activity whose
/// <c>serviceurl</c> claim validated, and hosts matching the configured suffix allow-list. With authentication off, which
/// serviceUrls may be called at all.
/// </summary>
public sealed class TrustedServiceUrls(IEnumerable<string> allowedHostSuffixes, bool allowLoopbackAndHttp)
{
    public static readonly string[] DefaultHostSuffixes = ["smba.trafficmanager.net", "botframework.com", "teams.microsoft.com", "teams.microsoft.us"];

    private readonly string[] _suffixes = allowedHostSuffixes.ToArray();
    private readonly ConcurrentDictionary<string, byte> _validated = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Called after an inbound token's <c>serviceurl</c> claim matched the activity.</summary>
    public void TrustValidated(string serviceUrl)
    {
        if (Uri.TryCreate(serviceUrl, UriKind.Absolute, out var uri)) _validated[Origin(uri)] = 0;
    }

    public bool IsTrusted(string serviceUrl)
    {
        if (!Uri.TryCreate(serviceUrl, UriKind.Absolute, out var uri)) return false;
        if (uri.Scheme != Uri.UriSchemeHttps && !(allowLoopbackAndHttp && uri.IsLoopback)) return false;
        if (_validated.ContainsKey(Origin(uri))) return true;
        if (allowLoopbackAndHttp && uri.IsLoopback) return true;
        return IsAllowListed(uri);
    }

    /// <summary>
    /// With authentication off nothing was validated inbound, so any serviceUrl an activity names would be called: only
    /// loopback and the allow-listed hosts may be (no link-local metadata endpoints, no arbitrary hosts).
    /// </summary>
    public bool IsAllowedWithoutAuthentication(string serviceUrl) =>
        Uri.TryCreate(serviceUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && (uri.IsLoopback || IsAllowListed(uri));

    private bool IsAllowListed(Uri uri) =>
        uri.HostNameType == UriHostNameType.Dns
        && _suffixes.Any(s => uri.Host.Equals(s, StringComparison.OrdinalIgnoreCase) || uri.Host.EndsWith("." + s, StringComparison.OrdinalIgnoreCase));

    private static string Origin(Uri uri) => uri.GetLeftPart(UriPartial.Authority);
}
