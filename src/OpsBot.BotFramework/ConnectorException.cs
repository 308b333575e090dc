using System.Net;

namespace OpsBot.BotFramework;

/// <summary>
/// A connector call that failed after the retries the protocol allows (protocol doc §4.4).
/// <see cref="Code"/> is the connector's error code (e.g. <c>ConversationBlockedByUser</c>), <see cref="SubCode"/> the nested one (e.g. <c>MessageWritesBlocked</c>).
/// Transport failures and timeouts carry 503/504 with code <c>TransportError</c>/<c>Timeout</c> and the original exception inside.
/// </summary>
public sealed class ConnectorException(HttpStatusCode status, string? code, string? subCode, string message, TimeSpan? retryAfter = null, Exception? innerException = null)
    : Exception(message, innerException)
{
    public const string TimeoutCode = "Timeout";
    public const string TransportErrorCode = "TransportError";
    /// <summary>Refused before any request: with authentication off the serviceUrl is neither loopback nor an allow-listed host (status 400).</summary>
    public const string UntrustedServiceUrlCode = "UntrustedServiceUrl";

    public HttpStatusCode Status { get; } = status;
    public string? Code { get; } = code;
    public string? SubCode { get; } = subCode;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>
    /// True when a non-idempotent POST failed in a way that does not prove it was rejected (5xx, timeout, connection lost
    /// after sending): the message may have been delivered, so a blind re-send can duplicate it (protocol doc §4.5).
    /// </summary>
    public bool MayHaveBeenDelivered { get; init; }

    /// <summary>412, 429, 502, 503, 504: worth another attempt later.</summary>
    public bool IsTransient => (int)Status is 412 or 429 or 502 or 503 or 504;

    /// <summary>The recipient can no longer be reached (uninstalled, blocked, gone): stop sending there.</summary>
    public bool RecipientUnreachable => Status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound;
}
