using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OpsBot.Api;
using OpsBot.Testing;

namespace OpsBot.Tests.Boards;

/// <summary>
/// The board pages in real headless Chromium (Debian's <c>/usr/bin/chromium</c>, driven by Microsoft.Playwright) against OpsBot
/// as a separate process on a SQLite file, so that it can be restarted under an open page. With <c>OPSBOT_WRITE_SCREENSHOTS=1</c>
/// (<c>./build.sh screenshots</c>) the TV page and the tab are saved to <c>docs/boards/</c>.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class BoardBrowserTests : IAsyncLifetime
{
    private const string ApiKey = "erp-key";
    private const string Admin = "29:admin";
    private const string MemberOid = "11111111-2222-3333-4444-555555555555";
    private const string OutsiderOid = "99999999-2222-3333-4444-555555555555";
    private const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private const string TabAudience = "api://opsbot.example.com/00000000-0000-0000-0000-000000000001";
    private static readonly TimeSpan Live = TimeSpan.FromSeconds(2);
    private readonly string _folder = Directory.CreateTempSubdirectory("opsbot-boards-").FullName;
    private readonly TestSigningKey _key = new("tab-key");
    private readonly Dictionary<string, string> _environment = [];
    private FakeConnector _connector = null!;
    private FakeOpenIdServer _idp = null!;
    private OpsBotProcess _app = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private HttpClient _api = null!;

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _idp = await FakeOpenIdServer.StartAsync();
        _idp.PublishEntraKey(_key);
        _environment["Database:Provider"] = "Sqlite";
        _environment["Database:ConnectionString"] = $"Data Source={Path.Combine(_folder, "opsbot.db")}";
        _environment["Bot:AllowUnauthenticated"] = "true";
        _environment["Api:Keys:erp"] = ApiKeyHandler.Hash(ApiKey);
        _environment["Customers:TrustedApiClients:0"] = "erp";
        _environment["People:Admins:0"] = Admin;
        _environment["Alerts:ServiceUrl"] = _connector.ServiceUrl;
        _environment["Customers:Seed:0:Number"] = "ACME-DE";
        _environment["Customers:Seed:0:Name"] = "Acme Deutschland GmbH";
        _environment["Customers:Seed:1:Number"] = "SECRET";
        _environment["Customers:Seed:1:Name"] = "Secret Industries";
        _environment["Customers:Seed:1:Restricted"] = "true";
        _environment["Customers:Seed:1:AllowedUsers:0"] = MemberOid;
        _environment["Alerts:Kpis:otif:Account"] = "ACME-DE";
        _environment["Alerts:Kpis:otif:Direction"] = "Below";
        _environment["Alerts:Kpis:otif:Warning"] = "95";
        _environment["Alerts:Kpis:otif:Critical"] = "90";
        _environment["Alerts:Kpis:otif:Unit"] = "%";
        _environment["Boards:Tab:TenantId"] = Tenant;
        _environment["Boards:Tab:Audience"] = TabAudience;
        _environment["Boards:Tab:MetadataAddress"] = _idp.EntraMetadataUrl;
        _environment["Boards:Tab:RequireHttpsMetadata"] = "false";
        await OpsBotProcess.MigrateAsync(_environment);
        _app = await OpsBotProcess.StartAsync(_environment);
        _api = new HttpClient { BaseAddress = new Uri(_app.Url) };
        _api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium",
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        await AskAsync("board add operation \"Customer operations\"");
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
        await _idp.DisposeAsync();
        _key.Dispose();
        _api.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_new_alert_appears_within_two_seconds_and_leaves_the_open_list_when_acknowledged()
    {
        var page = await OpenKioskAsync();
        await Expect(page.Locator("section.alerts .empty")).ToHaveTextAsync("✔ No open alerts.");

        var id = await RaiseAsync("ACME-DE", "Line 3 stopped, 40 pallets late", 1);
        var raised = Stopwatch.StartNew();
        var row = page.Locator($"[data-alert='{id}']");
        await Expect(row).ToBeVisibleAsync(new() { Timeout = (float)Live.TotalMilliseconds });
        Assert.True(raised.Elapsed < Live, $"the alert took {raised.Elapsed} to show");
        await Expect(row).ToContainTextAsync("✖ Critical");
        await Expect(row).ToContainTextAsync("Line 3 stopped");
        Assert.Equal("rgb(255, 123, 114)", await row.Locator(".badge").EvaluateAsync<string>("e => getComputedStyle(e).color"));

        var alert = await _api.GetFromJsonAsync<JsonObject>($"/api/alerts/{id}");
        var ack = Activities.Execute(_connector.ServiceUrl, "alert.ack", new JsonObject { ["alertId"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["version"] = alert!["version"]!.GetValue<int>() }, Admin);
        (await new HttpClient { BaseAddress = new Uri(_app.Url) }.PostActivityAsync(ack)).EnsureSuccessStatusCode();
        await Expect(row).ToHaveCountAsync(0, new() { Timeout = (float)Live.TotalMilliseconds });
        await Expect(page.Locator("section.alerts .empty")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_kpi_tile_changes_level_and_colour_when_a_reading_crosses_a_level()
    {
        await ReadingAsync(97);
        var page = await OpenKioskAsync();
        var tile = page.Locator("[data-kpi='otif']");
        await Expect(tile).ToContainTextAsync("✔ Normal");
        var normal = await tile.EvaluateAsync<string>("e => getComputedStyle(e).borderLeftColor");

        await ReadingAsync(88);
        await Expect(tile).ToContainTextAsync("✖ Critical", new() { Timeout = (float)Live.TotalMilliseconds });
        await Expect(tile).ToContainTextAsync("88%");
        await Expect(tile).ToHaveClassAsync(new Regex("level-critical"));
        Assert.NotEqual(normal, await tile.EvaluateAsync<string>("e => getComputedStyle(e).borderLeftColor"));
    }

    [Fact]
    public async Task The_page_says_it_is_not_live_while_the_server_is_down_and_catches_up_by_itself_after_the_restart()
    {
        var page = await OpenKioskAsync();
        Assert.True(await _app.StopAsync());
        await Expect(page.Locator("#offline")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Expect(page.Locator("#offline")).ToContainTextAsync(new Regex(@"Not live since \d\d:\d\d"));

        await _app.DisposeAsync();
        _app = await OpsBotProcess.StartAsync(_environment, _app.Url);
        var id = await RaiseAsync("ACME-DE", "Raised after the restart", 2);
        await Expect(page.Locator($"[data-alert='{id}']")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Expect(page.Locator("#offline")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task A_revoked_link_turns_the_open_page_into_the_revoked_message()
    {
        await RaiseAsync("ACME-DE", "Line 3 stopped", 1);
        var page = await OpenKioskAsync();
        await Expect(page.Locator("section.alerts")).ToContainTextAsync("Line 3 stopped");

        Assert.Contains("revoked", await AskAsync("board token revoke operation 1"), StringComparison.Ordinal);
        await Expect(page.Locator("main")).ToContainTextAsync("access was revoked", new() { Timeout = 5_000 });
        await Expect(page.Locator("main")).Not.ToContainTextAsync("Line 3");

        await page.ReloadAsync();
        await Expect(page.Locator("main")).ToContainTextAsync("access was revoked");
    }

    [Fact]
    public async Task The_page_fits_1080p_without_scrollbars_has_no_text_under_24px_and_no_serious_accessibility_violation()
    {
        for (var i = 1; i <= 12; i++) await RaiseAsync("ACME-DE", $"Shipment {i} is late at the Hamburg plant dock {i}", i % 4 + 1);
        await ReadingAsync(93);
        var page = await OpenKioskAsync(bypassCsp: true);
        await Expect(page.Locator("section.alerts .page").First).ToBeVisibleAsync();

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth"),
            "the board needs scrolling at 1920×1080");
        Assert.Equal(2, await page.Locator("section.alerts > .page").CountAsync());
        Assert.Equal(1, await page.Locator("section.alerts > .page:not([hidden])").CountAsync());
        var smallest = await page.EvaluateAsync<double>(
            "() => Math.min(...[...document.querySelectorAll('main *')].filter(e => e.childNodes.length && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())).map(e => parseFloat(getComputedStyle(e).fontSize)))");
        Assert.True(smallest >= 24, $"the smallest text is {smallest}px");

        await page.AddScriptTagAsync(new() { Path = Path.Combine(NodePeers.PeersFolder, "node_modules", "axe-core", "axe.min.js") });
        var result = await page.EvaluateAsync<JsonElement>("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }))");
        var serious = result.EnumerateArray().Where(v => v.GetProperty("impact").GetString() is "serious" or "critical").Select(v => v.ToString()).ToList();
        Assert.True(serious.Count == 0, "axe-core: " + string.Join("; ", serious));

        await ScreenshotAsync(page, "tv.png");
    }

    [Fact]
    public async Task The_tab_signs_in_through_Teams_and_shows_only_what_its_person_may_see()
    {
        await RaiseAsync("SECRET", "Secret plant waiting for parts", 2);
        await RaiseAsync("ACME-DE", "Line 3 stopped", 1);

        var outsider = await OpenTabAsync(OutsiderOid);
        await Expect(outsider.Locator("section.alerts")).ToContainTextAsync("Line 3 stopped", new() { Timeout = 10_000 });
        await Expect(outsider.Locator("main")).Not.ToContainTextAsync("Secret");

        var member = await OpenTabAsync(MemberOid);
        await Expect(member.Locator("section.alerts")).ToContainTextAsync("Secret plant waiting", new() { Timeout = 10_000 });
        await ScreenshotAsync(member, "tab.png");

        var wrong = await OpenTabAsync(MemberOid, audience: "api://someone-else/1");
        await Expect(wrong.Locator("main")).ToContainTextAsync("another application", new() { Timeout = 10_000 });
        await Expect(wrong.Locator("main")).Not.ToContainTextAsync("Line 3");
    }

    private async Task<IPage> OpenKioskAsync(bool bypassCsp = false)
    {
        var link = TokenLink().Match(await AskAsync("board token create operation lobby TV")).Value;
        Assert.NotEmpty(link);
        var context = await _browser.NewContextAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 }, BypassCSP = bypassCsp });
        var page = await context.NewPageAsync();
        var answer = await page.GotoAsync(_app.Url + link);
        Assert.Equal(200, answer!.Status);
        Assert.EndsWith("/boards/operation", page.Url, StringComparison.Ordinal);
        await Expect(page.Locator("main h1")).ToHaveTextAsync("Customer operations");
        return page;
    }

    private async Task<IPage> OpenTabAsync(string oid, string? audience = null)
    {
        var context = await _browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var token = TestTokens.Rs256(_key, TabPayload(oid, audience));
        // The Teams client library from the CDN is replaced by Teams' part of the exchange: SSO hands the page this person's token.
        await page.RouteAsync(OpsBot.Boards.BoardEndpoints.TeamsJsUrl, route => route.FulfillAsync(new()
        {
            ContentType = "text/javascript",
            Body = "window.microsoftTeams = { app: { initialize: async () => {} }, authentication: { getAuthToken: async () => " + JsonSerializer.Serialize(token) + " } };",
        }));
        await page.GotoAsync(_app.Url + "/tab?board=operation");
        return page;
    }

    private static JsonObject TabPayload(string oid, string? audience) => TestTokens.PersonPayload(Tenant, audience ?? TabAudience, oid);

    private async Task<string> AskAsync(string text)
    {
        var conversation = "a:personal-" + Admin;
        var before = _connector.Posts.Count();
        using var bot = new HttpClient { BaseAddress = new Uri(_app.Url) };
        (await bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, text, Admin, "Ada Admin", conversation))).EnsureSuccessStatusCode();
        return _connector.Posts.Skip(before).Last(p => p.Path.Contains(Uri.EscapeDataString(conversation), StringComparison.Ordinal)).Body!["text"]!.GetValue<string>();
    }

    private async Task<long> RaiseAsync(string customer, string impact, int severity)
    {
        var answer = await _api.PostAsJsonAsync("/api/alerts", new { customer, kind = "late-shipment", impact, severity });
        Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
        return (await answer.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
    }

    private async Task ReadingAsync(decimal value) => (await _api.PostAsJsonAsync("/api/kpis/otif/readings", new { value })).EnsureSuccessStatusCode();

    private static async Task ScreenshotAsync(IPage page, string file)
    {
        if (Environment.GetEnvironmentVariable("OPSBOT_WRITE_SCREENSHOTS") != "1") return;
        var folder = Path.Combine(RepoFiles.Root, "docs", "boards");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, file) });
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [GeneratedRegex(@"/boards/operation\?token=obk_[A-Za-z0-9_-]+")]
    private static partial Regex TokenLink();
}

/// <summary>Browser tests run one at a time: each starts Chromium and an OpsBot process on the two shared cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "Browser";
}
