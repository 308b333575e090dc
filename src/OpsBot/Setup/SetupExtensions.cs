using OpsBot.Conversations;

namespace OpsBot.Setup;

public static class SetupExtensions
{
    /// <summary>First run: the first installer becomes admin, the <c>setup</c> card, and (Development only) the demo.</summary>
    public static IServiceCollection AddSetup(this IServiceCollection services, IHostEnvironment environment)
    {
        var demo = environment.IsDevelopment();
        services.AddSingleton(new DemoPerson(demo));
        services.AddScoped<FirstRun>();
        services.AddScoped<SetupHandlers>();
        if (demo) services.AddHostedService<DemoSeeder>();
        services.AddBotRoutes(r => r
            .Command<SetupHandlers>("setup", "What OpsBot still needs, with a button per gap (admins)", (h, t, a, ct) => h.ShowAsync(t, ct))
            .Verb<SetupHandlers>("setup.customer", (h, t, d, ct) => h.AddCustomerAsync(t, d, ct))
            .Verb<SetupHandlers>("setup.executives", (h, t, d, ct) => h.ExecutivesAsync(t, d, ct))
            .Verb<SetupHandlers>("setup.route", (h, t, d, ct) => h.RouteHereAsync(t, d, ct))
            .Verb<SetupHandlers>("setup.roles", (h, t, d, ct) => h.RolesAsync(t, d, ct))
            .Verb<SetupHandlers>("setup.refresh", (h, t, d, ct) => h.RefreshAsync(t, ct)));
        return services;
    }
}
