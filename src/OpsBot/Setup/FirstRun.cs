using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Setup;

/// <summary>
/// What a turn does for a new OpsBot: the installer becomes the first admin (<see cref="AdminCheck.ClaimFirstAdminAsync"/>), and in
/// Development the first person who talks to it becomes the demo's person (<see cref="DemoData.ClaimAsync"/>).
/// </summary>
public sealed class FirstRun(OpsBotDbContext db, AdminCheck admins, DemoPerson demo, TimeProvider time)
{
    public async Task OnTurnAsync(string? userId, string? aadObjectId, string? name, string? tenantId, bool installed, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(userId)) return;
        if (demo.Enabled && !demo.Settled)
        {
            // The demo's person first: the admin it makes is the demo's, removed by `demo reset`.
            await DemoData.ClaimAsync(db, new PersonRef(userId, aadObjectId), name, time.GetUtcNow().UtcDateTime, ct);
            demo.Settled = true;
        }
        if (installed) await admins.ClaimFirstAdminAsync(userId, aadObjectId, name, tenantId, ct);
    }
}

/// <summary>Whether the Development demo still waits for its person (a turn asks the store only until it has one).</summary>
public sealed class DemoPerson(bool enabled)
{
    public bool Enabled { get; } = enabled;
    public volatile bool Settled;
}

/// <summary>Seeds the Development demo at start-up into an empty store (<see cref="DemoData.SeedAsync"/>).</summary>
public sealed partial class DemoSeeder(IServiceScopeFactory scopes, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<DemoSeeder> log)
    : StartupSeeder(scopes, time, lifetime, log)
{
    protected override string What => "the Development demo";

    protected override async Task SeedAsync(OpsBotDbContext db, DateTime now, CancellationToken ct)
    {
        if (await DemoData.SeedAsync(db, now, ct)) LogSeeded();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Empty store in Development: seeded the demo (ACME-001, GLOBEX-002, INITECH-003, an alert route). The first person to message OpsBot becomes its admin, executive, role owner and alert recipient. Remove it with `OpsBot demo reset`.")]
    private partial void LogSeeded();
}
