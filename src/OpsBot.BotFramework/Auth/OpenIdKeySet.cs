using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace OpsBot.BotFramework.Auth;

/// <summary>A signing key from a JWKS document and the channel ids it is endorsed for (empty when the key has no <c>endorsements</c>).</summary>
public sealed record EndorsedKey(SecurityKey Key, IReadOnlyList<string> Endorsements);

/// <summary>The keys published behind one OpenID metadata URL at one moment.</summary>
public sealed record KeySnapshot(IReadOnlyDictionary<string, EndorsedKey> Keys, DateTimeOffset FetchedAt);

/// <summary>
/// Metadata + JWKS of one OpenID metadata URL (protocol doc §2.7): cached for <see cref="RefreshInterval"/>, the last good set
/// kept when a fetch fails, one fetch at a time, and an unknown <c>kid</c> forces at most one refresh per <see cref="ForcedRefreshInterval"/>.
/// Endorsements are read from the raw JWKS JSON because <see cref="JsonWebKey"/> does not model them.
/// </summary>
public sealed partial class OpenIdKeySet(string metadataUrl, IHttpClientFactory httpFactory, TimeProvider time, ILogger log)
{
    public const string HttpClientName = "OpsBot.BotFramework.OpenIdMetadata";
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromHours(12);
    public static readonly TimeSpan ForcedRefreshInterval = TimeSpan.FromMinutes(5);
    /// <summary>With no key set at all, failed fetches are retried at most this often.</summary>
    public static readonly TimeSpan FailedFetchBackoff = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private KeySnapshot? _current;
    private Task? _inflight;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastForced = DateTimeOffset.MinValue;

    public string MetadataUrl { get; } = metadataUrl;

    /// <summary>The current key set, fetching it when missing or older than <see cref="RefreshInterval"/>; null when none could ever be fetched.</summary>
    public async Task<KeySnapshot?> GetAsync(CancellationToken ct)
    {
        var current = _current;
        var now = time.GetUtcNow();
        if (current is not null && now - current.FetchedAt < RefreshInterval) return current;
        if (now - _lastAttempt < FailedFetchBackoff) return current;
        if (current is not null)
        {
            // Stale: one caller refreshes, everyone keeps validating with the last good set meanwhile.
            _ = RefreshAsync();
            return current;
        }
        await RefreshAsync().WaitAsync(ct);
        return _current;
    }

    /// <summary>A token named a <c>kid</c> we do not know: refresh once, unless a forced refresh happened in the last 5 minutes.</summary>
    public async Task<KeySnapshot?> RefreshForUnknownKeyAsync(CancellationToken ct)
    {
        Task refresh;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_inflight is null && now - _lastForced < ForcedRefreshInterval) return _current;
            if (_inflight is null) _lastForced = now;
            refresh = StartRefreshLocked();
        }
        await refresh.WaitAsync(ct);
        return _current;
    }

    private Task RefreshAsync()
    {
        lock (_gate) return StartRefreshLocked();
    }

    private Task StartRefreshLocked() => _inflight ??= FetchAndStoreAsync();

    private async Task FetchAndStoreAsync()
    {
        await Task.Yield();
        try
        {
            _current = await FetchAsync();
            LogFetched(MetadataUrl, _current.Keys.Count);
        }
        catch (Exception ex)
        {
            // Whatever went wrong (network, timeout, malformed documents), validation goes on with the last good set.
            LogFetchFailed(ex, MetadataUrl, _current is not null);
        }
        finally
        {
            lock (_gate)
            {
                _lastAttempt = time.GetUtcNow();
                _inflight = null;
            }
        }
    }

    private async Task<KeySnapshot> FetchAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var http = httpFactory.CreateClient(HttpClientName);
        string jwksUri;
        using (var metadata = JsonDocument.Parse(await http.GetStringAsync(MetadataUrl, timeout.Token)))
        {
            jwksUri = metadata.RootElement.TryGetProperty("jwks_uri", out var u) && u.ValueKind == JsonValueKind.String
                ? u.GetString()!
                : throw new InvalidOperationException("OpenID metadata has no jwks_uri.");
        }
        using var jwks = JsonDocument.Parse(await http.GetStringAsync(jwksUri, timeout.Token));
        if (!jwks.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            throw new InvalidOperationException("JWKS document has no keys array.");

        var result = new Dictionary<string, EndorsedKey>(StringComparer.Ordinal);
        foreach (var raw in keys.EnumerateArray())
        {
            if (raw.ValueKind != JsonValueKind.Object) continue;
            var kid = Text(raw, "kid");
            if (kid is null || Text(raw, "kty") != "RSA" || Text(raw, "n") is null || Text(raw, "e") is null) continue;
            var endorsements = raw.TryGetProperty("endorsements", out var e) && e.ValueKind == JsonValueKind.Array
                ? e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToArray()
                : [];
            result[kid] = new EndorsedKey(new JsonWebKey(raw.GetRawText()), endorsements);
        }
        return new KeySnapshot(result, time.GetUtcNow());
    }

    private static string? Text(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched {KeyCount} signing keys from {MetadataUrl}")]
    private partial void LogFetched(string metadataUrl, int keyCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching signing keys from {MetadataUrl} failed (keeping last good set: {HaveKeys})")]
    private partial void LogFetchFailed(Exception ex, string metadataUrl, bool haveKeys);
}
