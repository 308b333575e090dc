using OpsBot.Conversations;
using OpsBot.Messaging;
using OpsBot.People;
using OpsBot.Settings;

namespace OpsBot.Commitments;

public static class CommitmentsExtensions
{
    public static IServiceCollection AddCommitments(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<CommitmentOptions>(configuration, CommitmentOptions.Section)
            .Validate(o => o.DueDays.Values.All(d => d >= 0), "Commitments:DueDays: a form cannot be due before the commitment (days must not be negative).")
            .Validate(o => o.Currencies.Count > 0 && o.Currencies.All(c => c.Length == 3 && c.All(char.IsAsciiLetterUpper)),
                "Commitments:Currencies must list ISO 4217 codes (three capital letters).")
            .Validate(o => o.ErpWebhook.RetryMax >= o.ErpWebhook.RetryBase, "Commitments:ErpWebhook:RetryMax must not be shorter than Commitments:ErpWebhook:RetryBase.");
        services.AddOptions<PeopleOptions>()
            .Validate(o => o.Roles.Keys.All(r => Enum.TryParse<OwnerRole>(r, ignoreCase: true, out _)),
                $"People:Roles names an unknown role; the roles are {string.Join(", ", Enum.GetNames<OwnerRole>())}.");
        services.AddScoped<CommitmentQueries>();
        services.AddScoped<CommitmentService>();
        services.AddScoped<CommitmentHandlers>();
        services.AddLiveCardSource<CommitmentSummarySource>();
        services.AddLiveCardSource<CommitmentFormTaskSource>();
        services.AddHostedService<CommitmentSeeder>();
        services.AddHostedService<OverdueScheduler>();
        services.AddHttpClient(nameof(ErpWebhookPusher), c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddHostedService<ErpWebhookPusher>();
        services.AddBotRoutes(r => r
            .Command<CommitmentHandlers>("commit", "Capture a customer commitment", (h, t, a, ct) => h.StartAsync(t, a, ct), usage: Shortcut.Usage)
            .Command<CommitmentHandlers>("new commitment", "Capture a customer commitment (empty form)", (h, t, a, ct) => h.StartAsync(t, a, ct))
            .Command<CommitmentHandlers>("my commitments", "Commitments you own or captured", (h, t, a, ct) => h.MyCommitmentsAsync(t, a, ct))
            .Command<CommitmentHandlers>("commitments for", "Commitments of an account", (h, t, a, ct) => h.ForAccountAsync(t, a, ct), usage: "commitments for <account>")
            .Command<CommitmentHandlers>("show", "Show a commitment", (h, t, a, ct) => h.ShowAsync(t, a, ct), usage: "show <opportunity id>")
            .Command<CommitmentHandlers>("history", "The trail of a commitment", (h, t, a, ct) => h.HistoryAsync(t, a, ct), usage: "history <opportunity id>")
            .Command<CommitmentHandlers>("enrich", "Add a fact to a commitment (never overwrites)", (h, t, a, ct) => h.EnrichAsync(t, a, ct),
                usage: "enrich <opportunity id> <ship-date|delivery|value|contact|note|…> <value>")
            .Command<CommitmentHandlers>("edit", "Edit a commitment's header", (h, t, a, ct) => h.EditAsync(t, a, ct), usage: "edit <opportunity id>")
            .Command<CommitmentHandlers>("my tasks", "Downstream forms waiting for you", (h, t, a, ct) => h.MyTasksAsync(t, a, ct))
            .Verb<CommitmentHandlers>("commitment.submit", (h, t, d, ct) => h.SubmitAsync(t, d, ct))
            .Verb<CommitmentHandlers>("commitment.show", (h, t, d, ct) => h.ShowVerbAsync(t, d, ct))
            .Verb<CommitmentHandlers>("commitment.history", (h, t, d, ct) => h.HistoryVerbAsync(t, d, ct))
            .Verb<CommitmentHandlers>("commitment.edit", (h, t, d, ct) => h.EditVerbAsync(t, d, ct))
            .Verb<CommitmentHandlers>("commitment.save", (h, t, d, ct) => h.SaveAsync(t, d, ct))
            .Verb<CommitmentHandlers>("commitment.page", (h, t, d, ct) => h.PageAsync(t, d, ct))
            .Verb<CommitmentHandlers>("commitment.form.confirm", (h, t, d, ct) => h.ConfirmFormAsync(t, d, ct)));
        return services;
    }
}
