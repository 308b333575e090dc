using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.Api;
using OpsBot.Commitments;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Hosting;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Customers;

/// <summary>
/// The customer 360 (<c>customer &lt;anything&gt;</c> and <c>GET /api/customers/{key}</c>) and the CSV import (API and CLI), through
/// <c>/api/messages</c>, the HTTP API and the real store.
/// </summary>
public abstract class CustomerViewTests(DatabaseProvider provider) : IAsyncLifetime
{
    private const string ApiKey = "wms-key";
    private const string TrustedKey = "erp-key";
    private const string Member = "29:member";
    private const string Outsider = "29:outsider";
    private FakeConnector _connector = null!;
    private OpsBotFactory _app = null!;
    private HttpClient _api = null!;
    private HttpClient _trusted = null!;
    private HttpClient _bot = null!;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _app = new OpsBotFactory(provider, await ConnectionStringAsync());
        var s = _app.Settings;
        s["Bot:AllowUnauthenticated"] = "true";
        s["Alerts:TimerInterval"] = "01:00:00";
        s["Alerts:ServiceUrl"] = _connector.ServiceUrl;
        s["Api:Keys:wms"] = ApiKeyHandler.Hash(ApiKey);
        s["Api:Keys:erp"] = ApiKeyHandler.Hash(TrustedKey);
        s["Customers:TrustedApiClients:0"] = "erp";
        s["Customers:Seed:0:Number"] = "ACME-GLOBAL";
        s["Customers:Seed:0:Name"] = "Acme Global";
        s["Customers:Seed:0:Segment"] = "Strategic";
        s["Customers:Seed:1:Number"] = "ACME-DE";
        s["Customers:Seed:1:Name"] = "Acme Deutschland GmbH";
        s["Customers:Seed:1:Parent"] = "ACME-GLOBAL";
        s["Customers:Seed:1:OwnerName"] = "Rita Rep";
        s["Customers:Seed:1:Identifiers:0"] = "ERP:100234";
        s["Customers:Seed:1:Identifiers:1"] = "Domain:acme.de";
        s["Customers:Seed:1:ShipToSites:0"] = "Hamburg plant";
        s["Customers:Seed:1:Identifiers:2"] = "CRM:0015g00000AbCdE";
        s["Customers:Seed:1:Identifiers:3"] = "Phone:+49 40 1234567";
        s["Customers:Seed:1:Identifiers:4"] = "Tenant:72f988bf-86f1-41af-91ab-2d7cd011db47";
        s["Customers:Seed:1:Identifiers:5"] = "Tax:DE 123 456 789";
        s["Customers:Seed:2:Number"] = "SECRET";
        s["Customers:Seed:2:Name"] = "Secret Industries";
        s["Customers:Seed:2:Restricted"] = "true";
        s["Customers:Seed:2:AllowedUsers:0"] = Member;
        s["Customers:Seed:2:Identifiers:0"] = "ERP:900001";
        s["Alerts:Kpis:otif:Account"] = "ACME-DE";
        s["Alerts:Kpis:otif:Direction"] = "Below";
        s["Alerts:Kpis:otif:Warning"] = "95";
        s["Alerts:Kpis:otif:Critical"] = "90";
        s["Alerts:Kpis:otif:Unit"] = "%";
        s["Alerts:Kpis:otif:Kind"] = "late-shipment";
        _api = _app.CreateClient();
        _api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        _trusted = _app.CreateClient();
        _trusted.DefaultRequestHeaders.Add("X-Api-Key", TrustedKey);
        _bot = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
        if (provider == DatabaseProvider.Postgres) Npgsql.NpgsqlConnection.ClearAllPools();
    }

    /// <summary>What OpsBot posted to <paramref name="user"/>'s chat for <paramref name="text"/>.</summary>
    private async Task<JsonNode> AskAsync(string text, string user = Member)
    {
        var conversation = "a:personal-" + user;
        var before = _connector.Posts.Count();
        (await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, text, user, "Person " + user, conversation))).EnsureSuccessStatusCode();
        var path = "/v3/conversations/" + Uri.EscapeDataString(conversation) + "/";
        return _connector.Posts.Skip(before).Single(p => p.Path.Contains(path, StringComparison.Ordinal)).Body!;
    }

    private static JsonNode? CardOf(JsonNode post) => post["attachments"]?[0]?["content"];

    private static string Text(JsonNode node) => node.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private async Task SeedHistoryAsync()
    {
        var id = await _app.WithDbAsync(db => db.Customers.Where(c => c.Number == "ACME-DE").Select(c => c.Id).SingleAsync());
        var now = DateTime.UtcNow;
        await _app.WithDbAsync(async db =>
        {
            var commitment = new Commitment
            {
                OpportunityId = "OPP-360-1", CustomerId = id, CustomerName = "Acme Deutschland GmbH", MasterAgreementRef = "MSA-1", CustomerPoNumber = "PO-4471",
                CommittedValue = 250000, Currency = "EUR", CommitDate = DateOnly.FromDateTime(now), RequestedDeliveryDate = DateOnly.FromDateTime(now.AddDays(30)),
                ShipToSite = "Hamburg plant", BillToSite = "Hamburg plant", PaymentTerms = "Net 30", AccountOwnerId = "29:rep", AccountOwnerName = "Rita Rep",
                CreatedById = "29:rep", CreatedByName = "Rita Rep", CreatedAt = now.AddHours(-3), UpdatedById = "29:rep", UpdatedByName = "Rita Rep", UpdatedAt = now.AddHours(-3),
                ServiceUrl = _connector.ServiceUrl, TenantId = Activities.TenantId,
                Forms =
                [
                    new DownstreamForm { Kind = FormKind.SalesOrderDraft, Role = OwnerRole.OrderDesk, DueAt = now.AddDays(-1) },
                    new DownstreamForm { Kind = FormKind.CommissionCredit, Role = OwnerRole.SalesOps, DueAt = now.AddDays(2), Status = FormStatus.Confirmed, ConfirmedAt = now },
                ],
            };
            db.Commitments.Add(commitment);
            db.Escalations.Add(new Escalation
            {
                IdempotencyKey = "k1", CustomerId = id, Account = "ACME-DE", Summary = "Pallets arrived crushed", RepUserId = "29:rep", RepName = "Rita Rep",
                ServiceUrl = _connector.ServiceUrl, TenantId = Activities.TenantId, Status = EscalationStatus.Assigned, CreatedAt = now.AddHours(-2), AssignedAt = now.AddHours(-2),
                AcknowledgeDueAt = now, ContactDueAt = now, ResolveDueAt = now, LastActionAt = now,
            });
            db.Escalations.Add(new Escalation
            {
                IdempotencyKey = "k2", CustomerId = id, Account = "ACME-DE", Summary = "Late invoice", RepUserId = "29:rep", RepName = "Rita Rep",
                ServiceUrl = _connector.ServiceUrl, TenantId = Activities.TenantId, Status = EscalationStatus.Resolved, CreatedAt = now.AddDays(-20), AssignedAt = now.AddDays(-20),
                ResolvedAt = now.AddDays(-19), CustomerSatisfied = true, AcknowledgeDueAt = now, ContactDueAt = now, ResolveDueAt = now, LastActionAt = now,
            });
            return await db.SaveChangesAsync();
        });
        (await _api.PostAsJsonAsync("/api/kpis/otif/readings", new { value = 88 })).EnsureSuccessStatusCode();
        (await _api.PostAsJsonAsync("/api/alerts", new { customer = "ERP:100234", kind = "order-error", impact = "Wrong part numbers on order 77", severity = 2 })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Customer_by_any_identifier_shows_the_360_card_with_buttons_that_start_prefilled_flows()
    {
        await SeedHistoryAsync();

        var card = CardOf(await AskAsync("customer ERP:100234"))!;
        var text = Text(card);

        Assert.Equal("Acme Deutschland GmbH", card["body"]![0]!["text"]!.GetValue<string>());
        Assert.Contains("Parent", text, StringComparison.Ordinal);
        Assert.Contains("Acme Global (ACME-GLOBAL)", text, StringComparison.Ordinal);
        Assert.Contains("ERP:100234", text, StringComparison.Ordinal);
        Assert.Contains("DOMAIN:acme.de", text, StringComparison.Ordinal);
        Assert.Contains("Ship-to: Hamburg plant", text, StringComparison.Ordinal);
        Assert.Contains("Rita Rep", text, StringComparison.Ordinal);
        Assert.Contains("OPP-360-1 · PO PO-4471 · 250,000.00 EUR", text, StringComparison.Ordinal);
        Assert.Contains("⚠ SalesOrderDraft overdue (OrderDesk)", text, StringComparison.Ordinal);
        Assert.Contains("✓ CommissionCredit", text, StringComparison.Ordinal);
        Assert.Contains("1 open · 2 in the last 12 months, 100% of those answered satisfied", text, StringComparison.Ordinal);
        Assert.Contains("Pallets arrived crushed", text, StringComparison.Ordinal);
        Assert.Contains("Wrong part numbers on order 77", text, StringComparison.Ordinal);
        Assert.Contains("otif: 88% · Critical (warning 95, critical 90)\",\"color\":\"Attention\"", text, StringComparison.Ordinal);
        Assert.Contains("Commitment: OPP-360-1 (PO PO-4471) captured by Rita Rep", text, StringComparison.Ordinal);
        var actions = card["actions"]!.AsArray().Select(a => a!["data"]!["msteams"]!["value"]!.GetValue<string>()).ToList();
        Assert.Equal(["commit ACME-DE", "escalate ACME-DE", "alert ACME-DE"], actions);

        // The button's message opens the commitment form with this customer filled in.
        var form = Text(CardOf(await AskAsync(actions[0]))!);
        Assert.Contains("\"value\":\"ACME-DE\"", form, StringComparison.Ordinal);

        // The parent's 360 lists the subsidiary; the same customer by domain and by name.
        Assert.Contains("Acme Deutschland GmbH (ACME-DE)", Text(CardOf(await AskAsync("customer ACME-GLOBAL"))!), StringComparison.Ordinal);
        Assert.Equal("Acme Deutschland GmbH", CardOf(await AskAsync("customer acme.de"))!["body"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("Acme Deutschland GmbH", CardOf(await AskAsync("customer acme deutschland"))!["body"]![0]!["text"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("ERP:100234")]
    [InlineData("100234")]
    [InlineData("CRM:0015g00000AbCdE")]
    [InlineData("0015g00000AbCdE")]
    [InlineData("Domain:acme.de")]
    [InlineData("jonas.weber@acme.de")]
    [InlineData("Phone:+49 40 1234567")]
    [InlineData("+49 (40) 123-4567")]
    [InlineData("Tenant:72f988bf-86f1-41af-91ab-2d7cd011db47")]
    [InlineData("72F988BF-86F1-41AF-91AB-2D7CD011DB47")]
    [InlineData("VAT:de123456789")]
    [InlineData("ACME-DE")]
    [InlineData("acme deutschland")]
    [InlineData("ACME Deutschland, GmbH.")]
    public async Task Every_kind_of_identifier_and_the_normalised_name_resolve_to_the_customer(string given)
    {
        Assert.Equal("Acme Deutschland GmbH", CardOf(await AskAsync("customer " + given, Outsider))!["body"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("ACME-DE", JsonNode.Parse(await _api.GetStringAsync("/api/customers/" + Uri.EscapeDataString(given)))!["number"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_api_gives_the_same_360_as_json()
    {
        await SeedHistoryAsync();

        var json = JsonNode.Parse(await _api.GetStringAsync("/api/customers/ERP:100234"))!;

        Assert.Equal("ACME-DE", json["number"]!.GetValue<string>());
        Assert.Equal("ACME-GLOBAL", json["parent"]!["number"]!.GetValue<string>());
        Assert.Equal("OPP-360-1", json["openCommitments"]![0]!["opportunityId"]!.GetValue<string>());
        Assert.True(json["openCommitments"]![0]!["forms"]![0]!["overdue"]!.GetValue<bool>());
        Assert.Equal(1, json["complaints"]!["open"]!.GetValue<int>());
        Assert.Equal(2, json["complaints"]!["last12Months"]!.GetValue<int>());
        Assert.Equal(1.0, json["complaints"]!["satisfiedShare"]!.GetValue<double>());
        Assert.Equal(2, json["openAlerts"]!.AsArray().Count);
        Assert.Equal("Critical", json["kpis"]![0]!["level"]!.GetValue<string>());
        Assert.Equal(["Alert", "Alert", "Commitment"], json["timeline"]!.AsArray().Select(e => e!["feature"]!.GetValue<string>()).ToList());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.CreateClient().GetAsync("/api/customers/ACME-DE")).StatusCode);
    }

    [Fact]
    public async Task A_restricted_customer_is_missing_for_a_non_member_in_chat_and_api_and_there_for_a_member()
    {
        var missing = await AskAsync("customer NOPE-1", Outsider);
        var hidden = await AskAsync("customer SECRET", Outsider);
        Assert.Null(CardOf(hidden));
        Assert.Equal(missing["text"]!.GetValue<string>().Replace("NOPE-1", "SECRET", StringComparison.Ordinal), hidden["text"]!.GetValue<string>());
        Assert.Null(CardOf(await AskAsync("customer ERP:900001", Outsider)));
        Assert.Equal("Secret Industries", CardOf(await AskAsync("customer SECRET", Member))!["body"]![0]!["text"]!.GetValue<string>());

        var apiMissing = await _api.GetAsync("/api/customers/NOPE-1");
        var apiHidden = await _api.GetAsync("/api/customers/SECRET");
        Assert.Equal(HttpStatusCode.NotFound, apiHidden.StatusCode);
        Assert.Equal(apiMissing.StatusCode, apiHidden.StatusCode);
        Assert.Equal(WithoutTrace(await apiMissing.Content.ReadAsStringAsync()).Replace("NOPE-1", "SECRET", StringComparison.Ordinal), WithoutTrace(await apiHidden.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.OK, (await _trusted.GetAsync("/api/customers/SECRET")).StatusCode);
    }

    private async Task<List<string>> TypeaheadAsync(string query, string user)
    {
        var search = Activities.Message(_connector.ServiceUrl, "", user, "Person " + user, "a:personal-" + user);
        search.Type = OpsBot.BotFramework.Schema.ActivityTypes.Invoke;
        search.Text = null;
        search.Name = "application/search";
        search.Value = new JsonObject { ["queryText"] = query, ["dataset"] = "customers", ["queryOptions"] = new JsonObject { ["skip"] = 0, ["top"] = 15 } };
        var response = await _bot.PostActivityAsync(search);
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("application/vnd.microsoft.search.searchResponse", body["type"]!.GetValue<string>());
        return body["value"]!["results"]!.AsArray().Select(r => r!["value"]!.GetValue<string>()).ToList();
    }

    [Fact]
    public async Task Typeahead_finds_customers_by_name_number_and_identifier_and_hides_restricted_ones_from_non_members()
    {
        Assert.Equal(["ACME-CORP", "ACME-DE", "ACME-GLOBAL"], (await TypeaheadAsync("acme", Outsider)).Order(StringComparer.Ordinal));
        Assert.Equal(["ACME-DE"], await TypeaheadAsync("deutsch", Outsider));
        Assert.Equal(["ACME-DE"], await TypeaheadAsync("100234", Outsider));

        Assert.Empty(await TypeaheadAsync("secret", Outsider));
        Assert.Empty(await TypeaheadAsync("900001", Outsider));
        Assert.DoesNotContain("SECRET", await TypeaheadAsync("", Outsider));
        Assert.Equal(["SECRET"], await TypeaheadAsync("secret", Member));
        Assert.Equal(["SECRET"], await TypeaheadAsync("900001", Member));
    }

    private static string WithoutTrace(string problem)
    {
        var json = JsonNode.Parse(problem)!.AsObject();
        json.Remove("traceId");
        return json.ToJsonString();
    }

    [Fact]
    public async Task An_unknown_name_answers_the_customers_it_might_mean_as_buttons()
    {
        var card = CardOf(await AskAsync("customer Acme Deutchland"))!;

        Assert.Contains("I couldn't find customer 'Acme Deutchland'.", Text(card), StringComparison.Ordinal);
        var picks = card["body"]![2]!["actions"]!.AsArray().Select(a => a!["data"]!["msteams"]!["value"]!.GetValue<string>()).ToList();
        Assert.Contains("customer ACME-DE", picks);
        Assert.DoesNotContain(picks, p => p.Contains("SECRET", StringComparison.Ordinal));
        Assert.Contains("Usage: customer", (await AskAsync("customer"))["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private const string Header = "number,name,segment,erp,domains,country,timezone,parent";

    private static string Csv(params string[] lines) => string.Join("\n", [Header, .. lines]) + "\n";

    private async Task<(HttpStatusCode Status, JsonNode Body)> ImportAsync(string csv, string query = "", HttpClient? client = null)
    {
        var response = await (client ?? _trusted).PostAsync("/api/customers/import" + query, new StringContent(csv, Encoding.UTF8, "text/csv"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private Task<List<string>> NumbersAsync() => _app.WithDbAsync(db => db.Customers.OrderBy(c => c.Number).Select(c => c.Number).ToListAsync());

    private static List<string> Outcomes(JsonNode body) => body["lines"]!.AsArray().Select(l => $"{l!["line"]}:{l["outcome"]}").ToList();

    [Fact]
    public async Task Import_dry_run_partial_and_full_and_a_second_import_changes_nothing()
    {
        var before = await NumbersAsync();
        var csv = Csv(
            "WIDGET,Widget Works,Key,200001,widget.com;widget.de,US,America/Chicago,",
            "WIDGET-JP,Widget Japan K.K.,,200002,,JP,Asia/Tokyo,WIDGET",
            "ACME-DE,Acme Deutschland GmbH,Key,,acme-de.com,DE,Europe/Berlin,",
            "DUPE,Widget Works Inc.,,,,,,",
            "BAD,Bad Co,Gold,,,,,",
            "OTHER,Other,,100234,,,,",
            "ACME-GLOBAL,Acme Global,,200001,,,,");

        var (dryStatus, dry) = await ImportAsync(csv, "?dryRun=true");
        Assert.Equal(HttpStatusCode.OK, dryStatus);
        Assert.Equal(["2:New", "3:New", "4:Updated", "5:ProbableDuplicate", "6:Invalid", "7:ProbableDuplicate", "8:Invalid"], Outcomes(dry));
        Assert.Equal("probable duplicate of line 2 of this file, score 0.90: same name.", dry["lines"]![3]!["detail"]!.GetValue<string>());
        Assert.Contains("segment: 'Gold' is not a segment", dry["lines"]![4]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("probable duplicate of ACME-DE (Acme Deutschland GmbH), score 1.00: same ERP 100234", dry["lines"]![5]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("erp: 200001 already belongs to customer WIDGET.", dry["lines"]![6]!["detail"]!.GetValue<string>());
        Assert.False(dry["summary"]!["applied"]!.GetValue<bool>());
        Assert.Equal(before, await NumbersAsync());

        var (status, refused) = await ImportAsync(csv);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("Nothing was changed", refused["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await NumbersAsync());

        var (partialStatus, partial) = await ImportAsync(csv, "?partial=true");
        Assert.Equal(HttpStatusCode.OK, partialStatus);
        Assert.True(partial["summary"]!["applied"]!.GetValue<bool>());
        Assert.Equal(before.Concat(["WIDGET", "WIDGET-JP"]).Order(StringComparer.Ordinal), (await NumbersAsync()).Order(StringComparer.Ordinal));
        var japan = await _app.WithDbAsync(db => db.Customers.Include(c => c.Sites).Include(c => c.Identifiers).SingleAsync(c => c.Number == "WIDGET-JP"));
        var widget = await _app.WithDbAsync(db => db.Customers.SingleAsync(c => c.Number == "WIDGET"));
        Assert.Equal(widget.Id, japan.ParentId);
        Assert.Equal(("JP", "Asia/Tokyo"), (japan.Sites.Single().Country, japan.Sites.Single().TimeZone));
        Assert.Equal(IdentifierKind.Erp, japan.Identifiers.Single().Kind);
        var acme = await _app.WithDbAsync(db => db.Customers.Include(c => c.Identifiers).SingleAsync(c => c.Number == "ACME-DE"));
        Assert.Equal(CustomerSegment.Key, acme.Segment);
        Assert.Contains(acme.Identifiers, i => i.Value == "acme-de.com");
        Assert.Contains(acme.Identifiers, i => i.Value == "acme.de");
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "customer-imported" && a.EntityId == "ACME-DE" && a.BeforeJson != null && a.AfterJson!.Contains("acme-de.com"))));

        var auditRows = await _app.WithDbAsync(db => db.AuditEntries.CountAsync());
        var (againStatus, again) = await ImportAsync(csv, "?partial=true");
        Assert.Equal(HttpStatusCode.OK, againStatus);
        Assert.Equal(["2:Unchanged", "3:Unchanged", "4:Unchanged", "5:ProbableDuplicate", "6:Invalid", "7:ProbableDuplicate", "8:Invalid"], Outcomes(again));
        Assert.Contains("probable duplicate of WIDGET (Widget Works), score 0.90: same name", again["lines"]![3]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("erp: 200001 already belongs to customer WIDGET", again["lines"]![6]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(auditRows, await _app.WithDbAsync(db => db.AuditEntries.CountAsync()));
        Assert.Equal("Widget Japan K.K.", CardOf(await AskAsync("customer ERP:200002"))!["body"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_dry_run_checks_each_line_against_every_line_before_it_across_batches()
    {
        var lines = Enumerable.Range(0, CustomerImport.BatchSize + 10).Select(i => $"BULK-{i},Bulk Customer {i},,{400000 + i},,,,{(i == 0 ? "" : "BULK-0")}").ToList();
        lines.Add("LATE-1,Late One,,400000,,,,");
        lines.Add("LATE-2,Bulk Customer 3,,,,,,");
        lines.Add("BULK-1,Bulk Customer 1,,400000,,,,");

        var (status, body) = await ImportAsync(Csv([.. lines]), "?dryRun=true");

        Assert.Equal(HttpStatusCode.OK, status);
        var report = body["lines"]!.AsArray().Select(l => (l!["line"]!.GetValue<int>(), l["outcome"]!.GetValue<string>(), l["detail"]!.GetValue<string>())).ToList();
        Assert.Equal(CustomerImport.BatchSize + 10, report.Count(r => r.Item2 == "New"));
        var tail = report.TakeLast(3).ToList();
        Assert.Equal((CustomerImport.BatchSize + 12, "ProbableDuplicate", "probable duplicate of line 2 of this file, score 1.00: same ERP 400000."), tail[0]);
        Assert.Equal((CustomerImport.BatchSize + 13, "ProbableDuplicate", "probable duplicate of line 5 of this file, score 0.90: same name."), tail[1]);
        Assert.Equal("Invalid", tail[2].Item2);
        Assert.False(await _app.WithDbAsync(db => db.Customers.AnyAsync(c => c.Number.StartsWith("BULK-"))));
    }

    [Fact]
    public async Task Import_refuses_a_bad_file_with_per_line_errors_and_never_touches_a_hidden_customer()
    {
        var before = await NumbersAsync();
        var (status, body) = await ImportAsync("nummer;name\nX;Y\n");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(["1:Invalid"], Outcomes(body));

        var (formula, injected) = await ImportAsync(Csv("EVIL,=HYPERLINK(\"http://x\"),,,,,,"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, formula);
        Assert.Equal(["2:Invalid"], Outcomes(injected));

        // An ordinary API client may not see SECRET: its number and identifiers are taken, its details never shown or changed.
        var (hiddenStatus, hidden) = await ImportAsync(Csv("SECRET,Renamed,,,,,,", "NEWCO,New Co,,900001,,,,"), client: _api);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, hiddenStatus);
        Assert.Equal(["2:Invalid", "3:Invalid"], Outcomes(hidden));
        Assert.DoesNotContain("Secret Industries", Text(hidden), StringComparison.Ordinal);
        Assert.Equal("Secret Industries", await _app.WithDbAsync(db => db.Customers.Where(c => c.Number == "SECRET").Select(c => c.Name).SingleAsync()));
        Assert.Equal(before, await NumbersAsync());

        var wrongType = await _trusted.PostAsync("/api/customers/import", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
    }

    [Fact]
    public async Task The_cli_imports_a_file_and_says_what_happened_to_each_line()
    {
        _ = _app.Services; // the store exists and is seeded
        var file = Path.Combine(Path.GetTempPath(), $"customers-{Guid.NewGuid():n}.csv");
        await File.WriteAllTextAsync(file, Csv("CLI-1,Cli One,Key,300001,,,,", "CLI-2,Cli Two,Nope,,,,,"));
        try
        {
            var config = new[] { "--Database:Provider=" + provider, "--Database:ConnectionString=" + _app.Settings["Database:ConnectionString"] };
            var output = new StringWriter();
            Assert.Equal(1, await Cli.RunAsync(["import", "customers", file, "--dry-run", .. config], output, new StringWriter()));
            Assert.Contains("line 3: invalid — segment:", output.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("CLI-1", await NumbersAsync());

            output = new StringWriter();
            Assert.Equal(1, await Cli.RunAsync(["import", "customers", file, "--partial", .. config], output, new StringWriter()));
            Assert.Contains("line 2: new CLI-1", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("1 new", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("CLI-1", await NumbersAsync());

            var error = new StringWriter();
            Assert.Equal(2, await Cli.RunAsync(["import", "customers", file + ".missing", .. config], new StringWriter(), error));
            Assert.Contains("No such file", error.ToString(), StringComparison.Ordinal);
        }
        finally { File.Delete(file); }
    }
}

public sealed class SqliteCustomerViewTests() : CustomerViewTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresCustomerViewTests(PostgresServer server) : CustomerViewTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
