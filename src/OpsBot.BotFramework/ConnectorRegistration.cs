using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OpsBot.BotFramework.Auth;
using OpsBot.BotFramework.Connector;

namespace OpsBot.BotFramework;

public static class ConnectorRegistration
{
    /// <summary>
    /// The outbound half: <see cref="ConnectorClient"/> behind token handler → rate limiter → resilience pipeline → attempt
    /// tracker (the token is fetched before a slot is taken, so a token request never squeezes the spacing of paced sends),
    /// credentials from the configuration root, options from <c>Bot:Connector</c> and <c>Bot:RateLimits</c>.
    /// </summary>
    public static IServiceCollection AddBotConnector(this IServiceCollection services)
    {
        services.TryAddKeyedSingleton(ConnectorClient.ClockKey, TimeProvider.System);
        services.AddOptions<ConnectorOptions>().BindConfiguration("Bot:Connector");
        services.AddOptions<RateLimitOptions>().BindConfiguration("Bot:RateLimits");
        services.TryAddSingleton(sp => BotAuthenticationOptions.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton(sp => BotCredentials.From(sp.GetRequiredService<BotAuthenticationOptions>(),
            sp.GetRequiredService<IConfiguration>().GetValue("ValidateAuthority", true)));
        services.TryAddSingleton(sp => CreateTrustedServiceUrls(sp.GetRequiredService<IConfiguration>(), sp.GetService<IHostEnvironment>()));
        services.TryAddSingleton<ConnectorTokenProvider>();
        services.TryAddSingleton<ConnectorRateLimiter>();
        services.TryAddTransient<ConnectorRateLimitHandler>();
        services.TryAddTransient<ConnectorAuthHandler>();
        services.TryAddTransient<ConnectorAttemptHandler>();

        services.AddHttpClient(ConnectorTokenProvider.HttpClientName);
        var connector = services.AddHttpClient<ConnectorClient>(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddHttpMessageHandler<ConnectorAuthHandler>()
            .AddHttpMessageHandler<ConnectorRateLimitHandler>();
        connector.AddResilienceHandler("connector", ConnectorPipeline.Configure);
        connector.AddHttpMessageHandler<ConnectorAttemptHandler>();
        return services;
    }

    /// <summary>Default host suffixes plus <c>Bot:TrustedServiceUrlHosts</c>; loopback and http only in Development or Testing.</summary>
    public static TrustedServiceUrls CreateTrustedServiceUrls(IConfiguration config, IHostEnvironment? environment)
    {
        var configured = BotAuthenticationOptions.ReadList(config, "Bot:TrustedServiceUrlHosts");
        var loopback = environment is not null && (environment.IsDevelopment() || environment.IsEnvironment("Testing"));
        return new TrustedServiceUrls(TrustedServiceUrls.DefaultHostSuffixes.Concat(configured), loopback);
    }
}
