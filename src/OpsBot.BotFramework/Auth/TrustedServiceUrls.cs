using System.Collections.Concurrent;

namespace OpsBot.BotFramework.Auth;

/// <summary>
/// Which serviceUrls may receive OpsBot's outbound token (protocol doc §3.3): those that arrived on an activity whose
/// <c>serviceurl</c> claim validated, and hosts matching the configured suffix allow-list.
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
        return _suffixes.Any(s => uri.Host.Equals(s, StringComparison.OrdinalIgnoreCase) || uri.Host.EndsWith("." + s, StringComparison.OrdinalIgnoreCase));
    }

    private static string Origin(Uri uri) => uri.GetLeftPart(UriPartial.Authority);
}
