using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using OpsBot.Audit;
using OpsBot.Conversations;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Boards;

/// <summary><c>board list | add | remove | restricted | token create | token list | token revoke</c>: anyone lists, admins change (audited).</summary>
public sealed partial class BoardHandlers(OpsBotDbContext db, AdminCheck admins, CustomerResolver resolver, BoardFeed feed, Metrics.PublicAddress address, TimeProvider time)
{
    public const string Usage = "board list · board add <name> [customer <customer> | region <country codes> | team <person ids>] [\"title\"] · board remove <name> · "
        + "board restricted <name> on|off · board token create <name> [label] · board token list <name> · board token revoke <name> <token #>";

    public async Task RunAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var (rest, title) = SplitTitle(args);
        var words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var verb = words.FirstOrDefault()?.ToLowerInvariant() ?? "list";
        if (verb == "list")
        {
            await turn.SendTextAsync(await ListAsync(ct), ct);
            return;
        }
        var viewer = Viewer.Of(turn);
        var now = time.GetUtcNow().UtcDateTime;
        if (!await admins.IsAdminAsync(viewer.Id, viewer.AadId, ct))
        {
            db.Audit(now, viewer.Id, viewer.Name, "access-denied", "Board", "admin", note: Cut("board " + args, 900));
            await db.SaveChangesAsync(ct);
            await turn.SendTextAsync(await admins.OnlyAdminsAsync("change boards", ct), ct);
            return;
        }
        var name = words.ElementAtOrDefault(verb == "token" ? 2 : 1)?.ToLowerInvariant() ?? "";
        var reply = (verb, words.ElementAtOrDefault(1)?.ToLowerInvariant()) switch
        {
            ("add", _) when words.Length >= 2 => await AddAsync(name, words.Skip(2).ToArray(), title, viewer, now, ct),
            ("remove", _) when words.Length == 2 => await RemoveAsync(name, viewer, now, ct),
            ("restricted", _) when words.Length == 3 && words[2].ToLowerInvariant() is "on" or "off" => await RestrictedAsync(name, words[2].Equals("on", StringComparison.OrdinalIgnoreCase), viewer, now, ct),
            ("token", "create") when words.Length >= 3 => await CreateTokenAsync(name, string.Join(' ', words.Skip(3)), viewer, now, ct),
            ("token", "list") when words.Length == 3 => await TokensAsync(name, ct),
            ("token", "revoke") when words.Length == 4 && int.TryParse(words[3].TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out var id) => await RevokeAsync(name, id, viewer, now, ct),
            _ => $"I didn't understand that. Usage: {Usage}",
        };
        await turn.SendTextAsync(reply, ct);
    }

    private async Task<string> ListAsync(CancellationToken ct)
    {
        var boards = await db.Boards.AsNoTracking().OrderBy(b => b.Name).ToListAsync(ct);
        if (boards.Count == 0) return "There are no boards yet. An OpsBot admin adds one: board add operation (the whole operation), or board add emea region DE,FR,IT.";
        return "Boards:\n\n" + string.Join("\n\n", boards.Select(b =>
            $"- **{b.Name}**: {b.Title}, {BoardQuery.Describe(b)}{(b.KioskShowsRestricted ? "; kiosk displays show restricted customers" : "")}. Page: {Url(b.Name)}"));
    }

    private async Task<string> AddAsync(string name, string[] scope, string? title, Viewer viewer, DateTime now, CancellationToken ct)
    {
        if (!BoardAccess.IsValidName(name)) return "A board name is 1–64 lower-case letters, digits and dashes (it is the page's address), e.g. board add emea region DE,FR,IT.";
        if (title is { Length: > 100 }) return "A board title is at most 100 characters.";
        if (await db.Boards.AnyAsync(b => b.Name == name, ct)) return $"There is already a board named {name}.";
        var board = new Board { Name = name, Title = title ?? Titled(name), CreatedAt = now, CreatedBy = viewer.Id };
        var kind = scope.FirstOrDefault()?.ToLowerInvariant();
        var values = string.Join(' ', scope.Skip(1));
        switch (kind)
        {
            case null or "all":
                board.Scope = BoardScope.All;
                break;
            case "customer" when values.Length > 0:
                var resolution = await resolver.ResolveAsync(values, viewer, ct);
                if (resolution.Customer is not { } customer) return CustomerResolver.NotFoundText(values, resolution.Suggestions);
                board.Scope = BoardScope.Customer;
                board.CustomerId = customer.Id;
                board.ScopeValues = customer.Number;
                if (title is null) board.Title = customer.Name;
                break;
            case "region" when values.Length > 0:
                var countries = values.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries).Select(c => c.ToUpperInvariant()).Distinct().ToList();
                if (countries.Any(c => c.Length is < 2 or > 56)) return "List the region's countries as codes or names, separated by commas: board add emea region DE,FR,IT.";
                board.Scope = BoardScope.Region;
                board.ScopeValues = string.Join(',', countries);
                break;
            case "team" when values.Length > 0:
                board.Scope = BoardScope.Team;
                board.ScopeValues = string.Join(',', values.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.OrdinalIgnoreCase));
                break;
            default:
                return $"A board shows the whole operation, a customer, a region or a team. Usage: {Usage}";
        }
        if (board.ScopeValues is { Length: > 2000 }) return "That scope is too long (at most 2000 characters).";
        db.Boards.Add(board);
        db.Audit(now, viewer.Id, viewer.Name, "board-added", "Board", name, after: new { board.Name, board.Title, Scope = board.Scope.ToString(), board.ScopeValues });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex))
        {
            return $"There is already a board named {name}.";
        }
        return $"Board **{name}** added: {board.Title}, {BoardQuery.Describe(board)}. Its page is {Url(name)}; a TV needs a link of its own: board token create {name} <where it hangs>.";
    }

    private async Task<string> RemoveAsync(string name, Viewer viewer, DateTime now, CancellationToken ct)
    {
        var board = await db.Boards.FirstOrDefaultAsync(b => b.Name == name, ct);
        if (board is null) return BoardAccess.NotFound(name);
        db.Boards.Remove(board);
        db.Audit(now, viewer.Id, viewer.Name, "board-removed", "Board", name, before: new { board.Name, board.Title, Scope = board.Scope.ToString(), board.ScopeValues });
        await db.SaveChangesAsync(ct);
        feed.Signal();
        return $"Board {name} removed; its displays say so and its links no longer work.";
    }

    private async Task<string> RestrictedAsync(string name, bool on, Viewer viewer, DateTime now, CancellationToken ct)
    {
        var board = await db.Boards.FirstOrDefaultAsync(b => b.Name == name, ct);
        if (board is null) return BoardAccess.NotFound(name);
        var before = board.KioskShowsRestricted;
        board.KioskShowsRestricted = on;
        db.Audit(now, viewer.Id, viewer.Name, "board-restricted", "Board", name, before: new { KioskShowsRestricted = before }, after: new { KioskShowsRestricted = on });
        await db.SaveChangesAsync(ct);
        feed.Signal();
        return on
            ? $"Kiosk displays of {name} now show restricted customers too. Make sure its screens hang where only people allowed on them can see."
            : $"Kiosk displays of {name} leave restricted customers out.";
    }

    private async Task<string> CreateTokenAsync(string name, string label, Viewer viewer, DateTime now, CancellationToken ct)
    {
        var board = await db.Boards.FirstOrDefaultAsync(b => b.Name == name, ct);
        if (board is null) return BoardAccess.NotFound(name);
        if (label.Length > 100) return "A label is at most 100 characters.";
        var token = BoardAccess.NewToken();
        var row = new BoardToken { BoardId = board.Id, Hash = BoardAccess.Hash(token), Label = label, CreatedAt = now, CreatedBy = viewer.Id };
        db.BoardTokens.Add(row);
        await db.SaveChangesAsync(ct);
        db.Audit(now, viewer.Id, viewer.Name, "board-token-created", "Board", name, after: new { Token = row.Id, row.Label });
        await db.SaveChangesAsync(ct);
        return $"Link for a display of **{name}** (token #{row.Id}{(label.Length > 0 ? ", " + label : "")}). It is shown only this once; open it on the TV:\n\n{Url(name)}?token={token}\n\n"
            + $"It opens this board only, read-only{(board.KioskShowsRestricted ? "" : ", without restricted customers")}. Revoke it with: board token revoke {name} {row.Id}";
    }

    private async Task<string> TokensAsync(string name, CancellationToken ct)
    {
        var board = await db.Boards.AsNoTracking().Include(b => b.Tokens).FirstOrDefaultAsync(b => b.Name == name, ct);
        if (board is null) return BoardAccess.NotFound(name);
        if (board.Tokens.Count == 0) return $"Board {name} has no display links. Create one: board token create {name} <where it hangs>.";
        return $"Display links of {name}:\n\n" + string.Join("\n\n", board.Tokens.OrderBy(t => t.Id).Select(t =>
            $"- #{t.Id} {(t.Label.Length > 0 ? t.Label : "(no label)")}: created {t.CreatedAt:yyyy-MM-dd HH:mm} UTC, "
            + (t.RevokedAt is { } r ? $"revoked {r:yyyy-MM-dd HH:mm} UTC" : t.LastUsedAt is { } u ? $"last used {u:yyyy-MM-dd HH:mm} UTC" : "never used")));
    }

    private async Task<string> RevokeAsync(string name, int id, Viewer viewer, DateTime now, CancellationToken ct)
    {
        var board = await db.Boards.AsNoTracking().FirstOrDefaultAsync(b => b.Name == name, ct);
        var token = board is null ? null : await db.BoardTokens.FirstOrDefaultAsync(t => t.Id == id && t.BoardId == board.Id, ct);
        if (token is null) return board is null ? BoardAccess.NotFound(name) : $"Board {name} has no display link #{id} (board token list {name}).";
        if (token.RevokedAt is not null) return $"Display link #{id} of {name} was already revoked.";
        token.RevokedAt = now;
        db.Audit(now, viewer.Id, viewer.Name, "board-token-revoked", "Board", name, after: new { Token = id, token.Label });
        await db.SaveChangesAsync(ct);
        feed.Signal();
        return $"Display link #{id} of {name} revoked: the display shows that its access was revoked, within seconds.";
    }

    private string Url(string name) => (address.BaseUrl() ?? "") + "/boards/" + name;

    private static string Titled(string name) => string.Join(' ', name.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];

    /// <summary>A title in double quotes anywhere in the arguments.</summary>
    private static (string Remainder, string? Title) SplitTitle(string args)
    {
        var match = QuotedTitle().Match(args);
        return match.Success ? (args.Remove(match.Index, match.Length), match.Groups[1].Value.Trim()) : (args, null);
    }

    [GeneratedRegex("[\"“”]([^\"“”]*)[\"“”]")]
    private static partial Regex QuotedTitle();
}
