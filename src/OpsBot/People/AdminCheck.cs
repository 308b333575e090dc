using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Audit;
using OpsBot.Data;

namespace OpsBot.People;

/// <summary>
/// The one admin check: a person is an OpsBot admin when <c>People:Admins</c> names them or the <c>Admins</c> table holds them
/// (<see cref="PersonRef"/>'s rule). The first person to install OpsBot where there is no admin becomes one
/// (<see cref="PeopleOptions.FirstInstallerBecomesAdmin"/>).
/// </summary>
public sealed partial class AdminCheck(OpsBotDbContext db, IOptions<PeopleOptions> options, TimeProvider time, ILogger<AdminCheck> log)
{
    public async Task<bool> IsAdminAsync(string? userId, string? aadObjectId, CancellationToken ct)
    {
        var person = new PersonRef(userId, aadObjectId);
        if (person.IsAnyOf(options.Value.Admins)) return true;
        return (await StoredAsync(ct)).Any(a => a.Person.Matches(person));
    }

    /// <summary>Who the admins are, for a refusal: stored admins by name, configured ones by id.</summary>
    public async Task<IReadOnlyList<string>> NamesAsync(CancellationToken ct) =>
        (await StoredAsync(ct)).Select(a => string.IsNullOrWhiteSpace(a.Name) ? a.UserId : a.Name!)
            .Concat(options.Value.Admins.Where(id => !string.IsNullOrWhiteSpace(id))).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>"Only OpsBot admins can …; the admins are: X, Y" (or how to get one when there is none).</summary>
    public async Task<string> OnlyAdminsAsync(string what, CancellationToken ct) => $"Only OpsBot admins can {what}; {await WhoAsync(ct)}";

    /// <summary>"the admins are: X, Y" / "there is no admin yet: …".</summary>
    public async Task<string> WhoAsync(CancellationToken ct)
    {
        var names = await NamesAsync(ct);
        return names.Count == 0
            ? "there is no admin yet: the first person to install OpsBot becomes one, or list admins in People:Admins."
            : "the admins are: " + string.Join(", ", names) + ".";
    }

    /// <summary>How a dead end is fixed and by whom: an admin is pointed to the setup card, anyone else to the admins.</summary>
    public async Task<string> FixHintAsync(string fix, string? userId, string? aadObjectId, CancellationToken ct) =>
        await IsAdminAsync(userId, aadObjectId, ct)
            ? $"You are an OpsBot admin: type setup to {fix}."
            : $"An OpsBot admin can {fix} with the setup card; {await WhoAsync(ct)}";

    /// <summary>
    /// At a dead end, an admin also gets the button that opens the set-up card (<c>cards/setup-offer.json</c>); anyone else
    /// has the admins' names in the answer already (<see cref="FixHintAsync"/>).
    /// </summary>
    public async Task OfferSetupAsync(OpsBot.Conversations.BotTurn turn, string deadEnd, CancellationToken ct)
    {
        if (!await IsAdminAsync(turn.UserId, turn.UserAadObjectId, ct)) return;
        await turn.SendCardAsync("setup-offer", new { text = $"{deadEnd} You are an OpsBot admin: the set-up card closes this gap." }, "Open setup", ct);
    }

    /// <summary>The installer becomes the first admin when there is none (configured or stored); true when they did.</summary>
    public async Task<bool> ClaimFirstAdminAsync(string userId, string? aadObjectId, string? name, string? tenantId, CancellationToken ct)
    {
        if (!options.Value.FirstInstallerBecomesAdmin || options.Value.Admins.Count > 0 || string.IsNullOrWhiteSpace(userId) || userId.Length > 256) return false;
        var claimed = await db.InLockedTransactionAsync("first-admin", async () =>
        {
            if (await db.Admins.AnyAsync(ct)) return false;
            var now = time.GetUtcNow().UtcDateTime;
            db.Admins.Add(new Admin { UserId = userId, AadObjectId = aadObjectId is { Length: <= 64 } ? aadObjectId : null, Name = Trim(name), TenantId = tenantId is { Length: <= 64 } ? tenantId : null, AddedAt = now, AddedBy = "install" });
            db.Audit(now, userId, name, "admin-added", "Admin", userId, note: "first installer becomes admin (People:FirstInstallerBecomesAdmin)");
            await db.SaveChangesAsync(ct);
            return true;
        }, ct);
        if (claimed) LogFirstAdmin(userId);
        return claimed;
    }

    private Task<List<Admin>> StoredAsync(CancellationToken ct) => db.Admins.AsNoTracking().OrderBy(a => a.Id).ToListAsync(ct);

    private static string? Trim(string? name) => string.IsNullOrWhiteSpace(name) ? null : name.Length > 200 ? name[..200] : name;

    [LoggerMessage(Level = LogLevel.Information, Message = "{UserId} installed OpsBot where there was no admin and became its first admin")]
    private partial void LogFirstAdmin(string userId);
}
