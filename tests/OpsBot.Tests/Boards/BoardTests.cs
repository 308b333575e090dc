using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Api;
using OpsBot.Boards;
using OpsBot.Commitments;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Boards;

/// <summary>
/// Live boards through chat (<c>board …</c>), the TV page and its kiosk links, the read API and its stream, and the Teams tab's
/// sign-in (tokens from a loopback OpenID server), on the real store.
/// </summary>
public abstract partial class BoardTests(DatabaseProvider provider) : IAsyncLifetime
{
    private const string ApiKey = "wms-key";
    private const string TrustedKey = "erp-key";
    private const string Admin = "29:admin";
    private const string Member = "29:member";
    private const string MemberOid = "11111111-2222-3333-4444-555555555555";
    private const string OutsiderOid = "99999999-2222-3333-4444-555555555555";
    private const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private const string TabAudience = "api://opsbot.example.com/00000000-0000-0000-0000-000000000001";
    private FakeConnector _connector = null!;
    private FakeOpenIdServer _idp = null!;
    private readonly TestSigningKey _key = new("tab-key");
    private OpsBotFactory _app = null!;
    private HttpClient _api = null!;
    private HttpClient _trusted = null!;
    private HttpClient _web = null!;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _idp = await FakeOpenIdServer.StartAsync();
        _idp.PublishEntraKey(_key);
        _app = new OpsBotFactory(provider, await ConnectionStringAsync());
        var s = _app.Settings;
        s["Bot:AllowUnauthenticated"] = "true";
        s["Alerts:TimerInterval"] = "01:00:00";
        s["Alerts:ServiceUrl"] = _connector.ServiceUrl;
        s["Api:Keys:wms"] = ApiKeyHandler.Hash(ApiKey);
        s["Api:Keys:erp"] = ApiKeyHandler.Hash(TrustedKey);
        s["Customers:TrustedApiClients:0"] = "erp";
        s["People:Admins:0"] = Admin;
        s["Customers:Seed:0:Number"] = "ACME-DE";
        s["Customers:Seed:0:Name"] = "Acme Deutschland GmbH";
        s["Customers:Seed:0:ShipToSites:0"] = "Hamburg plant";
        s["Customers:Seed:1:Number"] = "SECRET";
        s["Customers:Seed:1:Name"] = "Secret Industries";
        s["Customers:Seed:1:Restricted"] = "true";
        s["Customers:Seed:1:AllowedUsers:0"] = Member;
        s["Customers:Seed:1:AllowedUsers:1"] = MemberOid;
        s["Alerts:Kpis:otif:Account"] = "ACME-DE";
        s["Alerts:Kpis:otif:Direction"] = "Below";
        s["Alerts:Kpis:otif:Warning"] = "95";
        s["Alerts:Kpis:otif:Critical"] = "90";
        s["Alerts:Kpis:otif:Unit"] = "%";
        s["Boards:Debounce"] = "00:00:00.050";
        s["Boards:Tab:TenantId"] = Tenant;
        s["Boards:Tab:Audience"] = TabAudience;
        s["Boards:Tab:MetadataAddress"] = _idp.EntraMetadataUrl;
        s["Boards:Tab:RequireHttpsMetadata"] = "false";
        _api = _app.CreateClient();
        _api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        _trusted = _app.CreateClient();
        _trusted.DefaultRequestHeaders.Add("X-Api-Key", TrustedKey);
        _web = _app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
        await _idp.DisposeAsync();
        _key.Dispose();
    }

    /// <summary>What OpsBot answered <paramref name="user"/> in chat.</summary>
    private async Task<string> AskAsync(string text, string user = Admin)
    {
        var conversation = "a:personal-" + user;
        var before = _connector.Posts.Count();
        (await _app.CreateClient().PostActivityAsync(Activities.Message(_connector.ServiceUrl, text, user, "Person " + user, conversation))).EnsureSuccessStatusCode();
        var path = "/v3/conversations/" + Uri.EscapeDataString(conversation) + "/";
        return _connector.Posts.Skip(before).Single(p => p.Path.Contains(path, StringComparison.Ordinal)).Body!["text"]!.GetValue<string>();
    }

    private async Task RaiseAsync(string customer, string impact, int severity)
    {
        var answer = await _trusted.PostAsJsonAsync("/api/alerts", new { customer, kind = "late-shipment", impact, severity });
        Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
    }

    private async Task<string> TokenLinkAsync(string board)
    {
        var reply = await AskAsync($"board token create {board} lobby TV");
        return TokenLink().Match(reply).Value;
    }

    [GeneratedRegex(@"/boards/[a-z0-9-]+\?token=obk_[A-Za-z0-9_-]+")]
    private static partial Regex TokenLink();

    [Fact]
    public async Task Admins_define_boards_and_everyone_lists_them_while_others_are_refused_and_audited()
    {
        Assert.Contains("no boards yet", await AskAsync("board list", Member), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Only OpsBot admins", await AskAsync("board add operation", Member), StringComparison.Ordinal);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "access-denied" && a.EntityType == "Board")));

        Assert.Contains("Board **operation** added", await AskAsync("board add operation \"Customer operations\""), StringComparison.Ordinal);
        Assert.Contains("Board **acme** added", await AskAsync("board add acme customer ACME-DE"), StringComparison.Ordinal);
        Assert.Contains("Board **emea** added", await AskAsync("board add emea region de,fr"), StringComparison.Ordinal);
        Assert.Contains("already a board named operation", await AskAsync("board add operation"), StringComparison.Ordinal);
        Assert.Contains("lower-case letters", await AskAsync("board add Bad_Name"), StringComparison.Ordinal);
        Assert.Contains("couldn't find", await AskAsync("board add nobody customer NO-SUCH-CUSTOMER"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Usage", await AskAsync("board frobnicate"), StringComparison.Ordinal);

        var list = await AskAsync("board list", Member);
        Assert.Contains("**operation**: Customer operations, the whole operation", list, StringComparison.Ordinal);
        Assert.Contains("**acme**: Acme Deutschland GmbH, one customer and its subsidiaries", list, StringComparison.Ordinal);
        Assert.Contains("**emea**: Emea, customers with a site in DE, FR", list, StringComparison.Ordinal);

        Assert.Contains("removed", await AskAsync("board remove emea"), StringComparison.Ordinal);
        Assert.DoesNotContain("emea", await AskAsync("board list"), StringComparison.Ordinal);
        var audit = await _app.WithDbAsync(db => db.AuditEntries.Where(a => a.EntityType == "Board").Select(a => a.Action).ToListAsync());
        Assert.Equal(3, audit.Count(a => a == "board-added"));
        Assert.Contains("board-removed", audit);
    }

    [Fact]
    public async Task A_kiosk_link_opens_one_board_read_only_without_restricted_customers_until_an_admin_allows_them_and_stops_when_revoked()
    {
        await AskAsync("board add operation");
        await AskAsync("board add other");
        await RaiseAsync("ACME-DE", "Line 3 stopped, 40 pallets late", 1);
        await RaiseAsync("SECRET", "Secret plant waiting for parts", 2);

        var none = await _web.GetAsync("/boards/operation");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        var noneBody = await none.Content.ReadAsStringAsync();
        Assert.Contains("needs a board link", noneBody, StringComparison.Ordinal);
        Assert.DoesNotContain("Line 3", noneBody, StringComparison.Ordinal);

        var link = await TokenLinkAsync("operation");
        Assert.NotEmpty(link);
        var token = link[(link.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        Assert.DoesNotContain(token, await _app.WithDbAsync(db => db.BoardTokens.Select(t => t.Hash).SingleAsync()), StringComparison.Ordinal);

        // The link sets a cookie for this board's path only and sends the display to the clean address.
        var opened = await _web.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, opened.StatusCode);
        Assert.Equal("/boards/operation", opened.Headers.Location!.OriginalString);
        var cookie = Assert.Single(opened.Headers.GetValues("Set-Cookie"));
        Assert.Contains("path=/boards/operation", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);

        var page = await PageAsync("/boards/operation", cookie);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("Line 3 stopped", page.Body, StringComparison.Ordinal);
        Assert.Contains("✖ Critical", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", page.Body, StringComparison.Ordinal);
        Assert.NotNull(await _app.WithDbAsync(db => db.BoardTokens.Select(t => t.LastUsedAt).SingleAsync()));

        // The same token does not open another board.
        Assert.Equal(HttpStatusCode.Unauthorized, (await _web.GetAsync("/boards/other?token=" + token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _web.GetAsync("/boards/operation?token=obk_forged")).StatusCode);

        Assert.Contains("now show restricted customers", await AskAsync("board restricted operation on"), StringComparison.Ordinal);
        Assert.Contains("Secret plant waiting", (await PageAsync("/boards/operation", cookie)).Body, StringComparison.Ordinal);

        var tokens = await AskAsync("board token list operation");
        Assert.Contains("lobby TV", tokens, StringComparison.Ordinal);
        Assert.Contains("last used", tokens, StringComparison.Ordinal);
        var id = await _app.WithDbAsync(db => db.BoardTokens.Select(t => t.Id).SingleAsync());
        Assert.Contains("revoked", await AskAsync($"board token revoke operation {id}"), StringComparison.Ordinal);
        var revoked = await PageAsync("/boards/operation", cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.Status);
        Assert.Contains("access was revoked", revoked.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Line 3", revoked.Body, StringComparison.Ordinal);
        Assert.Contains("already revoked", await AskAsync($"board token revoke operation {id}"), StringComparison.Ordinal);
        Assert.Contains("revoked", await AskAsync("board token list operation"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_board_is_a_404_that_says_so_on_every_path()
    {
        var api = await _api.GetAsync("/api/boards/nope");
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Contains("no board named 'nope'", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.GetAsync("/api/boards/nope/events")).StatusCode);

        var tab = new HttpRequestMessage(HttpMethod.Get, "/boards/nope");
        tab.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TabToken(MemberOid));
        var page = await _web.SendAsync(tab);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("There is no board named", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.CreateClient().GetAsync("/api/boards/nope")).StatusCode);
    }

    [Fact]
    public async Task The_snapshot_shows_alerts_kpis_complaints_commitments_and_overdue_forms_and_leaves_out_what_the_client_may_not_see()
    {
        await AskAsync("board add operation");
        await RaiseAsync("ACME-DE", "Line 3 stopped", 1);
        await RaiseAsync("ACME-DE", "Labels missing", 3);
        await RaiseAsync("SECRET", "Secret plant waiting", 2);
        foreach (var value in new[] { 97m, 96m, 93m })
            (await _trusted.PostAsJsonAsync("/api/kpis/otif/readings", new { value })).EnsureSuccessStatusCode();
        await SeedWorkAsync();

        // Two raised by hand, one by the KPI crossing its warning level; the restricted customer's is left out.
        var ordinary = (await _api.GetFromJsonAsync<JsonObject>("/api/boards/operation"))!;
        Assert.Equal(3, ordinary["openAlerts"]!.GetValue<int>());
        Assert.Equal(1, ordinary["openAlertsBySeverity"]!.AsArray().Single(c => c!["severity"]!.GetValue<int>() == 1)!["count"]!.GetValue<int>());
        Assert.Equal(0, ordinary["openAlertsBySeverity"]!.AsArray().Single(c => c!["severity"]!.GetValue<int>() == 2)!["count"]!.GetValue<int>());
        Assert.Equal("Line 3 stopped", ordinary["alerts"]![0]!["impact"]!.GetValue<string>());
        var kpi = ordinary["kpis"]!.AsArray().Single()!;
        Assert.Equal("otif", kpi["name"]!.GetValue<string>());
        Assert.Equal(93m, kpi["value"]!.GetValue<decimal>());
        Assert.Equal("Warning", kpi["level"]!.GetValue<string>());
        Assert.NotEmpty(kpi["spark"]!.AsArray());
        var complaint = ordinary["complaints"]!.AsArray().Single()!;
        Assert.Equal("acknowledge", complaint["clock"]!.GetValue<string>());
        Assert.True(complaint["overdue"]!.GetValue<bool>());
        Assert.Equal("OPP-WEEK", ordinary["commitmentsDue"]!.AsArray().Single()!["opportunity"]!.GetValue<string>());
        var overdue = ordinary["overdueForms"]!.AsArray().Single()!;
        Assert.Equal("OrderDesk", overdue["role"]!.GetValue<string>());
        Assert.Equal(1, overdue["count"]!.GetValue<int>());
        Assert.DoesNotContain("Secret", ordinary.ToJsonString(), StringComparison.Ordinal);

        var trusted = (await _trusted.GetFromJsonAsync<JsonObject>("/api/boards/operation"))!;
        Assert.Equal(4, trusted["openAlerts"]!.GetValue<int>());
        Assert.Contains("Secret plant waiting", trusted.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_stream_pushes_a_new_alert_within_two_seconds_and_an_acknowledged_alert_leaves_the_open_list()
    {
        await AskAsync("board add operation");
        using var stream = await EventStream.OpenAsync(_api, "/api/boards/operation/events");
        var first = await stream.NextAsync("board", TimeSpan.FromSeconds(5));
        Assert.Equal(0, first["openAlerts"]!.GetValue<int>());

        await RaiseAsync("ACME-DE", "Line 3 stopped", 1);
        var raised = System.Diagnostics.Stopwatch.StartNew();
        var next = await stream.NextMatchingAsync("board", e => e["openAlerts"]!.GetValue<int>() == 1, TimeSpan.FromSeconds(2));
        Assert.True(raised.Elapsed < TimeSpan.FromSeconds(2), $"the new alert took {raised.Elapsed} to reach the stream");
        Assert.Equal("Line 3 stopped", next["alerts"]![0]!["impact"]!.GetValue<string>());

        await _app.WithDbAsync(db => db.Alerts.ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, OpsBot.Alerts.AlertStatus.Resolved)));
        var cleared = await stream.NextMatchingAsync("board", e => e["openAlerts"]!.GetValue<int>() == 0, TimeSpan.FromSeconds(2));
        Assert.Empty(cleared["alerts"]!.AsArray());
    }

    [Fact]
    public async Task The_tab_sees_what_its_signed_in_person_may_see_and_refuses_tokens_for_another_audience_tenant_or_time()
    {
        await AskAsync("board add operation");
        await RaiseAsync("SECRET", "Secret plant waiting", 2);
        await RaiseAsync("ACME-DE", "Line 3 stopped", 1);

        var member = await TabPageAsync(TabToken(MemberOid));
        Assert.Equal(HttpStatusCode.OK, member.Status);
        Assert.Contains("Secret plant waiting", member.Body, StringComparison.Ordinal);
        var outsider = await TabPageAsync(TabToken(OutsiderOid));
        Assert.Equal(HttpStatusCode.OK, outsider.Status);
        Assert.Contains("Line 3 stopped", outsider.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", outsider.Body, StringComparison.Ordinal);

        foreach (var (token, reason) in new[]
        {
            (TabToken(MemberOid, audience: "api://someone-else/1"), "another application"),
            (TabToken(MemberOid, tenant: "00000000-0000-0000-0000-000000000000"), "another tenant"),
            (TabToken(MemberOid, expires: DateTimeOffset.UtcNow.AddMinutes(-10)), "expired"),
            (TestTokens.Rs256(new TestSigningKey("tab-key"), TabPayload(MemberOid)), "signature"),
        })
        {
            var refused = await TabPageAsync(token);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
            Assert.Contains(reason, refused.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("Line 3", refused.Body, StringComparison.Ordinal);
        }

        var boards = new HttpRequestMessage(HttpMethod.Get, "/tab/boards");
        boards.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TabToken(OutsiderOid));
        var list = await (await _web.SendAsync(boards)).Content.ReadFromJsonAsync<JsonArray>();
        Assert.Equal("operation", list!.Single()!["name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _web.GetAsync("/tab/boards")).StatusCode);
        var shell = await _web.GetAsync("/tab?board=operation");
        Assert.Equal(HttpStatusCode.OK, shell.StatusCode);
        Assert.Contains("frame-ancestors https://teams.microsoft.com", shell.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_does_not_read_is_dropped_without_holding_back_the_others_and_streams_are_limited()
    {
        await AskAsync("board add operation");
        var feed = _app.Services.GetRequiredService<BoardFeed>();
        using var reader = await EventStream.OpenAsync(_api, "/api/boards/operation/events");
        await reader.NextAsync("board", TimeSpan.FromSeconds(5));
        using var stalled = feed.Subscribe(BoardAudience.ForViewer("operation", OpsBot.Customers.Viewer.System), BoardFormat.Json)!;

        for (var i = 0; i < 8; i++)
        {
            await RaiseAsync("ACME-DE", $"Problem {i}", 3);
            await reader.NextMatchingAsync("board", e => e["openAlerts"]!.GetValue<int>() == i + 1, TimeSpan.FromSeconds(15));
        }
        Assert.True(stalled.Dropped, "the stream that was never read is still open");

        var limited = new OpsBotFactory(provider, await ConnectionStringAsync());
        await using (limited)
        {
            limited.Settings["Boards:MaxStreams"] = "1";
            limited.Settings["Api:Keys:wms"] = ApiKeyHandler.Hash(ApiKey);
            var client = limited.CreateClient();
            client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
            await limited.WithDbAsync(async db =>
            {
                db.Boards.Add(new Board { Name = "operation", Title = "Operation", CreatedAt = DateTime.UtcNow, CreatedBy = "test" });
                return await db.SaveChangesAsync();
            });
            using var one = await EventStream.OpenAsync(client, "/api/boards/operation/events");
            var second = await client.GetAsync("/api/boards/operation/events", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
            Assert.NotNull(second.Headers.RetryAfter);
        }
    }

    private async Task<(HttpStatusCode Status, string Body)> PageAsync(string path, string cookie)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie.Split(';')[0]);
        var answer = await _web.SendAsync(request);
        return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
    }

    private async Task<(HttpStatusCode Status, string Body)> TabPageAsync(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/boards/operation");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var answer = await _web.SendAsync(request);
        return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
    }

    private string TabToken(string oid, string? audience = null, string? tenant = null, DateTimeOffset? expires = null) =>
        TestTokens.Rs256(_key, TabPayload(oid, audience, tenant, expires));

    private static JsonObject TabPayload(string oid, string? audience = null, string? tenant = null, DateTimeOffset? expires = null) =>
        TestTokens.PersonPayload(tenant ?? Tenant, audience ?? TabAudience, oid, expires);

    /// <summary>A complaint past its acknowledge clock, a delivery due in three days, and an order-desk form two days late.</summary>
    private async Task SeedWorkAsync()
    {
        var now = DateTime.UtcNow;
        var acme = await _app.WithDbAsync(db => db.Customers.Where(c => c.Number == "ACME-DE").Select(c => c.Id).SingleAsync());
        await _app.WithDbAsync(async db =>
        {
            db.Escalations.Add(new Escalation
            {
                IdempotencyKey = "board-test", CustomerId = acme, Account = "Acme Deutschland GmbH", Summary = "Wrong parts", RepUserId = "29:rep", RepName = "Rita Rep",
                ServiceUrl = _connector.ServiceUrl, TenantId = Activities.TenantId, Status = EscalationStatus.Assigned, CreatedAt = now.AddHours(-6), AssignedAt = now.AddHours(-6),
                AcknowledgeDueAt = now.AddHours(-2), ContactDueAt = now.AddHours(4), ResolveDueAt = now.AddDays(3), LastActionAt = now.AddHours(-6),
            });
            db.Commitments.Add(Commitment(acme, "OPP-WEEK", DateOnly.FromDateTime(now).AddDays(3), now, new DownstreamForm { Kind = FormKind.SalesOrderDraft, Role = OwnerRole.OrderDesk, DueAt = now.AddDays(-2) }));
            db.Commitments.Add(Commitment(acme, "OPP-LATER", DateOnly.FromDateTime(now).AddDays(30), now,
                new DownstreamForm { Kind = FormKind.SalesOrderDraft, Role = OwnerRole.OrderDesk, DueAt = now.AddDays(-1), Status = FormStatus.Confirmed }));
            return await db.SaveChangesAsync();
        });
    }

    private Commitment Commitment(int customer, string opportunity, DateOnly delivery, DateTime now, DownstreamForm form) => new()
    {
        OpportunityId = opportunity, CustomerId = customer, CustomerName = "Acme Deutschland GmbH", MasterAgreementRef = "MSA-1", CustomerPoNumber = "PO-" + opportunity,
        CommittedValue = 250000, Currency = "EUR", CommitDate = DateOnly.FromDateTime(now), RequestedDeliveryDate = delivery, ShipToSite = "Hamburg plant",
        BillToSite = "Hamburg plant", PaymentTerms = "NET30", AccountOwnerId = "29:rep", AccountOwnerName = "Rita Rep", CreatedById = "29:rep", CreatedByName = "Rita Rep",
        CreatedAt = now, UpdatedById = "29:rep", UpdatedByName = "Rita Rep", UpdatedAt = now, ServiceUrl = _connector.ServiceUrl, TenantId = Activities.TenantId, Forms = [form],
    };
}

public sealed class SqliteBoardTests() : BoardTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresBoardTests(PostgresServer server) : BoardTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
