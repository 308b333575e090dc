using System.ComponentModel.DataAnnotations;

namespace OpsBot.Boards;

/// <summary><c>Boards</c>: live boards for TV monitors, the Teams tab and other displays.</summary>
public sealed class BoardOptions
{
    /// <summary>Open streams (TV pages, tabs, API clients) at most; more are answered 503. Each needs one socket (mind <c>ulimit -n</c>).</summary>
    [Range(1, 1_000_000)]
    public int MaxStreams { get; set; } = 10_000;

    /// <summary>Events a stream may have unsent before it is dropped (its client reconnects to a fresh snapshot).</summary>
    [Range(1, 64)]
    public int StreamBuffer { get; set; } = 4;

    /// <summary>How long the feed waits after a change for the rest of its burst.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>Every watched board is re-read this often even without a change: ages and SLA clocks move, other instances write.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A comment line on every stream this often, so proxies keep idle streams open and dead clients are noticed.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long each page of a long list stays on screen before the next.</summary>
    [Range(3, 600)]
    public int RotateSeconds { get; set; } = 12;

    /// <summary>IANA time zone of the clock and times shown on the boards.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Teams tab single sign-on (<c>Boards:Tab</c>).</summary>
    public BoardTabOptions Tab { get; set; } = new();
}

/// <summary>
/// The Teams tab identifies its viewer with a Teams SSO token (<c>authentication.getAuthToken</c>): an Entra ID token of
/// <see cref="TenantId"/> for <see cref="Audience"/> (<c>api://&lt;host&gt;/&lt;app id&gt;</c>, the manifest's
/// <c>webApplicationInfo.resource</c>). Both unset: the tab explains that sign-in is not configured.
/// </summary>
public sealed class BoardTabOptions
{
    public string? TenantId { get; set; }
    public string? Audience { get; set; }
    /// <summary>Override of the OpenID metadata document (private clouds, tests); default: the tenant's v2.0 document.</summary>
    public string? MetadataAddress { get; set; }
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(TenantId) && !string.IsNullOrWhiteSpace(Audience);
}
