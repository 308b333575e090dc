using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Data;

namespace OpsBot.Commitments;

/// <summary>Seeds the configured role owners (<see cref="CommitmentOptions.Roles"/>) at start-up: the stored assignments are replaced by the configured ones.</summary>
public sealed class CommitmentSeeder(IServiceScopeFactory scopes, IOptions<CommitmentOptions> options, TimeProvider time, IHostApplicationLifetime lifetime,
    ILogger<CommitmentSeeder> log) : StartupSeeder(scopes, time, lifetime, log)
{
    protected override string What => "the Commitments role owners";

    protected override Task SeedAsync(OpsBotDbContext db, DateTime now, CancellationToken ct) => SeedAsync(db, options.Value, ct);

    public static async Task SeedAsync(OpsBotDbContext db, CommitmentOptions o, CancellationToken ct)
    {
        var wanted = o.Roles.SelectMany(r => r.Value.People.Distinct().Select(p => (r.Key, (string?)p, (string?)null))
                .Concat(string.IsNullOrWhiteSpace(r.Value.ChannelId) ? [] : [(r.Key, (string?)null, (string?)r.Value.ChannelId)]))
            .ToHashSet();
        var stored = await db.RoleAssignments.ToListAsync(ct);
        db.RoleAssignments.RemoveRange(stored.Where(s => !wanted.Contains((s.Role, s.UserId, s.ChannelId))));
        foreach (var (role, user, channel) in wanted.Where(w => !stored.Any(s => (s.Role, s.UserId, s.ChannelId) == w)))
            db.RoleAssignments.Add(new RoleAssignment { Role = role, UserId = user, ChannelId = channel });
        await db.SaveChangesAsync(ct);
    }
}
