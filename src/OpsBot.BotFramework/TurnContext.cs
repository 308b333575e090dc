using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework;

/// <summary>One inbound activity being processed, and the ways to answer it.</summary>
public sealed class TurnContext(Activity activity, ConnectorClient connector, CallerIdentity caller)
{
    private readonly List<Activity> _buffered = [];

    public Activity Activity { get; } = activity;
    public CallerIdentity Caller { get; } = caller;
    public ConnectorClient Connector { get; } = connector;

    /// <summary>Set by the handler of an invoke; null means "no handler" (501).</summary>
    public InvokeResponse? InvokeResponse { get; set; }

    /// <summary>True when the caller asked for replies in the HTTP answer instead of connector calls.</summary>
    public bool ExpectReplies => string.Equals(Activity.DeliveryMode, DeliveryModes.ExpectReplies, StringComparison.Ordinal);

    public IReadOnlyList<Activity> BufferedReplies => _buffered;

    /// <summary>Sends an activity into the conversation of this turn (a reply when the inbound one has an id).</summary>
    public async Task<ResourceResponse> SendActivityAsync(Activity reply, CancellationToken cancellationToken = default)
    {
        ApplyConversation(reply);
        if (ExpectReplies)
        {
            lock (_buffered) _buffered.Add(reply);
            return new ResourceResponse { Id = string.Empty };
        }
        return await Connector.SendToConversationAsync(Activity.ServiceUrl!, reply, cancellationToken);
    }

    public Task<ResourceResponse> UpdateActivityAsync(Activity updated, CancellationToken cancellationToken = default)
    {
        ApplyConversation(updated);
        return Connector.UpdateActivityAsync(Activity.ServiceUrl!, updated, cancellationToken);
    }

    public Task DeleteActivityAsync(string activityId, CancellationToken cancellationToken = default) =>
        Connector.DeleteActivityAsync(Activity.ServiceUrl!, Activity.Conversation!.Id!, activityId, cancellationToken);

    public ConversationReference GetConversationReference() => new()
    {
        ActivityId = Activity.Id,
        User = Activity.From,
        Bot = Activity.Recipient,
        Conversation = Activity.Conversation,
        ChannelId = Activity.ChannelId,
        ServiceUrl = Activity.ServiceUrl,
        Locale = Activity.Locale,
    };

    private void ApplyConversation(Activity a)
    {
        a.Type ??= ActivityTypes.Message;
        a.ChannelId ??= Activity.ChannelId;
        a.Conversation ??= Activity.Conversation;
        a.From ??= Activity.Recipient;
        a.Recipient ??= Activity.From;
        if (a.ReplyToId is null && Activity.Id is not null && a.Type == ActivityTypes.Message) a.ReplyToId = Activity.Id;
    }
}

/// <summary>Who sent the inbound activity, as established by authentication.</summary>
public sealed record CallerIdentity(bool IsAuthenticated, string? CallerId, string? AppId)
{
    public static readonly CallerIdentity Anonymous = new(false, null, null);
}
