using OpsBot.Settings;

namespace OpsBot.Metrics;

public static class MetricsExtensions
{
    /// <summary>Metrics, recognition and the scheduled digests (<c>Metrics</c>).</summary>
    public static IServiceCollection AddMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MetricsOptions>(configuration, MetricsOptions.Section);
        services.AddDigests();
        return services;
    }
}
