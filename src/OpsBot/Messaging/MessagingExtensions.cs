namespace OpsBot.Messaging;

public static class MessagingExtensions
{
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MessagingOptions>().Bind(configuration.GetSection(MessagingOptions.Section))
            .Validate(o => o.InstanceTimeout >= 4 * o.HeartbeatInterval,
                "Messaging:InstanceTimeout must be at least 4 × Messaging:HeartbeatInterval (an instance stops sending after half of it without a heartbeat).")
            .Validate(o => o.PerTenantPerSecond > 0 && o.PerConversationPerSecond > 0 && o.RateSafetyFactor is > 0 and <= 1,
                "Messaging:PerTenantPerSecond and PerConversationPerSecond must be positive and RateSafetyFactor in (0, 1].")
            .ValidateOnStart();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }
}
