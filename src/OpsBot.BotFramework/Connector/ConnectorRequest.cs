namespace OpsBot.BotFramework.Connector;

/// <summary>Per-request facts the connector handlers need (carried in <see cref="HttpRequestMessage.Options"/>).</summary>
public static class ConnectorRequest
{
    /// <summary>Rate-limit key of the conversation (or channel / user for creates); absent for reads.</summary>
    public static readonly HttpRequestOptionsKey<string> ConversationKey = new("OpsBot.Connector.Conversation");
    public static readonly HttpRequestOptionsKey<string> TenantKey = new("OpsBot.Connector.Tenant");
    public static readonly HttpRequestOptionsKey<ConnectorRetry> Retry = new("OpsBot.Connector.Retry");

    /// <summary>Set while a POST attempt has no answer yet and kept after a 5xx: the message may have arrived.</summary>
    internal static readonly HttpRequestOptionsKey<bool> PossiblyDeliveredKey = new("OpsBot.Connector.PossiblyDelivered");

    public static bool PossiblyDelivered(HttpRequestMessage request) =>
        request.Method == HttpMethod.Post && request.Options.TryGetValue(PossiblyDeliveredKey, out var possibly) && possibly;

    public static ConnectorRetry GetRetry(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(Retry, out var retry) ? retry : ConnectorRetry.All;

    public static (string? Conversation, string? Tenant) GetKeys(HttpRequestMessage? request)
    {
        if (request is null || !request.Options.TryGetValue(ConversationKey, out var conversation)) return (null, null);
        return (conversation, request.Options.TryGetValue(TenantKey, out var tenant) ? tenant : null);
    }
}
