using System.Globalization;
using Microsoft.EntityFrameworkCore;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.Customers;

namespace OpsBot.People;

/// <summary>Admin commands that edit the executive directory (OpsBot admins only, <see cref="AdminCheck"/>).</summary>
public sealed class DirectoryHandlers(OpsBotDbContext db, ExecutiveDirectory directory, GraphDirectorySync graph, AdminCheck admins, TimeProvider time, CustomerResolver resolver)
{
    public const string Usage = "exec add <id> <user id> <monthly cap> <name> · exec away <exec> <from> <to> · exec sponsor <exec> <account> · exec delegate <exec> <user id> · exec backup <exec> <backup> · exec list · exec sync";

    public async Task ExecAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sub = words.FirstOrDefault()?.ToLowerInvariant() ?? "";
        if (sub is "list" or "")
        {
            await turn.SendTextAsync(await ListAsync(ct), ct);
            return;
        }
        if (!await admins.IsAdminAsync(turn.UserId, turn.UserAadObjectId, ct))
        {
            await turn.SendTextAsync(await admins.OnlyAdminsAsync("change executives", ct), ct);
            return;
        }
        var reply = sub switch
        {
            "add" => await AddAsync(words, ct),
            "away" => await AwayAsync(words, ct),
            "sponsor" => await SponsorAsync(turn, words, ct),
            "delegate" => await DelegateAsync(words, ct),
            "backup" => await BackupAsync(words, ct),
            "sync" => await SyncAsync(ct),
            _ => $"Unknown exec command '{sub}'. Usage: {Usage}",
        };
        await turn.SendTextAsync(reply, ct);
    }

    private async Task<string> ListAsync(CancellationToken ct)
    {
        var all = await directory.AllAsync(ct);
        if (all.Count == 0) return "The executive directory is empty. Admins: `exec add <id> <user id> <monthly cap> <name>`.";
        var today = directory.Today;
        return string.Join("\n\n", all.Select(e =>
            $"**{e.DisplayName}** ({e.Id}) · cap {e.MonthlyCapacity}/month" +
            (e.Sponsorships.Any(s => !s.Customer.Restricted) ? $" · sponsors {string.Join(", ", e.Sponsorships.Where(s => !s.Customer.Restricted).Select(s => s.Customer.Name))}" : "") +
            (e.AwayOn(today) is { } a ? $" · away until {a.To:yyyy-MM-dd}" : "") +
            (e.Delegates.Count > 0 ? $" · {e.Delegates.Count} delegate(s)" : "")));
    }

    private async Task<string> AddAsync(string[] w, CancellationToken ct)
    {
        if (w.Length < 5 || !int.TryParse(w[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var cap) || cap < 0 || w[1].Length > 64)
            return "Usage: exec add <id> <user id> <monthly cap> <name>, e.g. `exec add ann 29:1abc 4 Ann Lee`.";
        var exec = await db.Executives.FirstOrDefaultAsync(e => e.Id == w[1], ct);
        var name = string.Join(' ', w.Skip(4));
        if (exec is null)
        {
            db.Executives.Add(new Executive { Id = w[1], UserId = w[2], DisplayName = name, MonthlyCapacity = cap, Source = DirectorySource.Admin, UpdatedAt = Now });
        }
        else
        {
            exec.UserId = w[2];
            exec.DisplayName = name;
            exec.MonthlyCapacity = cap;
            exec.Active = true;
            exec.UpdatedAt = Now;
        }
        await db.SaveChangesAsync(ct);
        return $"{(exec is null ? "Added" : "Updated")} {name} ({w[1]}), {cap} complaints per month.";
    }

    private async Task<string> AwayAsync(string[] w, CancellationToken ct)
    {
        if (w.Length != 4 || !DateOnly.TryParseExact(w[2], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from)
            || !DateOnly.TryParseExact(w[3], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to) || to < from)
            return "Usage: exec away <exec> <from yyyy-MM-dd> <to yyyy-MM-dd>, with from ≤ to.";
        if (await directory.FindAsync(w[1], ct) is not { } exec) return $"No executive '{w[1]}'.";
        db.ExecutiveTimeOff.Add(new ExecutiveTimeOff { ExecutiveId = exec.Id, From = from, To = to });
        await db.SaveChangesAsync(ct);
        return $"{exec.DisplayName} is away {from:yyyy-MM-dd} – {to:yyyy-MM-dd}; no complaints will be assigned to them then.";
    }

    private async Task<string> SponsorAsync(BotTurn turn, string[] w, CancellationToken ct)
    {
        if (w.Length < 3) return "Usage: exec sponsor <exec> <account>.";
        if (await directory.FindAsync(w[1], ct) is not { } exec) return $"No executive '{w[1]}'.";
        var account = string.Join(' ', w.Skip(2));
        var resolved = await resolver.ResolveAsync(account, Viewer.Of(turn), ct);
        if (resolved.Customer is not { } customer) return CustomerResolver.NotFoundText(account, resolved.Suggestions);
        var current = await db.ExecutiveSponsorships.FirstOrDefaultAsync(s => s.CustomerId == customer.Id, ct);
        if (current is not null) db.ExecutiveSponsorships.Remove(current);
        db.ExecutiveSponsorships.Add(new ExecutiveSponsorship { ExecutiveId = exec.Id, CustomerId = customer.Id });
        await db.SaveChangesAsync(ct);
        return $"{exec.DisplayName} now sponsors {customer.Name} ({customer.Number}).";
    }

    private async Task<string> DelegateAsync(string[] w, CancellationToken ct)
    {
        if (w.Length != 3) return "Usage: exec delegate <exec> <user id>.";
        if (await directory.FindAsync(w[1], ct) is not { } exec) return $"No executive '{w[1]}'.";
        if (exec.Delegates.Any(d => d.UserId == w[2])) return "Already a delegate.";
        db.ExecutiveDelegates.Add(new ExecutiveDelegate { ExecutiveId = exec.Id, UserId = w[2] });
        await db.SaveChangesAsync(ct);
        return $"{w[2]} can now act for {exec.DisplayName}.";
    }

    private async Task<string> BackupAsync(string[] w, CancellationToken ct)
    {
        if (w.Length != 3) return "Usage: exec backup <exec> <backup exec>.";
        if (await directory.FindAsync(w[1], ct) is not { } exec) return $"No executive '{w[1]}'.";
        if (await directory.FindAsync(w[2], ct) is not { } backup || backup.Id == exec.Id) return $"No other executive '{w[2]}'.";
        var row = await db.Executives.FirstAsync(e => e.Id == exec.Id, ct);
        row.BackupExecutiveId = backup.Id;
        row.UpdatedAt = Now;
        await db.SaveChangesAsync(ct);
        return $"{backup.DisplayName} backs up {exec.DisplayName} when an SLA is missed.";
    }

    private async Task<string> SyncAsync(CancellationToken ct)
    {
        if (directory.Options.Directory.Source != DirectorySource.Graph) return "The directory source is configuration; set People:Directory:Source=Graph to sync from Microsoft Graph.";
        var r = await graph.SyncAsync(ct);
        return $"Synced from Microsoft Graph: {r.Members} members, {r.Added} added, {r.Deactivated} deactivated.";
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;
}
