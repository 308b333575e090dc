using OpsBot.Conversations;

namespace OpsBot.Metrics;

public static class DigestExtensions
{
    /// <summary>Scheduled digests: the scheduler, their content and <c>digest list | preview</c>.</summary>
    public static IServiceCollection AddDigests(this IServiceCollection services)
    {
        services.AddScoped<DigestContentBuilder>();
        services.AddScoped<DigestHandlers>();
        services.AddSingleton<DigestScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<DigestScheduler>());
        services.AddBotRoutes(r => r
            .Command<DigestHandlers>("digest", "Scheduled digests: digest list, digest preview <name>", (h, t, a, ct) => h.RunAsync(t, a, ct), usage: DigestHandlers.Usage));
        return services;
    }
}
