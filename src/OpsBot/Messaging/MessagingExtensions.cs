using OpsBot.Settings;

namespace OpsBot.Messaging;

public static class MessagingExtensions
{
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MessagingOptions>(configuration, MessagingOptions.Section)
            .Validate(o => o.InstanceTimeout >= 4 * o.HeartbeatInterval,
                "Messaging:InstanceTimeout must be at least 4 × Messaging:HeartbeatInterval (an instance stops sending after half of it without a heartbeat).")
            .Validate(o => o.RateSafetyFactor is > 0 and <= 1, "Messaging:RateSafetyFactor must be in (0, 1].")
            .Validate(o => o.BackoffCap >= o.BackoffBase, "Messaging:BackoffCap must not be shorter than Messaging:BackoffBase.");
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }
}
