using OpsBot.Conversations;
using OpsBot.Settings;

namespace OpsBot.Metrics;

public static class MetricsExtensions
{
    /// <summary>Customer-centric metrics (<c>metrics</c>, <c>GET /api/metrics.csv</c>), kudos, download links for cards, and the scheduled digests.</summary>
    public static IServiceCollection AddMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MetricsOptions>(configuration, MetricsOptions.Section);
        services.AddHttpContextAccessor();
        services.AddSingleton<PublicAddress>();
        services.AddScoped<MetricsService>();
        services.AddScoped<DownloadLinks>();
        services.AddScoped<MetricsHandlers>();
        services.AddBotRoutes(r => r
            .Command<MetricsHandlers>("metrics", "Customer-centric metrics with trends and charts: metrics me, metrics team <name> last month", (h, t, a, ct) => h.ShowAsync(t, a, ct), usage: MetricsHandlers.Usage)
            .Command<MetricsHandlers>("kudos", "Thank someone for a customer result: kudos @person <reason> for ESC-12", (h, t, a, ct) => h.KudosAsync(t, a, ct), usage: MetricsHandlers.KudosUsage));
        services.AddDigests();
        return services;
    }

    public static WebApplication MapDownloads(this WebApplication app)
    {
        app.MapGet("/downloads/{token}", DownloadLinks.DownloadAsync).ExcludeFromDescription();
        return app;
    }
}
