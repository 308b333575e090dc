using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpsBot.BotFramework.Auth;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Boards;

/// <summary>Who may open a board page or stream, and what they then see; <see cref="Status"/> 401/404 with a message when they may not.</summary>
public sealed record BoardAccessResult(Board? Board, BoardAudience? Audience, int Status, string Title, string Message)
{
    public static BoardAccessResult Refused(int status, string title, string message) => new(null, null, status, title, message);
}

/// <summary>
/// The three ways onto a board. A kiosk token (<c>?token=</c> once, then a cookie scoped to the board's path, or
/// <c>Authorization: Bearer obk_…</c>) opens one board read-only and shows restricted customers only when an admin allowed that
/// board to; a Teams SSO token (the tab) is a person, who sees what <see cref="CustomerAccess"/> lets them; an API client
/// (<c>/api/boards</c>) sees what it sees elsewhere. With authentication off in Development (local testing) a page needs no token and is a kiosk.
/// </summary>
public static class BoardAccess
{
    public const string TabScheme = "BoardsTab";
    public const string TokenPrefix = "obk_";
    public const string TokenQuery = "token";

    public static string CookieName(string board) => "opsbot-board-" + board;

    public static string NewToken() => TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Board names: 1–64 of a–z, 0–9 and dashes, starting with a letter or digit.</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= 64 } && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>The kiosk token a request carries: query, then the board's cookie, then a bearer header.</summary>
    public static string? KioskToken(HttpContext http, string board)
    {
        if (http.Request.Query[TokenQuery].ToString() is { Length: > 0 } query) return query;
        if (http.Request.Cookies[CookieName(board)] is { Length: > 0 } cookie) return cookie;
        var authorization = http.Request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer " + TokenPrefix, StringComparison.Ordinal) ? authorization[7..].Trim() : null;
    }

    /// <summary>Resolves a page or stream request for <paramref name="name"/>.</summary>
    public static async Task<BoardAccessResult> ForPageAsync(HttpContext http, string name, OpsBotDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var authorization = http.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.Ordinal) && !authorization.StartsWith("Bearer " + TokenPrefix, StringComparison.Ordinal))
        {
            var result = await http.AuthenticateAsync(TabScheme);
            if (!result.Succeeded || result.Principal is null)
                return BoardAccessResult.Refused(401, "Sign-in not accepted", "Your Teams sign-in could not be verified" + (result.Failure is { } f ? $": {Reason(f)}" : ".") + " Reload the tab to sign in again.");
            var board = await FindAsync(db, name, ct);
            return board is null
                ? BoardAccessResult.Refused(404, "No such board", NotFound(name))
                : new BoardAccessResult(board, BoardAudience.ForViewer(board.Name, TabViewer(result.Principal)), 200, "", "");
        }

        if (KioskToken(http, name) is { } token)
        {
            var hash = Hash(token);
            var row = await db.BoardTokens.AsNoTracking().Where(t => t.Hash == hash)
                .Select(t => new { t.Id, t.RevokedAt, t.LastUsedAt, t.BoardId }).FirstOrDefaultAsync(ct);
            var board = row is null ? null : await db.Boards.AsNoTracking().FirstOrDefaultAsync(b => b.Id == row.BoardId, ct);
            if (row is null || board is null || board.Name != name)
                return BoardAccessResult.Refused(401, "Not a valid board link", $"This display's link is not valid for board '{name}'. Ask an OpsBot admin for a new one (board token create {name}).");
            if (row.RevokedAt is not null) return BoardAccessResult.Refused(401, "Access revoked", BoardPages.RevokedMessage);
            var now = clock.GetUtcNow().UtcDateTime;
            if (row.LastUsedAt is not { } used || now - used > TimeSpan.FromMinutes(1))
                await db.BoardTokens.Where(t => t.Id == row.Id).ExecuteUpdateAsync(u => u.SetProperty(t => t.LastUsedAt, now), ct);
            return new BoardAccessResult(board, BoardAudience.ForKiosk(board.Name, row.Id), 200, "", "");
        }

        if (http.RequestServices.GetRequiredService<BotAuthenticationOptions>().AuthenticationDisabled
            && http.RequestServices.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            var board = await FindAsync(db, name, ct);
            return board is null
                ? BoardAccessResult.Refused(404, "No such board", NotFound(name))
                : new BoardAccessResult(board, BoardAudience.ForKiosk(board.Name, null), 200, "", "");
        }
        return BoardAccessResult.Refused(401, "This display needs a board link",
            $"Open the link an OpsBot admin created for this display (board token create {name}), or open the board in the OpsBot tab in Teams.");
    }

    public static Task<Board?> FindAsync(OpsBotDbContext db, string name, CancellationToken ct) =>
        IsValidName(name) ? db.Boards.AsNoTracking().FirstOrDefaultAsync(b => b.Name == name, ct) : Task.FromResult<Board?>(null);

    public static string NotFound(string name) => $"There is no board named '{Clip(name)}'. An OpsBot admin can list them (board list) or add one (board add).";

    private static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "…";

    /// <summary>The person behind a Teams SSO token: the Entra object id is the id customer members are matched by.</summary>
    public static Viewer TabViewer(ClaimsPrincipal user)
    {
        var oid = user.FindFirst("oid")?.Value ?? "";
        return new Viewer(oid, oid, user.FindFirst("name")?.Value ?? user.FindFirst("preferred_username")?.Value ?? oid);
    }

    private static string Reason(Exception failure) => failure switch
    {
        Microsoft.IdentityModel.Tokens.SecurityTokenExpiredException => "the token has expired",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAudienceException => "the token is for another application",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidIssuerException => "the token is from another tenant",
        Microsoft.IdentityModel.Tokens.SecurityTokenSignatureKeyNotFoundException or Microsoft.IdentityModel.Tokens.SecurityTokenInvalidSignatureException => "the token's signature is not valid",
        _ => "the token is not valid",
    };

    /// <summary>The restricted customers an audience may not see on <paramref name="board"/>.</summary>
    public static async Task<IReadOnlySet<int>> HiddenAsync(IServiceProvider services, Board board, BoardAudience audience, CancellationToken ct)
    {
        if (audience.Kind == BoardAudience.Kiosk)
        {
            if (board.KioskShowsRestricted) return new HashSet<int>();
            var db = services.GetRequiredService<OpsBotDbContext>();
            return (await db.Customers.AsNoTracking().Where(c => c.Restricted).Select(c => c.Id).ToListAsync(ct)).ToHashSet();
        }
        return await services.GetRequiredService<CustomerAccess>().HiddenFromAsync(audience.Viewer!, ct);
    }
}
