using OpsBot.Conversations;
using OpsBot.Settings;

namespace OpsBot.Customers;

public static class CustomersExtensions
{
    public static IServiceCollection AddCustomers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<CustomerOptions>(configuration, CustomerOptions.Section);
        services.AddScoped<CustomerAccess>();
        services.AddScoped<CustomerAdmin>();
        services.AddScoped<CustomerResolver>();
        services.AddScoped<CustomerSearch>();
        services.AddScoped<CustomerHandlers>();
        services.AddScoped<CustomerImport>();
        services.AddScoped<CustomerDuplicates>();
        services.AddScoped<CustomerMerges>();
        services.AddScoped<CustomerMergeHandlers>();
        services.AddHostedService<CustomerSeeder>();
        services.AddBotRoutes(r => r
            .Command<CustomerHandlers>("customer", "Everything about a customer: commitments, complaints, alerts, KPIs", (h, t, a, ct) => h.ShowAsync(t, a, ct), usage: CustomerHandlers.Usage)
            .Command<CustomerAdmin>("account", "Manage accounts (admins)", (h, t, a, ct) => h.RunAsync(t, a, ct), usage: CustomerAdmin.Usage, hidden: true)
            .Command<CustomerMergeHandlers>("customer duplicates", "Propose merges of duplicate customers (admins)", (h, t, a, ct) => h.DuplicatesAsync(t, a, ct), hidden: true)
            .Command<CustomerMergeHandlers>("customer merge", "Merge a duplicate customer into another (admins)", (h, t, a, ct) => h.MergeAsync(t, a, ct), usage: CustomerMergeHandlers.MergeUsage, hidden: true)
            .Command<CustomerMergeHandlers>("customer unmerge", "Undo a customer merge exactly (admins)", (h, t, a, ct) => h.UnmergeAsync(t, a, ct), usage: CustomerMergeHandlers.UnmergeUsage, hidden: true)
            .Verb<CustomerMergeHandlers>("customer.merge", (h, t, d, ct) => h.MergeFromCardAsync(t, d, ct))
            .Search<CustomerSearch>(CustomerSearch.Dataset, (h, t, q, skip, top, ct) => h.SearchAsync(t, q, skip, top, ct)));
        return services;
    }
}
