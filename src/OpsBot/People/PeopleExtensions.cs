using Microsoft.EntityFrameworkCore.Diagnostics;
using OpsBot.Conversations;
using OpsBot.Settings;

namespace OpsBot.People;

public static class PeopleExtensions
{
    public static IServiceCollection AddPeople(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<PeopleOptions>(configuration, PeopleOptions.Section)
            .Validate(o => o.Directory.Source != DirectorySource.Graph || new[] { o.Directory.Graph.TenantId, o.Directory.Graph.ClientId, o.Directory.Graph.ClientSecret, o.Directory.Graph.GroupId }.All(v => !string.IsNullOrWhiteSpace(v)),
                "People:Directory:Graph:TenantId, ClientId, ClientSecret and GroupId are required when People:Directory:Source is Graph.")
            .Validate(o => o.Executives.GroupBy(e => e.Id, StringComparer.OrdinalIgnoreCase).All(g => g.Count() == 1),
                "People:Executives lists an executive Id twice.");
        services.AddScoped<ExecutiveDirectory>();
        services.AddScoped<AdminCheck>();
        services.AddSingleton<DirectoryCache>();
        services.AddSingleton<IInterceptor, DirectoryCache.Invalidation>();
        services.AddScoped<GraphDirectorySync>();
        services.AddScoped<DirectoryHandlers>();
        services.AddHttpClient(GraphDirectorySync.IdentityClient);
        services.AddHttpClient(GraphDirectorySync.GraphClient);
        services.AddHostedService<DirectorySeeder>();
        services.AddHostedService<GraphDirectorySyncService>();
        services.AddBotRoutes(r => r
            .Command<DirectoryHandlers>("exec", "Executive directory (admins: add, away, sponsor, delegate, backup, sync)",
                (h, turn, args, ct) => h.ExecAsync(turn, args, ct), usage: "exec list | exec add <id> <user id> <cap> <name> | exec away <exec> <from> <to> | exec sponsor <exec> <account>"));
        return services;
    }
}
