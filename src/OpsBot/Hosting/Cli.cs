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
          import customers <file.csv> [--dry-run] [--partial]
                     create and update customers by number; reports every line; nothing is written on a dry run
                     or when a line is invalid, unless --partial
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
            case "import" when args.Length >= 2 && args[1] == "customers":
                return await ImportCustomersAsync(args[2..], output, error);
            case "import":
                error.WriteLine("Usage: OpsBot import customers <file.csv> [--dry-run] [--partial]");
                return 2;
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
        var builder = StoreBuilder(args);
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

    private static async Task<int> ImportCustomersAsync(string[] args, TextWriter output, TextWriter error)
    {
        var flags = args.Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToList();
        var files = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && !a.Contains('=')).ToList();
        var unknown = flags.Where(f => f is not ("--dry-run" or "--partial") && !f.Contains('=')).ToList();
        if (files.Count != 1 || unknown.Count > 0)
        {
            error.WriteLine(unknown.Count > 0 ? $"Unknown option {unknown[0]}." : "Give one CSV file.");
            error.WriteLine("Usage: OpsBot import customers <file.csv> [--dry-run] [--partial]");
            error.WriteLine($"Columns: {string.Join(",", Customers.CustomerCsv.Columns)} (number and name required; several values in one cell separated by ';').");
            return 2;
        }
        var path = Path.GetFullPath(files[0]);
        if (!File.Exists(path))
        {
            error.WriteLine($"No such file: {path}");
            return 2;
        }
        var builder = StoreBuilder(args.Where(a => a.Contains('=')).ToArray());
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.Configure<Customers.CustomerOptions>(builder.Configuration.GetSection(Customers.CustomerOptions.Section));
        builder.Services.AddScoped<Customers.CustomerAccess>();
        builder.Services.AddScoped<Customers.CustomerImport>();
        await using var app = builder.Build();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        await db.MigrateStoreAsync(CancellationToken.None);
        var by = new Customers.Viewer("cli:" + Environment.UserName, null, $"OpsBot CLI ({Environment.UserName})", Trusted: true);
        var summary = await scope.ServiceProvider.GetRequiredService<Customers.CustomerImport>().RunAsync(() => File.OpenRead(path),
            flags.Contains("--dry-run"), flags.Contains("--partial"), by, line =>
            {
                if (line.Outcome != Customers.ImportOutcome.Unchanged)
                    output.WriteLine($"line {line.Line}: {Outcome(line.Outcome)}{(line.Number is null ? "" : " " + line.Number)} — {line.Detail}");
                return ValueTask.CompletedTask;
            }, CancellationToken.None);
        output.WriteLine(summary.ToString());
        return summary.Invalid > 0 ? 1 : 0;
    }

    private static string Outcome(Customers.ImportOutcome outcome) => outcome switch
    {
        Customers.ImportOutcome.ProbableDuplicate => "probable duplicate",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    /// <summary>A host with the store only, for a verb: warnings and errors are logged, not every SQL statement.</summary>
    private static WebApplicationBuilder StoreBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddStore();
        return builder;
    }

    private static async Task MigrateAsync(string[] args)
    {
        var builder = StoreBuilder(args);
        await using var app = builder.Build();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
        Console.WriteLine(pending.Count == 0 ? "The database is up to date." : $"Applying {pending.Count} migration(s): {string.Join(", ", pending)}");
        await db.MigrateStoreAsync(CancellationToken.None);
        Console.WriteLine("Done.");
    }
}
