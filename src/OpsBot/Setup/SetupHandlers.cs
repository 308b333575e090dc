using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.Alerts;
using OpsBot.Audit;
using OpsBot.BotFramework.Schema;
using OpsBot.Commitments;
using OpsBot.Conversations;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Setup;

/// <summary>
/// <c>setup</c>: the admin card listing what each feature still lacks (customers, executives, alert routes, owning-role owners),
/// with a button per gap; each button closes its gap and the card is refreshed in place.
/// </summary>
public sealed class SetupHandlers(OpsBotDbContext db, AdminCheck admins, TimeProvider time)
{
    private const int MaxPicked = 50;

    public async Task ShowAsync(BotTurn turn, CancellationToken ct)
    {
        if (!await admins.IsAdminAsync(turn.UserId, turn.UserAadObjectId, ct))
        {
            await turn.SendTextAsync(await admins.OnlyAdminsAsync("set OpsBot up", ct), ct);
            return;
        }
        await turn.SendCardAsync("setup", await ModelAsync(turn, null, ct), "Set up OpsBot", ct);
    }

    public Task<InvokeResponse> RefreshAsync(BotTurn turn, CancellationToken ct) => AsAdminAsync(turn, "set OpsBot up", () => Task.FromResult<string?>(null), ct);

    public Task<InvokeResponse> AddCustomerAsync(BotTurn turn, JsonObject data, CancellationToken ct) => AsAdminAsync(turn, "add customers", async () =>
    {
        var number = (Str(data, "customerNumber") ?? "").ToUpperInvariant();
        var name = Str(data, "customerName") ?? number;
        if (number.Length is 0 or > 32 || name.Length > 200) return "Enter an account number (at most 32 characters) and a name (at most 200).";
        if (await db.Customers.AnyAsync(a => a.Number == number, ct)) return $"Account {number} already exists.";
        var now = Now;
        db.Customers.Add(new Customer { Number = number, Name = name, CreatedAt = now });
        db.Audit(now, turn.UserId, turn.UserName, "account-added", "Account", number, after: new { number, name }, note: "setup card");
        await db.SaveChangesAsync(ct);
        return $"Account {number} ({name}) added. Add its sites with `account site {number} ship-to <site>`.";
    }, ct);

    public Task<InvokeResponse> ExecutivesAsync(BotTurn turn, JsonObject data, CancellationToken ct) => AsAdminAsync(turn, "pick executives", async () =>
    {
        var picked = Picked(data, "executives");
        if (picked.Count == 0) return "Pick at least one person.";
        var now = Now;
        var known = await db.Executives.Select(e => e.Id).ToListAsync(ct);
        foreach (var id in picked.Where(p => !known.Contains(p)))
            db.Executives.Add(new Executive { Id = id, DisplayName = new PersonRef(turn.UserId, turn.UserAadObjectId).Matches(id, null) ? turn.UserName.Truncate(200) : id, UserId = id, AadObjectId = id, Source = DirectorySource.Admin, UpdatedAt = now });
        db.Audit(now, turn.UserId, turn.UserName, "executives-added", "Executive", string.Join(",", picked).Truncate(256), after: picked, note: "setup card");
        await db.SaveChangesAsync(ct);
        return $"{picked.Count} executive(s) added; complaints are assigned to them in rotation.";
    }, ct);

    public Task<InvokeResponse> RouteHereAsync(BotTurn turn, JsonObject data, CancellationToken ct) => AsAdminAsync(turn, "route alerts", async () =>
    {
        var a = turn.Activity;
        var teams = a.TeamsData;
        var channelId = teams?.Channel?.Id;
        var teamId = teams?.Team?.Id;
        var route = new AlertRoute { Name = ("alerts-to-" + (channelId is null ? turn.UserName : "channel")).Truncate(100), MaxSeverity = Severity.Low };
        if (channelId is { Length: <= 256 }) route.Channels.Add(new AlertRouteChannel { ChannelId = channelId, TeamId = (teamId ?? "").Truncate(256), ServiceUrl = a.ServiceUrl, TenantId = turn.TenantId });
        else route.People.Add(turn.UserId);
        if (await db.AlertRoutes.AnyAsync(r => r.Name == route.Name, ct)) route.Name = (route.Name + "-" + Now.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture)).Truncate(100);
        db.AlertRoutes.Add(route);
        db.Audit(Now, turn.UserId, turn.UserName, "alert-route-added", "AlertRoute", route.Name, note: "setup card");
        await db.SaveChangesAsync(ct);
        return $"Route {route.Name} added: every alert reaches {(channelId is null ? "you here" : "this channel")}.";
    }, ct);

    public Task<InvokeResponse> RolesAsync(BotTurn turn, JsonObject data, CancellationToken ct) => AsAdminAsync(turn, "assign owning roles", async () =>
    {
        if (!Enum.TryParse<OwnerRole>(Str(data, "role"), ignoreCase: true, out var role) || !Enum.IsDefined(role)) return "Unknown role; refresh the card.";
        var picked = Picked(data, "owners" + role);
        if (picked.Count == 0) return "Pick at least one person.";
        var current = await db.RoleAssignments.Where(r => r.Role == role).Select(r => r.UserId).ToListAsync(ct);
        foreach (var id in picked.Where(p => !current.Contains(p))) db.RoleAssignments.Add(new RoleAssignment { Role = role, UserId = id });
        db.Audit(Now, turn.UserId, turn.UserName, "role-assigned", "RoleAssignment", role.ToString(), after: picked, note: "setup card");
        await db.SaveChangesAsync(ct);
        return $"{Label(role)}: {picked.Count} owner(s) assigned.";
    }, ct);

    private async Task<InvokeResponse> AsAdminAsync(BotTurn turn, string what, Func<Task<string?>> change, CancellationToken ct)
    {
        if (!await admins.IsAdminAsync(turn.UserId, turn.UserAadObjectId, ct))
        {
            db.Audit(Now, turn.UserId, turn.UserName, "access-denied", "Setup", "admin", note: what);
            await db.SaveChangesAsync(ct);
            return AdaptiveCardInvoke.Message(await admins.OnlyAdminsAsync(what, ct));
        }
        var notice = await change();
        return turn.CardResponse("setup", await ModelAsync(turn, notice, ct));
    }

    /// <summary>What is missing, feature by feature.</summary>
    public async Task<SetupCardModel> ModelAsync(BotTurn turn, string? notice, CancellationToken ct)
    {
        var customerGap = !await db.Customers.AnyAsync(ct);
        var executiveGap = !await db.Executives.AnyAsync(e => e.Active, ct);
        var routeGap = !await db.AlertRoutes.AnyAsync(ct);
        var owned = await db.RoleAssignments.Select(r => r.Role).Distinct().ToListAsync(ct);
        var roleGaps = Enum.GetValues<OwnerRole>().Where(r => !owned.Contains(r)).Select(r => new SetupRoleGap(r.ToString(), Label(r))).ToList();
        var gaps = (customerGap ? 1 : 0) + (executiveGap ? 1 : 0) + (routeGap ? 1 : 0) + roleGaps.Count;
        var summary = gaps == 0 ? "Nothing is missing." : $"{gaps} thing{(gaps == 1 ? " is" : "s are")} missing. Each button closes one.";
        return new SetupCardModel(notice ?? "", notice is not null, summary, customerGap, executiveGap, routeGap, roleGaps, gaps == 0,
            turn.UserName + " (you)", turn.UserAadObjectId is { Length: > 0 } aad ? aad : turn.UserId);
    }

    public static string Label(OwnerRole role) => role switch
    {
        OwnerRole.OrderDesk => "order desk",
        OwnerRole.SalesOps => "sales ops",
        OwnerRole.SupplyChain => "supply chain",
        _ => "service",
    };

    /// <summary>The people picker's value: comma-separated Entra object ids (the card's own choice: the admin, by Entra or Teams id).</summary>
    private static List<string> Picked(JsonObject data, string key) =>
        (Str(data, key) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(id => id.Length <= 64).Distinct(StringComparer.OrdinalIgnoreCase).Take(MaxPicked).ToList();

    private static string? Str(JsonObject data, string key) =>
        data[key] is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;

    private DateTime Now => time.GetUtcNow().UtcDateTime;
}

public sealed record SetupRoleGap(string Role, string Label);

public sealed record SetupCardModel(string Notice, bool HasNotice, string Summary, bool HasCustomerGap, bool HasExecutiveGap, bool HasRouteGap,
    IReadOnlyList<SetupRoleGap> RoleGaps, bool Complete, string MeTitle, string MeId);

internal static class SetupText
{
    public static string Truncate(this string s, int max) => s.Length > max ? s[..max] : s;
}
