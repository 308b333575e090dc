using System.Collections.Frozen;
using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Boards;

/// <summary>
/// The TV page <c>/boards/{name}</c> and its stream, the Teams tab pages (<c>/tab</c>, <c>/tab/config</c>, <c>/tab/boards</c>),
/// and the read API <c>/api/boards/{name}</c> with its stream.
/// </summary>
public static class BoardEndpoints
{
    /// <summary>The Teams JavaScript client library, from Microsoft's CDN (only the tab pages load it).</summary>
    public const string TeamsJsUrl = "https://res.cdn.office.net/teams-js/2.34.0/js/MicrosoftTeams.min.js";

    private const string PageSecurity = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    private const string TabSecurity = "default-src 'none'; script-src 'self' https://res.cdn.office.net; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors https://teams.microsoft.com https://*.teams.microsoft.com https://*.office.com https://*.cloud.microsoft; base-uri 'none'; form-action 'none'";

    private static readonly FrozenDictionary<string, (byte[] Body, string Type)> Assets = new Dictionary<string, (byte[], string)>
    {
        ["board.css"] = (Resource("board.css"), "text/css; charset=utf-8"),
        ["board.js"] = (Resource("board.js"), "text/javascript; charset=utf-8"),
    }.ToFrozenDictionary();

    public static WebApplication MapBoards(this WebApplication app)
    {
        app.MapGet("/boards/assets/{file}", Asset).ExcludeFromDescription();
        app.MapGet("/boards/{name}", PageAsync).ExcludeFromDescription();
        app.MapGet("/boards/{name}/events", PageEventsAsync).ExcludeFromDescription();
        app.MapGet("/tab", TabAsync).ExcludeFromDescription();
        app.MapGet("/tab/config", TabConfig).ExcludeFromDescription();
        app.MapGet("/tab/boards", TabBoardsAsync).ExcludeFromDescription();
        return app;
    }

    public static RouteGroupBuilder MapBoardsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/boards/{name}", SnapshotAsync)
            .WithName("GetBoard")
            .WithTags("Boards")
            .WithSummary("A board's snapshot")
            .WithDescription("What the board shows now: open alerts by severity (the most severe and oldest listed), KPI tiles with their level and a "
                + "24-hour sparkline, complaints in progress with their SLA clock, commitments due this week and overdue forms by owning role. "
                + "Restricted customers the client may not see are left out of every list and count.")
            .Produces<BoardSnapshot>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/boards/{name}/events", ApiEventsAsync)
            .WithName("StreamBoard")
            .WithTags("Boards")
            .WithSummary("A board's snapshots, pushed as Server-Sent Events")
            .WithDescription("text/event-stream: a 'board' event with the current snapshot at once and after every change (within 2 s), "
                + "keep-alive comments every 15 s, and 'gone' when the board is removed. Each event is a whole snapshot, so a client that "
                + "reconnects is up to date with its first event. A client that does not read is dropped.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static IResult Asset(string file) =>
        Assets.TryGetValue(file, out var asset) ? Results.Bytes(asset.Body, asset.Type) : Results.NotFound();

    private static async Task<IResult> PageAsync(string name, HttpContext http, OpsBotDbContext db, BoardQuery query, BoardFeed feed,
        IOptions<BoardOptions> options, TimeProvider clock, CancellationToken ct)
    {
        Secure(http, PageSecurity);
        var access = await BoardAccess.ForPageAsync(http, name, db, clock, ct);
        if (access.Board is not { } board) return Html(access.Status, BoardPages.Message(access.Title, access.Message));
        if (http.Request.Query.ContainsKey(BoardAccess.TokenQuery))
        {
            // The token moves into a cookie for this board only, and out of the address bar and the browser history.
            http.Response.Cookies.Append(BoardAccess.CookieName(board.Name), BoardAccess.KioskToken(http, board.Name)!, new CookieOptions
            {
                HttpOnly = true, Secure = http.Request.IsHttps, SameSite = SameSiteMode.Strict, Path = "/boards/" + board.Name,
                MaxAge = TimeSpan.FromDays(400), IsEssential = true,
            });
            return Results.Redirect("/boards/" + board.Name);
        }
        var hidden = await BoardAccess.HiddenAsync(http.RequestServices, board, access.Audience!, ct);
        var snapshot = await query.ReadAsync(board, hidden, feed.Version, ct);
        return Html(200, BoardPages.Page(snapshot, options.Value, $"/boards/{board.Name}/events"));
    }

    private static async Task PageEventsAsync(string name, HttpContext http, OpsBotDbContext db, BoardFeed feed, TimeProvider clock, CancellationToken ct)
    {
        var access = await BoardAccess.ForPageAsync(http, name, db, clock, ct);
        if (access.Board is null)
        {
            http.Response.StatusCode = access.Status;
            await http.Response.WriteAsJsonAsync(new { title = access.Title, detail = access.Message }, ct);
            return;
        }
        await StreamAsync(http, feed, access.Audience!, BoardFormat.Html, ct);
    }

    private static async Task<IResult> SnapshotAsync(string name, HttpContext http, OpsBotDbContext db, BoardQuery query, BoardFeed feed, CustomerAccess access, CancellationToken ct)
    {
        if (await BoardAccess.FindAsync(db, name, ct) is not { } board) return Results.Problem(statusCode: 404, title: "No such board", detail: BoardAccess.NotFound(name));
        var viewer = access.ApiViewer(http.User);
        return Results.Ok(await query.ReadAsync(board, await access.HiddenFromAsync(viewer, ct), feed.Version, ct));
    }

    private static async Task<IResult> ApiEventsAsync(string name, HttpContext http, OpsBotDbContext db, BoardFeed feed, CustomerAccess access, CancellationToken ct)
    {
        if (await BoardAccess.FindAsync(db, name, ct) is not { } board) return Results.Problem(statusCode: 404, title: "No such board", detail: BoardAccess.NotFound(name));
        await StreamAsync(http, feed, BoardAudience.ForViewer(board.Name, access.ApiViewer(http.User)), BoardFormat.Json, ct);
        // The stream has been written (or aborted): nothing more to execute. A null IResult made the framework throw at the end of
        // every API stream (InvalidOperationException, logged as an unhandled error three times per stream).
        return Results.Empty;
    }

    /// <summary>Writes a subscription's events until the client goes, the feed ends the stream, or the client falls behind (then the connection is dropped).</summary>
    private static async Task StreamAsync(HttpContext http, BoardFeed feed, BoardAudience audience, BoardFormat format, CancellationToken ct)
    {
        using var subscription = feed.Subscribe(audience, format);
        if (subscription is null)
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.RetryAfter = "30";
            await http.Response.WriteAsJsonAsync(new { title = "Too many board streams", detail = "This server has as many board streams open as Boards:MaxStreams allows; try again shortly." }, ct);
            return;
        }
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache, no-store";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var body = http.Response.Body;
        try
        {
            await body.WriteAsync("retry: 2000\n\n"u8.ToArray(), ct);
            await body.FlushAsync(ct);
            await foreach (var frame in subscription.Events.ReadAllAsync(ct))
            {
                await body.WriteAsync(frame, ct);
                await body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        if (subscription.Dropped) http.Abort();
    }

    private static async Task<IResult> TabAsync(HttpContext http, OpsBotDbContext db, CancellationToken ct, string? board = null)
    {
        Secure(http, TabSecurity);
        if (string.IsNullOrEmpty(board))
        {
            var first = await db.Boards.AsNoTracking().OrderBy(b => b.Id).Select(b => b.Name).FirstOrDefaultAsync(ct);
            return first is null
                ? Html(200, BoardPages.Message("No boards yet", "An OpsBot admin adds one in chat: board add operation."))
                : Results.Redirect("/tab?board=" + Uri.EscapeDataString(first));
        }
        if (!BoardAccess.IsValidName(board)) return Html(404, BoardPages.Message("No such board", BoardAccess.NotFound(board)));
        return Html(200, TabShell(board));
    }

    private static IResult TabConfig(HttpContext http)
    {
        Secure(http, TabSecurity);
        return Html(200, $$"""
            <!DOCTYPE html>
            <html lang="en" class="tab tab-config">
            <head><meta charset="utf-8"><title>Choose a board · OpsBot</title>
            <link rel="stylesheet" href="/boards/assets/board.css">
            <script src="{{TeamsJsUrl}}" crossorigin="anonymous"></script>
            <script src="/boards/assets/board.js" defer></script></head>
            <body><div id="offline" hidden><span id="offline-since"></span></div>
            <main id="board" class="picker"><h1>Which board should this tab show?</h1>
            <label for="board-picker">Board</label><select id="board-picker"><option value="">Choose a board…</option></select></main>
            </body></html>
            """);
    }

    private static async Task<IResult> TabBoardsAsync(HttpContext http, OpsBotDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (!http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
            return Results.Problem(statusCode: 401, title: "Sign-in needed", detail: "Send the Teams SSO token as Authorization: Bearer.");
        var result = await Microsoft.AspNetCore.Authentication.AuthenticationHttpContextExtensions.AuthenticateAsync(http, BoardAccess.TabScheme);
        if (!result.Succeeded) return Results.Problem(statusCode: 401, title: "Sign-in not accepted", detail: "Your Teams sign-in could not be verified.");
        return Results.Ok(await db.Boards.AsNoTracking().OrderBy(b => b.Name).Select(b => new { b.Name, b.Title }).ToListAsync(ct));
    }

    private static string TabShell(string board) => $$"""
        <!DOCTYPE html>
        <html lang="en" class="tab">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{WebUtility.HtmlEncode(board)}} · OpsBot board</title>
        <link rel="stylesheet" href="/boards/assets/board.css">
        <script src="{{TeamsJsUrl}}" crossorigin="anonymous"></script>
        <script src="/boards/assets/board.js" defer></script>
        </head>
        <body data-events="/boards/{{board}}/events" data-rotate="12">
        <div id="offline" class="offline" role="alert" hidden>Not live since <span id="offline-since"></span>: reconnecting…</div>
        <main id="board" aria-live="polite"><p class="empty">Signing in with Teams…</p></main>
        </body>
        </html>
        """;

    private static void Secure(HttpContext http, string policy)
    {
        http.Response.Headers.ContentSecurityPolicy = policy;
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers.XContentTypeOptions = "nosniff";
    }

    private static IResult Html(int status, string html) => Results.Content(html, "text/html; charset=utf-8", statusCode: status);

    private static byte[] Resource(string file)
    {
        using var stream = typeof(BoardEndpoints).Assembly.GetManifestResourceStream("OpsBot.Boards.Assets." + file)
            ?? throw new InvalidOperationException($"The board asset {file} is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
