using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Commitments;

/// <summary>Seeds the owning roles configured in <c>People:Roles</c> at start-up: the stored assignments (but the Development demo's) are replaced by the configured ones.</summary>
public sealed class CommitmentSeeder(IServiceScopeFactory scopes, IOptions<PeopleOptions> people, TimeProvider time, IHostApplicationLifetime lifetime,
    ILogger<CommitmentSeeder> log) : StartupSeeder(scopes, time, lifetime, log)
{
    protected override string What => "the Commitments role owners";

    protected override Task SeedAsync(OpsBotDbContext db, DateTime now, CancellationToken ct) => SeedAsync(db, people.Value, ct);

    public static async Task SeedAsync(OpsBotDbContext db, PeopleOptions people, CancellationToken ct)
    {
        var roles = people.Roles.Select(r => (Role: Enum.Parse<OwnerRole>(r.Key, ignoreCase: true), r.Value));
        var wanted = roles.SelectMany(r => r.Value.People.Distinct().Select(p => (r.Role, (string?)p, (string?)null))
                .Concat(string.IsNullOrWhiteSpace(r.Value.ChannelId) ? [] : [(r.Role, (string?)null, (string?)r.Value.ChannelId)]))
            .ToHashSet();
        var demo = await db.DemoRecords.Where(r => r.EntityType == nameof(RoleAssignment)).Select(r => r.EntityId).ToListAsync(ct);
        var stored = (await db.RoleAssignments.ToListAsync(ct)).Where(s => !demo.Contains(s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        db.RoleAssignments.RemoveRange(stored.Where(s => !wanted.Contains((s.Role, s.UserId, s.ChannelId))));
        foreach (var (role, user, channel) in wanted.Where(w => !stored.Any(s => (s.Role, s.UserId, s.ChannelId) == w)))
            db.RoleAssignments.Add(new RoleAssignment { Role = role, UserId = user, ChannelId = channel });
        await db.SaveChangesAsync(ct);
    }
}
