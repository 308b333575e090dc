using Microsoft.EntityFrameworkCore.Diagnostics;
using OpsBot.Conversations;

namespace OpsBot.People;

public static class PeopleExtensions
{
    public static IServiceCollection AddPeople(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<DirectoryOptions>(configuration.GetSection(DirectoryOptions.Section));
        services.AddScoped<ExecutiveDirectory>();
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
