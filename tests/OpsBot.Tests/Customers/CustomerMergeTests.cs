using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpsBot.Alerts;
using OpsBot.BotFramework.Schema;
using OpsBot.Commitments;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Customers;

/// <summary>
/// Duplicates and merges through <c>/api/messages</c>: <c>customer duplicates</c> proposes NW-2 → NW-1 with its reasons, the
/// card's Merge button moves every row filed under NW-2 to NW-1, <c>customer unmerge</c> puts back exactly those rows, a stale
/// press answers what is true now, and bad input (itself, a subsidiary, a non-admin, a customer the admin may not see) is refused.
/// </summary>
public abstract class CustomerMergeTests(DatabaseProvider provider) : IAsyncLifetime
{
    private const string Admin = "29:admin";
    private const string Rep = "29:rep-one";
    private const string Insider = "29:insider";
    private FakeConnector _connector = null!;
    private OpsBotFactory _app = null!;
    private HttpClient _client = null!;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    protected abstract Task<string> NewDatabaseAsync();

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _app = new OpsBotFactory(provider, await NewDatabaseAsync()) { Time = _clock };
        var s = _app.Settings;
        s["People:Admins:0"] = Admin;
        s["People:Admins:1"] = Insider;
        s["Alerts:TimerInterval"] = "01:00:00";
        Seed(s, 0, "NW-1", "Northwave Logistics", ("Identifiers", "Domain:northwave.com"), ("ShipToSites", "Berlin Hub"));
        Seed(s, 1, "NW-2", "Northwave Logistik GmbH", ("Identifiers", "ERP:5001"), ("Identifiers", "Phone:+49 30 1234567"), ("ShipToSites", "Hamburg Port"), ("BillToSites", "Berlin Hub"));
        Seed(s, 2, "NW-2-AT", "Northwave Austria", ("Parent", "NW-2"));
        Seed(s, 3, "SECRET-1", "Hidden Corp", ("Restricted", "true"), ("AllowedUsers", "29:insider"));
        _client = _app.CreateClient();
        await _app.WithDbAsync(async db =>
        {
            var nw1 = await IdAsync(db, "NW-1");
            var nw2 = await IdAsync(db, "NW-2");
            var now = _clock.GetUtcNow().UtcDateTime;
            db.CustomerContacts.AddRange(
                new CustomerContact { CustomerId = nw1, Name = "Ops Desk", Email = "ops@northwave.com", Phone = "+49 30 1234567" },
                new CustomerContact { CustomerId = nw2, Name = "Buyer", Email = "buyer@northwave.com" },
                new CustomerContact { CustomerId = nw2, Name = "Ops Desk", Email = "ops@northwave.com" });
            db.Commitments.Add(new Commitment
            {
                OpportunityId = "OPP-NW2", CustomerId = nw2, CustomerName = "Northwave Logistik GmbH", MasterAgreementRef = "MSA-1", CustomerPoNumber = "PO-1",
                Currency = "EUR", CommittedValue = 1000, ShipToSite = "Hamburg Port", BillToSite = "Berlin Hub", PaymentTerms = "Net 30",
                AccountOwnerId = Rep, AccountOwnerName = "Rep One", CreatedById = Rep, CreatedByName = "Rep One", CreatedAt = now,
                UpdatedById = Rep, UpdatedByName = "Rep One", UpdatedAt = now, ServiceUrl = _connector.ServiceUrl, TenantId = "t",
            });
            db.Escalations.Add(new Escalation
            {
                IdempotencyKey = "nw2-complaint", CustomerId = nw2, Account = "Northwave Logistik GmbH", Summary = "Late again",
                RepUserId = Rep, RepName = "Rep One", ServiceUrl = _connector.ServiceUrl, TenantId = "t",
            });
            db.Alerts.Add(new Alert
            {
                CustomerId = nw2, Account = "Northwave Logistik GmbH", Kind = "late-shipment", Impact = "Line stop", Severity = Severity.High,
                RaisedById = Rep, RaisedByName = "Rep One", CreatedAt = now, GroupKey = "nw-2", ServiceUrl = _connector.ServiceUrl,
            });
            db.AlertRoutes.Add(new AlertRoute { Name = "Northwave", CustomerId = nw2 });
            db.KpiReadings.Add(new KpiReading { Name = "otd", CustomerId = nw2, Value = 0.9m, At = now });
            db.KpiStates.Add(new KpiState { Name = "otd:nw-2", CustomerId = nw2, LastValue = 0.9m, LastAt = now });
            return await db.SaveChangesAsync();
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    private static void Seed(Dictionary<string, string?> s, int i, string number, string name, params (string Key, string Value)[] more)
    {
        var p = $"Customers:Seed:{i}:";
        s[p + "Number"] = number;
        s[p + "Name"] = name;
        foreach (var group in more.GroupBy(m => m.Key))
        {
            if (group.Key is "Parent" or "Restricted") s[p + group.Key] = group.Single().Value;
            else foreach (var (value, n) in group.Select((m, n) => (m.Value, n))) s[$"{p}{group.Key}:{n}"] = value;
        }
    }

    private static string Name(string user) => user switch { Admin => "Ada Admin", Insider => "Ina Insider", _ => "Rep One" };

    private static Task<int> IdAsync(OpsBotDbContext db, string number) => db.Customers.Where(c => c.Number == number).Select(c => c.Id).SingleAsync();

    private async Task<JsonNode> SendAsync(string user, string text)
    {
        var before = _connector.Posts.Count();
        var response = await _client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, text, user, Name(user), "a:personal-" + user));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(_connector.Posts.Skip(before)).Body!;
    }

    private async Task<string> SayAsync(string user, string text) => (await SendAsync(user, text))["text"]!.GetValue<string>();

    private async Task<JsonObject> PressAsync(JsonObject data, string user = Admin)
    {
        var a = Activities.Execute(_connector.ServiceUrl, "customer.merge", (JsonObject)data.DeepClone(), user, "card-1", "a:personal-" + user);
        a.From!.Name = Name(user);
        var response = await _client.PostActivityAsync(a);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var answer = (JsonObject)JsonNode.Parse(body)!;
        Assert.Equal(AdaptiveCardInvoke.CardType, answer["type"]?.GetValue<string>());
        return (JsonObject)answer["value"]!;
    }

    /// <summary>The notice text of an answer card (<c>cards/customer-merge.json</c> rendered with a notice).</summary>
    private static string Notice(JsonObject card) =>
        string.Join("\n", card["body"]!.AsArray().Select(b => b!["text"]?.GetValue<string>()).OfType<string>());

    private static IEnumerable<JsonNode> Nodes(JsonNode? node) => node switch
    {
        JsonObject o => o.Select(p => p.Value).SelectMany(Nodes).Prepend(o),
        JsonArray a => a.SelectMany(Nodes).Prepend(a),
        null => [],
        _ => [node],
    };

    /// <summary>The Merge button titled <paramref name="title"/> on the duplicates card, as its data.</summary>
    private async Task<JsonObject> MergeButtonAsync(string title)
    {
        var card = (await SendAsync(Admin, "customer duplicates"))["attachments"]![0]!["content"]!.AsObject();
        var json = card.ToJsonString();
        var action = Nodes(card).OfType<JsonObject>()
            .FirstOrDefault(o => o["type"]?.GetValue<string>() == "Action.Execute" && o["title"]?.GetValue<string>() == title);
        Assert.True(action is not null, $"no button '{title}' on {json}");
        Assert.Equal("customer.merge", action!["verb"]!.GetValue<string>());
        return (JsonObject)action["data"]!;
    }

    /// <summary>Every row that names a customer, as "table#id→customer", plus each customer's parent, merge and restriction.</summary>
    private Task<SortedSet<string>> LinksAsync() => _app.WithDbAsync(async db =>
    {
        var links = new SortedSet<string>(StringComparer.Ordinal);
        void Add(string table, IEnumerable<(long Id, int? CustomerId)> rows)
        {
            foreach (var (id, customer) in rows) links.Add($"{table}#{id}→{customer}");
        }
        Add("identifier", (await db.CustomerIdentifiers.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => ((long)x.Id, (int?)x.CustomerId)));
        Add("contact", (await db.CustomerContacts.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => ((long)x.Id, (int?)x.CustomerId)));
        Add("site", (await db.CustomerSites.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => ((long)x.Id, (int?)x.CustomerId)));
        Add("member", (await db.CustomerMembers.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => ((long)x.Id, (int?)x.CustomerId)));
        Add("commitment", (await db.Commitments.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => ((long)x.Id, (int?)x.CustomerId)));
        Add("erp", (await db.ErpFeed.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => (x.Id, (int?)x.CustomerId)));
        Add("complaint", (await db.Escalations.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => (x.Id, x.CustomerId)));
        Add("alert", (await db.Alerts.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => (x.Id, x.CustomerId)));
        Add("route", (await db.AlertRoutes.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => (x.Id, x.CustomerId)));
        Add("reading", (await db.KpiReadings.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => (x.Id, x.CustomerId)));
        Add("sponsorship", (await db.ExecutiveSponsorships.Select(x => new { x.Id, x.CustomerId }).ToListAsync()).Select(x => (x.Id, (int?)x.CustomerId)));
        foreach (var k in await db.KpiStates.Select(x => new { x.Name, x.CustomerId }).ToListAsync()) links.Add($"kpi-state {k.Name}→{k.CustomerId}");
        foreach (var c in await db.Customers.Select(x => new { x.Id, x.ParentId, x.MergedIntoId, x.Restricted }).ToListAsync())
            links.Add($"customer#{c.Id} parent {c.ParentId} merged-into {c.MergedIntoId} restricted {c.Restricted}");
        return links;
    });

    [Fact]
    public async Task Duplicates_proposes_the_pair_with_a_score_and_the_reasons()
    {
        var card = (await SendAsync(Admin, "customer duplicates"))["attachments"]![0]!["content"]!.AsObject();
        var texts = Nodes(card).OfType<JsonObject>().Where(o => o["type"]?.GetValue<string>() == "TextBlock").Select(o => o["text"]!.GetValue<string>()).ToList();
        Assert.Equal("Possible duplicate customers", texts[0]);
        var heading = texts.FindIndex(t => t.EndsWith(" · NW-2 → NW-1", StringComparison.Ordinal));
        Assert.True(heading >= 0, string.Join("\n", texts));
        Assert.InRange(int.Parse(texts[heading].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture), 90, 100);
        var reasons = texts[heading + 1];
        Assert.Contains("same domain northwave.com", reasons, StringComparison.Ordinal);
        Assert.Contains("same contact e-mail ops@northwave.com", reasons, StringComparison.Ordinal);
        Assert.Contains("same phone +49301234567", reasons, StringComparison.Ordinal);
        Assert.DoesNotContain(texts, t => t.Contains("SECRET-1", StringComparison.Ordinal) || t.EndsWith("NW-2-AT → NW-2", StringComparison.Ordinal) || t.EndsWith("NW-2 → NW-2-AT", StringComparison.Ordinal));
        Assert.DoesNotContain(texts, t => t.EndsWith("NW-2-AT → NW-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Merge_from_the_card_moves_every_link_and_unmerge_restores_them_exactly()
    {
        var before = await LinksAsync();
        var (nw1, nw2, at) = await _app.WithDbAsync(async db => (await IdAsync(db, "NW-1"), await IdAsync(db, "NW-2"), await IdAsync(db, "NW-2-AT")));
        var data = await MergeButtonAsync("Merge NW-2 into NW-1");

        var merged = Notice(await PressAsync(data));
        Assert.Contains("Merged NW-2 (Northwave Logistik GmbH) into NW-1 (Northwave Logistics)", merged, StringComparison.Ordinal);
        Assert.Contains("customer unmerge NW-2", merged, StringComparison.Ordinal);

        await _app.WithDbAsync(async db =>
        {
            Assert.Equal(nw1, (await db.Customers.SingleAsync(c => c.Id == nw2)).MergedIntoId);
            Assert.Equal(nw1, (await db.Customers.SingleAsync(c => c.Id == at)).ParentId);
            Assert.All(await db.CustomerIdentifiers.Where(x => x.Value == "5001" || x.Kind == IdentifierKind.Phone).ToListAsync(), x => Assert.Equal(nw1, x.CustomerId));
            Assert.Equal(new[] { "Berlin Hub", "Berlin Hub", "Hamburg Port" }, (await db.CustomerSites.Where(x => x.CustomerId == nw1).Select(x => x.Name).ToListAsync()).Order().ToArray());
            Assert.Equal(nw1, (await db.CustomerContacts.SingleAsync(x => x.Email == "buyer@northwave.com")).CustomerId);
            Assert.Equal(new[] { nw1, nw2 }.Order().ToArray(), (await db.CustomerContacts.Where(x => x.Email == "ops@northwave.com").Select(x => x.CustomerId).ToListAsync()).Order().ToArray());
            Assert.Equal(nw1, (await db.Commitments.SingleAsync()).CustomerId);
            Assert.Equal(nw1, (await db.Escalations.SingleAsync()).CustomerId);
            Assert.Equal(nw1, (await db.Alerts.SingleAsync()).CustomerId);
            Assert.Equal(nw1, (await db.AlertRoutes.SingleAsync()).CustomerId);
            Assert.Equal(nw1, (await db.KpiReadings.SingleAsync()).CustomerId);
            Assert.Equal(nw1, (await db.KpiStates.SingleAsync()).CustomerId);
            Assert.Empty(await db.Commitments.Where(x => x.CustomerId == nw2).ToListAsync());
            var audit = await db.AuditEntries.SingleAsync(a => a.Action == "customer-merged");
            Assert.Equal((Admin, "NW-2"), (audit.UserId, audit.EntityId));
            return 0;
        });

        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var resolved = await scope.ServiceProvider.GetRequiredService<CustomerResolver>().ResolveAsync("ERP:5001", Viewer.Person(Admin), default);
            Assert.Equal("NW-1", resolved.Customer?.Number);
            var byNumber = await scope.ServiceProvider.GetRequiredService<CustomerResolver>().ResolveAsync("NW-2", Viewer.Person(Admin), default);
            Assert.Equal("NW-1", byNumber.Customer?.Number);
        }

        var stale = Notice(await PressAsync(data));
        Assert.Contains("NW-2 (Northwave Logistik GmbH) was already merged into NW-1 (Northwave Logistics) on 2026-12-01 09:00 UTC by Ada Admin", stale, StringComparison.Ordinal);
        Assert.Equal(1, await _app.WithDbAsync(db => db.CustomerMerges.CountAsync()));

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("Unmerged NW-2 (Northwave Logistik GmbH) from NW-1 (Northwave Logistics): 12 row(s) moved back.", await SayAsync(Admin, "customer unmerge NW-2"));
        Assert.Equal(before, await LinksAsync());

        var unmerged = Notice(await PressAsync(data));
        Assert.Contains("NW-2 (Northwave Logistik GmbH) was already unmerged from NW-1 (Northwave Logistics) on 2026-12-01 09:05 UTC", unmerged, StringComparison.Ordinal);
        Assert.Equal(before, await LinksAsync());
        Assert.Contains("is not merged into another customer", await SayAsync(Admin, "customer unmerge NW-1"), StringComparison.Ordinal);

        await _app.WithDbAsync(async db =>
        {
            var audit = await db.AuditEntries.SingleAsync(a => a.Action == "customer-unmerged");
            Assert.Equal((Admin, "NW-2"), (audit.UserId, audit.EntityId));
            Assert.NotNull((await db.CustomerMerges.SingleAsync()).UndoneAt);
            return 0;
        });

        var again = await SayAsync(Admin, "customer merge NW-1 NW-2");
        Assert.StartsWith("Merged NW-2 (Northwave Logistik GmbH) into NW-1 (Northwave Logistics)", again, StringComparison.Ordinal);
        Assert.StartsWith("NW-2 (Northwave Logistik GmbH) was already merged into NW-1 (Northwave Logistics) on 2026-12-01 09:05 UTC by Ada Admin.",
            await SayAsync(Admin, "customer merge NW-2 NW-1"), StringComparison.Ordinal);
        Assert.DoesNotContain("Merge NW-2 into NW-1", (await SendAsync(Admin, "customer duplicates")).ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_merges_are_refused_and_change_nothing()
    {
        var before = await LinksAsync();
        Assert.Equal("A customer cannot be merged into itself (NW-1 (Northwave Logistics)).", await SayAsync(Admin, "customer merge NW-1 NW-1"));
        Assert.Equal("NW-2-AT (Northwave Austria) is a subsidiary of NW-2 (Northwave Logistik GmbH): a customer cannot be merged into one of its own subsidiaries.",
            await SayAsync(Admin, "customer merge NW-2-AT NW-2"));
        Assert.StartsWith("Only OpsBot admins can find, merge and unmerge duplicate customers;", await SayAsync(Rep, "customer merge NW-1 NW-2"), StringComparison.Ordinal);
        Assert.StartsWith("Only OpsBot admins can", await SayAsync(Rep, "customer duplicates"), StringComparison.Ordinal);
        Assert.StartsWith("Only OpsBot admins can", await SayAsync(Rep, "customer unmerge NW-2"), StringComparison.Ordinal);
        Assert.Equal(CustomerAccess.NotFound("SECRET-1"), await SayAsync(Admin, "customer merge NW-1 SECRET-1"));
        Assert.Equal(CustomerAccess.NotFound("NOPE-9"), await SayAsync(Admin, "customer merge NW-1 NOPE-9"));
        Assert.Equal("Usage: " + CustomerMergeHandlers.MergeUsage, await SayAsync(Admin, "customer merge NW-1"));

        var (nw1, nw2) = await _app.WithDbAsync(async db => (await IdAsync(db, "NW-1"), await IdAsync(db, "NW-2")));
        var press = new JsonObject { ["survivorId"] = nw1.ToString(System.Globalization.CultureInfo.InvariantCulture), ["mergedId"] = nw2.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        Assert.StartsWith("Only OpsBot admins can", Notice(await PressAsync(press, Rep)).Split('\n')[^1], StringComparison.Ordinal);

        var bad = Activities.Execute(_connector.ServiceUrl, "customer.merge", new JsonObject { ["survivorId"] = "x" }, Admin, "card-1", "a:personal-" + Admin);
        var badAnswer = (JsonObject)JsonNode.Parse(await (await _client.PostActivityAsync(bad)).Content.ReadAsStringAsync())!;
        Assert.Equal(400, badAnswer["statusCode"]!.GetValue<int>());

        Assert.Equal(before, await LinksAsync());
        await _app.WithDbAsync(async db =>
        {
            Assert.Empty(await db.CustomerMerges.ToListAsync());
            Assert.Empty(await db.AuditEntries.Where(a => a.Action == "customer-merged").ToListAsync());
            Assert.Equal(4, await db.AuditEntries.CountAsync(a => a.Action == "access-denied" && a.UserId == Rep));
            Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "access-denied" && a.UserId == Admin && a.EntityId == "SECRET-1"));
            return 0;
        });
    }

    [Fact]
    public async Task Merging_a_restricted_customer_restricts_the_survivor_until_unmerged()
    {
        var before = await LinksAsync();
        var merged = await SayAsync(Insider, "customer merge NW-1 SECRET-1");
        Assert.StartsWith("Merged SECRET-1 (Hidden Corp) into NW-1 (Northwave Logistics): moved 1 member(s).", merged, StringComparison.Ordinal);
        Assert.Contains("SECRET-1 was restricted, so NW-1 is now restricted too.", merged, StringComparison.Ordinal);
        Assert.Equal(CustomerAccess.NotFound("NW-1"), await SayAsync(Admin, "customer unmerge NW-1"));
        Assert.Equal(CustomerAccess.NotFound("SECRET-1"), await SayAsync(Admin, "customer unmerge SECRET-1"));
        Assert.StartsWith("SECRET-1 (Hidden Corp) was already merged into NW-1 (Northwave Logistics) on 2026-12-01 09:00 UTC by Ina Insider.",
            await SayAsync(Insider, "customer merge NW-1 SECRET-1"), StringComparison.Ordinal);

        Assert.StartsWith("Unmerged SECRET-1 (Hidden Corp) from NW-1 (Northwave Logistics): 1 row(s) moved back.", await SayAsync(Insider, "customer unmerge SECRET-1"), StringComparison.Ordinal);
        Assert.Equal(before, await LinksAsync());
    }

    [Fact]
    public async Task Customer_merge_commands_take_precedence_over_a_shorter_command()
    {
        var routes = _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OpsBot.Conversations.BotRoutes>>().Value;
        Assert.Equal(("customer merge", "NW-1 NW-2"), routes.MatchCommand("Customer  Merge NW-1 NW-2") is { } m ? (m.Route.Name, m.Args) : default);
        Assert.Equal("customer unmerge", routes.MatchCommand("customer unmerge NW-2")?.Route.Name);
        Assert.Equal("customer duplicates", routes.MatchCommand("customer duplicates")?.Route.Name);
    }
}

public sealed class SqliteCustomerMergeTests() : CustomerMergeTests(DatabaseProvider.Sqlite)
{
    protected override Task<string> NewDatabaseAsync() => Task.FromResult(OpsBot.Tests.Commitments.SqliteFiles.New());
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresCustomerMergeTests(PostgresServer server) : CustomerMergeTests(DatabaseProvider.Postgres)
{
    protected override Task<string> NewDatabaseAsync() => server.CreateDatabaseAsync();
}
