using OpsBot.Conversations;
using OpsBot.Events;
using OpsBot.Messaging;
using OpsBot.Settings;

namespace OpsBot.Alerts;

public static class AlertsExtensions
{
    public static IServiceCollection AddAlerts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<AlertOptions>(configuration, AlertOptions.Section)
            .Validate(o => o.Kpis.Values.All(k => k.Warning is null || k.Critical is null || (k.Direction == KpiDirection.Below ? k.Critical <= k.Warning : k.Critical >= k.Warning)),
                "Alerts:Kpis:<name>: the Critical level must be worse than the Warning level (lower for Direction Below, higher for Above).");
        services.AddScoped<AlertService>();
        services.AddScoped<KpiMonitor>();
        services.AddDomainEventHandler<AlertRequested, AlertRequestHandler>();
        services.AddScoped<AlertHandlers>();
        services.AddLiveCardSource<AlertCardSource>();
        services.AddLiveCardSource<RestrictedAlertCardSource>();
        services.AddSingleton<AlertTimers>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertTimers>());
        services.AddBotRoutes(r => r
            .Command<AlertHandlers>("alert", "Raise an interruption alert", (h, t, a, ct) => h.FormAsync(t, a, ct), usage: "alert [account]")
            .Command<AlertHandlers>("alert status", "Delivery status of an alert, per recipient", (h, t, a, ct) => h.StatusAsync(t, a, ct), usage: "alert status <id>")
            .Command<AlertHandlers>("alert plan", "Show and edit an alert's action plan", (h, t, a, ct) => h.PlanAsync(t, a, ct), usage: "alert plan <id>")
            .Command<AlertHandlers>("alert route", "List or edit alert routing rules (admins)", (h, t, a, ct) => h.RouteAsync(t, a, ct), usage: "alert route list|add|remove")
            .Command<AlertHandlers>("status", "Open alerts by account and severity", (h, t, a, ct) => h.OverviewAsync(t, a, ct))
            .Verb<AlertHandlers>("alert.create", (h, t, d, ct) => h.CreateAsync(t, d, ct))
            .Verb<AlertHandlers>("alert.ack", (h, t, d, ct) => h.AckAsync(t, d, ct))
            .Verb<AlertHandlers>("alert.own", (h, t, d, ct) => h.OwnAsync(t, d, ct))
            .Verb<AlertHandlers>("alert.update", (h, t, d, ct) => h.UpdateAsync(t, d, ct))
            .Verb<AlertHandlers>("alert.resolve", (h, t, d, ct) => h.ResolveAsync(t, d, ct))
            .Verb<AlertHandlers>("alert.plan.add", (h, t, d, ct) => h.AddStepAsync(t, d, ct))
            .Verb<AlertHandlers>("alert.plan.done", (h, t, d, ct) => h.StepDoneAsync(t, d, ct)));
        return services;
    }
}
