using OpsBot.BotFramework;
using OpsBot.Settings;

namespace OpsBot.Conversations;

public static class ConversationsExtensions
{
    /// <summary>The router, conversation references, the built-in commands and the durable redelivery record (with its hourly purge).</summary>
    public static IServiceCollection AddConversations(this IServiceCollection services)
    {
        services.AddValidatedOptions<BotOptions>(BotOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DefaultServiceUrl), "Bot:DefaultServiceUrl must not be empty.");
        services.AddSingleton<ConversationReferenceCache>();
        services.AddScoped<ConversationReferences>();
        services.AddSingleton<BotRouter>();
        services.AddSingleton<IBot>(sp => sp.GetRequiredService<BotRouter>());
        services.AddBotRoutes(r => r.Command("help", "Show what OpsBot can do", (turn, _, ct) => HelpHandlers.SendHelpAsync(turn, r, null, ct))
            .Command("ping", "Answer pong (health and load checks)", (turn, _, ct) => turn.SendTextAsync("pong", ct), hidden: true));
        services.AddSingleton<InboundActivityWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<InboundActivityWriter>());
        services.AddScoped<IInboundActivityLog, StoredInboundActivityLog>();
        services.AddHostedService<ProcessedActivityCleanup>();
        return services;
    }
}
