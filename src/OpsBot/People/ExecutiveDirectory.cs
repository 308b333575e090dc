using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.People;

/// <summary>Reads and edits the executive directory table.</summary>
public sealed partial class ExecutiveDirectory(OpsBotDbContext db, TimeProvider time, IOptions<PeopleOptions> options, ILogger<ExecutiveDirectory> log)
{
    public PeopleOptions Options => options.Value;

    public Task<List<Executive>> AllAsync(CancellationToken ct) =>
        db.Executives.Include(e => e.Sponsorships).ThenInclude(s => s.Customer).Include(e => e.Delegates).Include(e => e.TimeOff)
            .AsSplitQuery().Where(e => e.Active).OrderBy(e => e.Id).ToListAsync(ct);

    public Task<Executive?> FindAsync(string idOrName, CancellationToken ct)
    {
        var key = idOrName.Trim();
        var lower = key.ToLowerInvariant();
        return db.Executives.Include(e => e.Sponsorships).ThenInclude(s => s.Customer).Include(e => e.Delegates).Include(e => e.TimeOff).AsSplitQuery()
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
        var sponsored = await SponsoredCustomersAsync(ct);
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
                Sponsorships = seed.Sponsors.Where(sponsored.ContainsKey).Select(a => new ExecutiveSponsorship { ExecutiveId = seed.Id, CustomerId = sponsored[a] }).DistinctBy(s => s.CustomerId).ToList(),
                Delegates = seed.Delegates.Select(d => new ExecutiveDelegate { ExecutiveId = seed.Id, UserId = d }).ToList(),
                TimeOff = seed.TimeOff.Select(t => new ExecutiveTimeOff { ExecutiveId = seed.Id, From = t.From, To = t.To }).ToList(),
            });
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The customers configured sponsors name (by number or name, any case); an unknown one is skipped with a warning.</summary>
    private async Task<Dictionary<string, int>> SponsoredCustomersAsync(CancellationToken ct)
    {
        var keys = Options.Executives.SelectMany(e => e.Sponsors).Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var found = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        if (keys.Count == 0) return found;
        var upper = keys.Select(k => k.ToUpperInvariant()).ToList();
        var lower = keys.Select(k => k.ToLowerInvariant()).ToList();
        var customers = await db.Customers.AsNoTracking().Where(c => upper.Contains(c.Number) || lower.Contains(c.Name.ToLower()))
            .Select(c => new { c.Id, c.Number, c.Name }).ToListAsync(ct);
        foreach (var key in keys)
        {
            var match = customers.FirstOrDefault(c => string.Equals(c.Number, key, StringComparison.OrdinalIgnoreCase))
                ?? customers.FirstOrDefault(c => string.Equals(c.Name, key, StringComparison.OrdinalIgnoreCase));
            if (match is null) LogUnknownSponsored(key);
            else found[key] = match.Id;
        }
        return found;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "People:Executives names sponsored customer '{Customer}', which is not a customer; that sponsorship is skipped. Add the customer (Customers:Seed, import or `account add`) first.")]
    private partial void LogUnknownSponsored(string customer);
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
