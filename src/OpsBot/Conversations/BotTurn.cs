using System.Text.Json.Nodes;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;

namespace OpsBot.Conversations;

/// <summary>The application's view of one turn: who is asking, where, and how to answer with text or cards.</summary>
public sealed class BotTurn(TurnContext context, IServiceProvider services, CardTemplates cards)
{
    public TurnContext Context { get; } = context;
    public Activity Activity => Context.Activity;
    public IServiceProvider Services { get; } = services;
    public CardTemplates Cards { get; } = cards;

    /// <summary>The Teams user id (<c>29:…</c>) of the sender.</summary>
    public string UserId => Activity.From?.Id ?? string.Empty;
    public string? UserAadObjectId => Activity.From?.AadObjectId;
    public string UserName => Activity.From?.Name ?? UserId;
    public string? TenantId => Activity.TenantId;
    public string ConversationId => Activity.Conversation?.Id ?? string.Empty;

    /// <summary>People (or tags) mentioned in the message other than the bot, e.g. the executive in "escalate 4711 to @Exec".</summary>
    public IReadOnlyList<ChannelAccount> Mentions =>
        (Activity.Entities ?? []).Where(e => e.Type == "mention" && e.Mentioned?.Id is { } id && id != Activity.Recipient?.Id)
            .Select(e => e.Mentioned!).ToList();

    public T GetService<T>() where T : notnull => Services.GetRequiredService<T>();

    public Task<ResourceResponse> SendTextAsync(string text, CancellationToken ct = default) =>
        Context.SendActivityAsync(Activity.CreateMessage(text), ct);

    /// <summary>Renders <paramref name="template"/> from <c>cards/</c> with <paramref name="model"/> and sends it.</summary>
    public Task<ResourceResponse> SendCardAsync(string template, object model, string? summary = null, CancellationToken ct = default) =>
        Context.SendActivityAsync(new Activity
        {
            Type = ActivityTypes.Message,
            Summary = summary,
            Attachments = [Attachment.AdaptiveCard(Cards.Render(template, model))],
        }, ct);

    public JsonObject Card(string template, object model) => Cards.Render(template, model);

    /// <summary>An <c>adaptiveCard/action</c> answer that replaces the clicked card with <paramref name="template"/>.</summary>
    public InvokeResponse CardResponse(string template, object model) => AdaptiveCardInvoke.Card(Cards.Render(template, model));
}
