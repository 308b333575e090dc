using Microsoft.EntityFrameworkCore;
using OpsBot.Data;

namespace OpsBot.Hosting;

/// <summary>Verbs run instead of the web host: <c>migrate</c>, <c>package</c>.</summary>
public static class Cli
{
    public static async Task<bool> TryRunAsync(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-')) return false;
        switch (args[0])
        {
            case "migrate":
                await MigrateAsync(args[1..]);
                return true;
            default:
                return false;
        }
    }

    private static async Task MigrateAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddOrderStore();
        await using var app = builder.Build();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
        Console.WriteLine(pending.Count == 0 ? "The database is up to date." : $"Applying {pending.Count} migration(s): {string.Join(", ", pending)}");
        await db.Database.MigrateAsync();
        Console.WriteLine("Done.");
    }
}
