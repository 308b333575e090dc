using Microsoft.EntityFrameworkCore;
using OpsBot.Data;
using OpsBot.Setup;

namespace OpsBot.Hosting;

/// <summary>Verbs run instead of the web host: <c>migrate</c>, <c>package</c>, <c>demo reset</c>, <c>help</c>.</summary>
public static class Cli
{
    private const string Verbs = """
        OpsBot — run without a verb to start the bot (http://localhost:3978/api/messages).
        Verbs:
          migrate    apply pending database migrations (Database:Provider / Database:ConnectionString)
          demo reset remove everything the Development demo created (its customers, route, admin, executive, role owners)
          package    build the Teams app package zip: package --app-id <guid> --host <host> [--output <path>]
          help       show this list
        """;

    /// <summary>Runs a verb when the first argument is one (sets the exit code); false means "start the web host".</summary>
    public static async Task<bool> TryRunAsync(string[] args)
    {
        if (args.Length == 0 || args[0].Contains('=') || (args[0].StartsWith('-') && args[0] is not ("-h" or "--help"))) return false;
        Environment.ExitCode = await RunAsync(args, Console.Out, Console.Error);
        return true;
    }

    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        switch (args[0])
        {
            case "migrate":
                await MigrateAsync(args[1..]);
                return 0;
            case "demo" when args.Length >= 2 && args[1] == "reset":
                return await DemoResetAsync(args[2..], output);
            case "demo":
                error.WriteLine("Usage: OpsBot demo reset");
                return 2;
            case "package":
                return AppPackage.Run(args[1..], output, error);
            case "help" or "-h" or "--help":
                output.WriteLine(Verbs);
                return 0;
            default:
                error.WriteLine($"Unknown verb '{args[0]}'.");
                error.WriteLine(Verbs);
                return 2;
        }
    }

    private static async Task<int> DemoResetAsync(string[] args, TextWriter output)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddStore();
        await using var app = builder.Build();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        await db.MigrateStoreAsync(CancellationToken.None);
        var reset = await DemoData.ResetAsync(db, CancellationToken.None);
        output.WriteLine($"Removed {reset.Removed} demo row(s).");
        if (reset.KeptAccounts.Count > 0)
            output.WriteLine($"Kept {string.Join(", ", reset.KeptAccounts)}: commitments now refer to them.");
        return 0;
    }

    private static async Task MigrateAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddStore();
        await using var app = builder.Build();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
        Console.WriteLine(pending.Count == 0 ? "The database is up to date." : $"Applying {pending.Count} migration(s): {string.Join(", ", pending)}");
        await db.MigrateStoreAsync(CancellationToken.None);
        Console.WriteLine("Done.");
    }
}
