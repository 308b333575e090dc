using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Data;

namespace OpsBot.People;

/// <summary>Reads and edits the executive directory table.</summary>
public sealed class ExecutiveDirectory(OpsBotDbContext db, TimeProvider time, IOptions<PeopleOptions> options)
{
    public PeopleOptions Options => options.Value;

    public Task<List<Executive>> AllAsync(CancellationToken ct) =>
        db.Executives.Include(e => e.Sponsorships).Include(e => e.Delegates).Include(e => e.TimeOff)
            .AsSplitQuery().Where(e => e.Active).OrderBy(e => e.Id).ToListAsync(ct);

    public Task<Executive?> FindAsync(string idOrName, CancellationToken ct)
    {
        var key = idOrName.Trim();
        var lower = key.ToLowerInvariant();
        return db.Executives.Include(e => e.Sponsorships).Include(e => e.Delegates).Include(e => e.TimeOff).AsSplitQuery()
            .FirstOrDefaultAsync(e => e.Id == key || e.Id.ToLower() == lower || e.DisplayName.ToLower() == lower || e.UserId == key || e.AadObjectId == key, ct);
    }

    /// <summary>Executives the user acts for: as the executive, or as one of their delegates.</summary>
    public async Task<List<Executive>> ActingForAsync(string? userId, string? aadObjectId, CancellationToken ct) =>
        (await AllAsync(ct)).Where(e => e.Is(userId, aadObjectId) || e.IsDelegate(userId, aadObjectId)).ToList();

    public DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    /// <summary>Inserts configured executives that are not in the table yet; admin edits made later are kept.</summary>
    public async Task SeedAsync(CancellationToken ct)
    {
        if (Options.Executives.Count == 0) return;
        var existing = await db.Executives.Select(e => e.Id).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var seed in Options.Executives.Where(s => !string.IsNullOrWhiteSpace(s.Id) && !existing.Contains(s.Id)))
        {
            db.Executives.Add(new Executive
            {
                Id = seed.Id,
                DisplayName = string.IsNullOrWhiteSpace(seed.Name) ? seed.Id : seed.Name,
                UserId = seed.UserId,
                AadObjectId = seed.AadObjectId,
                Email = seed.Email,
                MonthlyCapacity = seed.MonthlyCapacity,
                BackupExecutiveId = seed.Backup,
                Source = DirectorySource.Config,
                UpdatedAt = now,
                Sponsorships = seed.Sponsors.Select(a => new ExecutiveSponsorship { ExecutiveId = seed.Id, Account = a }).ToList(),
                Delegates = seed.Delegates.Select(d => new ExecutiveDelegate { ExecutiveId = seed.Id, UserId = d }).ToList(),
                TimeOff = seed.TimeOff.Select(t => new ExecutiveTimeOff { ExecutiveId = seed.Id, From = t.From, To = t.To }).ToList(),
            });
        }
        await db.SaveChangesAsync(ct);
    }
}

/// <summary>Seeds the directory table from configuration at start-up (after migrations).</summary>
public sealed partial class DirectorySeeder(IServiceScopeFactory scopes, ILogger<DirectorySeeder> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            await scope.ServiceProvider.GetRequiredService<ExecutiveDirectory>().SeedAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException || ex.InnerException is System.Data.Common.DbException)
        {
            LogSeedFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not seed the executive directory from configuration (is the database migrated?)")]
    private partial void LogSeedFailed(Exception ex);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
