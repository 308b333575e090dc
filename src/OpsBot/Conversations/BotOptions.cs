using OpsBot.Settings;

namespace OpsBot.Conversations;

/// <summary>Section <c>Bot</c>: OpsBot's own bot settings used by the feature areas (the protocol layer reads its own keys there too).</summary>
public sealed class BotOptions
{
    public const string Section = "Bot";

    /// <summary>Connector endpoint for proactive messages to a tenant OpsBot has not heard from yet.</summary>
    [AbsoluteUrl]
    public string DefaultServiceUrl { get; set; } = "https://smba.trafficmanager.net/teams/";

    /// <summary>How long an inbound activity's id is kept to recognise Teams' redeliveries.</summary>
    [Positive]
    public TimeSpan ProcessedActivityRetention { get; set; } = ProcessedActivityCleanup.DefaultRetention;
}
