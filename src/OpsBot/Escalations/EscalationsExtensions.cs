using OpsBot.Conversations;
using OpsBot.Messaging;
using OpsBot.Settings;

namespace OpsBot.Escalations;

public static class EscalationsExtensions
{
    public static IServiceCollection AddEscalations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<EscalationOptions>(configuration, EscalationOptions.Section)
            .Validate(o => o.BusinessHours.Start < o.BusinessHours.End, "Escalations:BusinessHours:Start must be before Escalations:BusinessHours:End.")
            .Validate(o => TimeZoneInfo.TryFindSystemTimeZoneById(o.BusinessHours.TimeZone, out _),
                "Escalations:BusinessHours:TimeZone is not a known IANA or Windows time zone id.");
        services.AddSingleton<BusinessCalendar>();
        services.AddScoped<EscalationAssigner>();
        services.AddScoped<CustomerHistory>();
        services.AddScoped<EscalationCards>();
        services.AddScoped<EscalationService>();
        services.AddLiveCardSource<EscalationCardSource>();
        services.AddScoped<EscalationSla>();
        services.AddScoped<EscalationReports>();
        services.AddScoped<EscalationHandlers>();
        services.AddHostedService<EscalationScheduler>();
        services.AddBotRoutes(r =>
        {
            r.Command<EscalationHandlers>("escalate", "Escalate a customer complaint to an executive", (h, turn, args, ct) => h.StartAsync(turn, args, ct), usage: "escalate [account]")
             .Command<EscalationHandlers>("my escalations", "Your escalations: status, owner, last action", (h, turn, args, ct) => h.MineAsync(turn, args, ct))
             .Command<EscalationHandlers>("escalation", "Show one escalated complaint", (h, turn, args, ct) => h.ShowAsync(turn, args, ct), usage: "escalation ESC-<number>")
             .Command<EscalationHandlers>("escalations report", "Monthly escalation report (leadership)", (h, turn, args, ct) => h.ReportAsync(turn, args, ct), usage: "escalations report [yyyy-MM]")
             .Verb<EscalationHandlers>("escalation.start", (h, turn, data, ct) => h.StartFromCardAsync(turn, data, ct))
             .Verb<EscalationHandlers>("escalation.submit", (h, turn, data, ct) => h.SubmitAsync(turn, data, ct))
             .MessageAction("escalateMessage",
                 (turn, value, ct) => turn.GetService<EscalationHandlers>().FetchTaskAsync(turn, value, ct),
                 (turn, value, ct) => turn.GetService<EscalationHandlers>().SubmitActionAsync(turn, value, ct));
            foreach (var verb in new[] { "escalation.view", "escalation.ack", "escalation.contact", "escalation.resolve", "escalation.reassign", "escalation.ask", "escalation.info" })
                r.Verb<EscalationHandlers>(verb, (h, turn, data, ct) => h.ActAsync(verb, turn, data, ct));
        });
        return services;
    }
}
