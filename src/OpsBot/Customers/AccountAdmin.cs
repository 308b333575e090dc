using Microsoft.EntityFrameworkCore;
using OpsBot.Audit;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Customers;

/// <summary><c>account add | restrict | site</c> — for OpsBot admins (<see cref="AdminCheck"/>) only.</summary>
public sealed class AccountAdmin(OpsBotDbContext db, AdminCheck admins, TimeProvider time)
{
    public const string Usage = "account add <number> <Strategic|Key|Standard> <name> · account restrict <number> <user id> · account site <number> <ship-to|bill-to> <site>";

    public async Task RunAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var now = time.GetUtcNow().UtcDateTime;
        if (!await admins.IsAdminAsync(viewer.Id, viewer.AadId, ct))
        {
            db.Audit(now, viewer.Id, viewer.Name, "access-denied", "Account", "admin", note: "account " + args);
            await db.SaveChangesAsync(ct);
            await turn.SendTextAsync(await admins.OnlyAdminsAsync("change accounts", ct), ct);
            return;
        }
        var p = args.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var verb = p.Length > 0 ? p[0].ToLowerInvariant() : "";
        var reply = verb switch
        {
            "add" when p.Length == 4 && Enum.TryParse<AccountSegment>(p[2], true, out var segment) => await AddAsync(p[1].ToUpperInvariant(), segment, p[3], viewer, now, ct),
            "restrict" when p.Length >= 3 => await RestrictAsync(p[1].ToUpperInvariant(), string.Join(' ', p.Skip(2)), viewer, now, ct),
            "site" when p.Length == 4 && p[2].ToLowerInvariant() is "ship-to" or "bill-to" =>
                await SiteAsync(p[1].ToUpperInvariant(), p[2].Equals("ship-to", StringComparison.OrdinalIgnoreCase) ? SiteKind.ShipTo : SiteKind.BillTo, p[3], viewer, now, ct),
            _ => "Usage: " + Usage,
        };
        await turn.SendTextAsync(reply, ct);
    }

    private async Task<string> AddAsync(string number, AccountSegment segment, string name, Viewer viewer, DateTime now, CancellationToken ct)
    {
        if (number.Length > 32 || name.Length > 200) return "The number is at most 32 characters and the name at most 200.";
        if (await db.Accounts.AnyAsync(a => a.Number == number, ct)) return $"Account {number} already exists.";
        var account = new Account { Number = number, Name = name, Segment = segment, CreatedAt = now };
        db.Accounts.Add(account);
        db.Audit(now, viewer.Id, viewer.Name, "account-added", "Account", number, after: new { number, name, segment = segment.ToString() });
        await db.SaveChangesAsync(ct);
        return $"Account {number} ({name}, {segment}) added.";
    }

    private async Task<string> RestrictAsync(string number, string user, Viewer viewer, DateTime now, CancellationToken ct)
    {
        var account = await db.Accounts.Include(a => a.Members).FirstOrDefaultAsync(a => a.Number == number, ct);
        if (account is null) return $"Account {number} not found.";
        var before = new { account.Restricted, members = account.Members.Select(m => m.UserId).ToList() };
        account.Restricted = true;
        if (account.Members.All(m => !string.Equals(m.UserId, user, StringComparison.OrdinalIgnoreCase))) account.Members.Add(new AccountMember { UserId = user });
        if (account.Members.All(m => !viewer.Is(m.UserId))) account.Members.Add(new AccountMember { UserId = viewer.Id });
        db.Audit(now, viewer.Id, viewer.Name, "account-restricted", "Account", number, before,
            new { account.Restricted, members = account.Members.Select(m => m.UserId).ToList() });
        await db.SaveChangesAsync(ct);
        return $"Account {number} is restricted; {account.Members.Count} people can see it.";
    }

    private async Task<string> SiteAsync(string number, SiteKind kind, string site, Viewer viewer, DateTime now, CancellationToken ct)
    {
        var account = await db.Accounts.Include(a => a.Sites).FirstOrDefaultAsync(a => a.Number == number, ct);
        if (account is null) return $"Account {number} not found.";
        if (account.Sites.Any(s => s.Kind == kind && string.Equals(s.Name, site, StringComparison.OrdinalIgnoreCase))) return "That site is already known.";
        account.Sites.Add(new AccountSite { Kind = kind, Name = site });
        db.Audit(now, viewer.Id, viewer.Name, "account-site-added", "Account", number, after: new { kind = kind.ToString(), site });
        await db.SaveChangesAsync(ct);
        return $"{site} added as a {(kind == SiteKind.ShipTo ? "ship-to" : "bill-to")} site of {number}.";
    }
}
