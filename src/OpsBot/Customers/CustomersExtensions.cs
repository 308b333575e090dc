using OpsBot.Conversations;
using OpsBot.Settings;

namespace OpsBot.Customers;

public static class CustomersExtensions
{
    public static IServiceCollection AddCustomers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<CustomerOptions>(configuration, CustomerOptions.Section);
        services.AddScoped<CustomerAccess>();
        services.AddScoped<AccountAdmin>();
        services.AddHostedService<AccountSeeder>();
        services.AddBotRoutes(r => r
            .Command<AccountAdmin>("account", "Manage accounts (admins)", (h, t, a, ct) => h.RunAsync(t, a, ct), usage: AccountAdmin.Usage, hidden: true));
        return services;
    }
}
