using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Commitments;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Events;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Commitments;

/// <summary>Commitments end to end through /api/messages and the real store; runs on SQLite and PostgreSQL.</summary>
public abstract class CommitmentTests(DatabaseProvider provider) : CommitmentTestBase(provider)
{
    [Fact]
    public async Task Capture_by_card_stores_header_forms_audit_feed_and_owner_notices_together()
    {
        var card = await CaptureAsync("OPP-1");
        Assert.Contains("Committed value: 250,000.00 USD", Text(card), StringComparison.Ordinal);
        var escalate = ActionData(card, "Escalate");
        Assert.Equal("ACME-001", escalate["account"]!.GetValue<string>());
        Assert.Equal("OPP-1", escalate["opportunityId"]!.GetValue<string>());

        await App.WithDbAsync(async db =>
        {
            var c = await db.Commitments.Include(x => x.Forms).Include(x => x.Customer).SingleAsync(x => x.OpportunityId == "OPP-1");
            Assert.Equal(1, c.Version);
            Assert.Equal("ACME-001", c.Customer.Number);
            Assert.Equal(250000m, c.CommittedValue);
            Assert.Equal("card-OPP-1", c.SummaryActivityId);
            Assert.Equal(4, c.Forms.Count);
            var order = c.Forms.Single(f => f.Kind == FormKind.SalesOrderDraft);
            Assert.Equal(OwnerRole.OrderDesk, order.Role);
            Assert.Equal(new DateTime(2026, 11, 25, 0, 0, 0, DateTimeKind.Utc), order.DueAt);
            Assert.Single(await db.AuditEntries.Where(a => a.Action == "commitment-created" && a.EntityId == "OPP-1").ToListAsync());
            var feed = await db.ErpFeed.SingleAsync(e => e.OpportunityId == "OPP-1");
            Assert.Equal(1, feed.Version);
            var notices = await db.OutboxMessages.Where(m => m.CorrelationType == "commitment-form").ToListAsync();
            Assert.Contains(notices, m => m.Kind == OutboxKind.CreatePersonal && m.UserId == "29:order-desk" && m.CorrelationId == "OPP-1:SalesOrderDraft");
            Assert.Contains(notices, m => m.Kind == OutboxKind.CreatePersonal && m.UserId == "29:sales-ops");
            Assert.Contains(notices, m => m.Kind == OutboxKind.CreateChannelThread && m.ChannelId == "19:supply@thread.tacv2");
            Assert.Contains(notices, m => m.Kind == OutboxKind.CreatePersonal && m.UserId == "29:service");
            return 0;
        });

        // Teams re-sends an invoke it saw no answer for: same form id → the same commitment, no duplicate, no error.
        var resend = ValidInput("OPP-1B", po: "4472");
        await ExecuteAsync("commitment.submit", resend);
        var again = CardOf(await ExecuteAsync("commitment.submit", resend));
        Assert.Contains("Commitment OPP-1B", Text(again), StringComparison.Ordinal);
        Assert.Equal(2, await App.WithDbAsync(db => db.Commitments.CountAsync()));
    }

    [Fact]
    public async Task Capture_by_shortcut_prefills_the_form_and_the_prefilled_form_submits()
    {
        var post = await SayAsync("commit ACME-001 PO 4471 250000 USD deliver 2027-01-15");
        var card = CardOfPost(post);
        var inputs = Inputs(card);
        Assert.Equal("ACME-001", inputs["accountNumber"]);
        Assert.Equal("4471", inputs["customerPoNumber"]);
        Assert.Equal("250000", inputs["committedValue"]);
        Assert.Equal("USD", inputs["currency"]);
        Assert.Equal("2027-01-15", inputs["requestedDeliveryDate"]);
        Assert.Equal("2026-11-23", inputs["commitDate"]);
        Assert.Equal("Acme Industrial", inputs["customerName"]);
        Assert.Equal("Acme Plant 3", inputs["shipToSite"]);
        Assert.Equal("MSA-ACME-2024", inputs["masterAgreementRef"]);
        Assert.StartsWith("OPP-", inputs["opportunityId"], StringComparison.Ordinal);

        var data = ActionData(card, "Submit");
        foreach (var (k, v) in inputs) data[k] = v;
        var summary = CardOf(await ExecuteAsync("commitment.submit", data, replyToId: "shortcut-card"));
        Assert.Contains("PO: 4471", Text(summary).Replace("Customer PO", "PO", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(1, await App.WithDbAsync(db => db.Commitments.CountAsync(c => c.CustomerPoNumber == "4471")));

        var unclear = CardOfPost(await SayAsync("commit ACME-001 PO 9 500 USD frobnicate"));
        Assert.Contains("'frobnicate'", Text(unclear), StringComparison.Ordinal);
        Assert.Contains("Shortcut: commit <account>", Text(unclear), StringComparison.Ordinal);
        Assert.Equal("500", Inputs(unclear)["committedValue"]);
    }

    [Fact]
    public async Task Every_validation_failure_names_its_field_and_keeps_all_input()
    {
        await CaptureAsync("OPP-TAKEN", po: "PO-USED");
        var cases = new (string Field, string? Value, string Message)[]
        {
            ("opportunityId", "", "Enter the CRM opportunity id"),
            ("opportunityId", "OPP-TAKEN", "already has a commitment"),
            ("accountNumber", "NOPE-404", "I couldn't find customer 'NOPE-404'"),
            ("accountNumber", "", "Enter the customer's account number"),
            ("customerPoNumber", "PO-USED", "already used on this account"),
            ("committedValue", "-5", "more than zero"),
            ("committedValue", "lots", "Enter a number"),
            ("currency", "XYZ", "'XYZ' is not a currency"),
            ("requestedDeliveryDate", "2026-11-01", "can't be before the commit date"),
            ("commitDate", "23/11/2026", "YYYY-MM-DD"),
            ("shipToSite", "", "Enter the ship-to site"),
            ("billToSite", "", "Enter the bill-to site"),
        };
        foreach (var (field, value, message) in cases)
        {
            var data = ValidInput("OPP-NEW-" + field);
            data[field] = value;
            var card = CardOf(await ExecuteAsync("commitment.submit", data));
            var error = AfterInput(card, field);
            Assert.True(error is not null && error["text"]!.ToString().Contains(message, StringComparison.Ordinal),
                $"{field}={value}: expected '{message}' beside the field, got '{error?["text"]}'");
            var inputs = Inputs(card);
            foreach (var key in CaptureInput.Keys)
                Assert.Equal(data[key]?.ToString() is { } sent && key == "accountNumber" ? sent.ToUpperInvariant() : data[key]?.ToString(), inputs[key]);
            Assert.Equal(data["formId"]!.ToString(), ActionData(card, "Submit")["formId"]!.ToString());
        }
        Assert.Equal(1, await App.WithDbAsync(db => db.Commitments.CountAsync()));
    }

    [Fact]
    public async Task Order_error_warnings_need_a_confirmation_and_are_then_accepted()
    {
        var data = ValidInput("OPP-WARN");
        data["shipToSite"] = "Somewhere Else";
        data["committedValue"] = "2500000";
        var card = CardOf(await ExecuteAsync("commitment.submit", data));
        var text = Text(card);
        Assert.Contains("'Somewhere Else' is not a known ship-to site", text, StringComparison.Ordinal);
        Assert.Contains("Fix: Known ship-to sites: Acme Plant 3.", text, StringComparison.Ordinal);
        Assert.Contains("far from ACME-001's usual range", text, StringComparison.Ordinal);
        Assert.Equal("Somewhere Else", Inputs(card)["shipToSite"]);
        Assert.Equal(0, await App.WithDbAsync(db => db.Commitments.CountAsync()));

        var confirm = ActionData(card, "Confirm and save");
        foreach (var (k, v) in Inputs(card)) confirm[k] = v;
        var summary = CardOf(await ExecuteAsync("commitment.submit", confirm));
        Assert.Contains("Commitment OPP-WARN", Text(summary), StringComparison.Ordinal);

        // Confirming does not accept errors.
        var bad = ValidInput("OPP-WARN-2");
        bad["committedValue"] = "0";
        bad["acceptWarnings"] = "value-unusual,ship-to-unknown";
        Assert.Contains("more than zero", AfterInput(CardOf(await ExecuteAsync("commitment.submit", bad)), "committedValue")!["text"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_header_enrichment_shows_in_every_downstream_form_and_updates_the_posted_cards()
    {
        await CaptureAsync("OPP-H");
        var reply = CardOfPost(await SayAsync("enrich OPP-H value 300000 customer added a second line"));
        Assert.Contains("300,000.00 USD", Text(reply), StringComparison.Ordinal);

        var tasks = Text(CardOfPost(await SayAsync("my tasks", "29:order-desk")));
        Assert.Contains("Sales order draft — OPP-H", tasks, StringComparison.Ordinal);
        Assert.Contains("300,000.00 USD", tasks, StringComparison.Ordinal);
        Assert.DoesNotContain("250,000.00", tasks, StringComparison.Ordinal);

        foreach (var kind in Enum.GetValues<FormKind>())
        {
            var form = await App.WithDbAsync(db => db.DownstreamForms.Include(f => f.Commitment).ThenInclude(c => c.Enrichments)
                .Include(f => f.Commitment).ThenInclude(c => c.Customer).SingleAsync(f => f.Commitment.OpportunityId == "OPP-H" && f.Kind == kind));
            Assert.Equal(300000m, CommitmentView.Of(form.Commitment).CommittedValue);
        }
        var updates = await App.WithDbAsync(db => db.OutboxMessages.Where(m => m.Kind == OutboxKind.Update && m.CorrelationId == "OPP-H").ToListAsync());
        // The summary card the capture form became is a live copy, queued again with the enrichment.
        var summary = Assert.Single(updates);
        Assert.Equal(("card-OPP-H", "commitment:OPP-H", OutboxStatus.Queued), (summary.ActivityId, summary.LiveCard, summary.Status));
        Assert.Contains("300,000.00 USD", await RenderLiveAsync(summary), StringComparison.Ordinal);

        // The owner confirms the form from its card; the confirmation is recorded once.
        var confirmed = CardOf(await ExecuteAsync("commitment.form.confirm",
            new JsonObject { ["opportunityId"] = "OPP-H", ["kind"] = "SalesOrderDraft", ["version"] = 0 }, "29:order-desk"));
        Assert.Contains("Confirmed by Olga Desk", Text(confirmed), StringComparison.Ordinal);
        var notOwner = CardOf(await ExecuteAsync("commitment.form.confirm",
            new JsonObject { ["opportunityId"] = "OPP-H", ["kind"] = "CommissionCredit", ["version"] = 0 }, "29:rep-two"));
        Assert.Contains("Only Sales ops can confirm", Text(notOwner), StringComparison.Ordinal);
        Assert.DoesNotContain("Sales order draft — OPP-H", Text(CardOfPost(await SayAsync("my tasks", "29:order-desk"))), StringComparison.Ordinal);
    }

    private Task<string> RenderLiveAsync(OutboxMessage m) => App.WithDbAsync(async db =>
    {
        var source = App.Services.GetRequiredService<IEnumerable<ILiveCardSource>>().Single(s => m.LiveCard!.StartsWith(s.Prefix + ":", StringComparison.Ordinal));
        return (await source.RenderAsync(db, new LiveCardCopy(m.LiveCard!, m.LiveCard![(source.Prefix.Length + 1)..], m.Kind, m.UserId, m.ChannelId,
            m.ResultConversationId ?? m.ConversationId), default))!;
    });

    [Fact]
    public async Task A_confirmed_task_card_ends_confirmed_with_the_enrichment_whatever_order_its_updates_go_in()
    {
        await App.DisposeAsync();
        App = NewApp(Database, fakeClock: false);
        App.Settings["Messaging:PollInterval"] = "00:00:00.050";
        App.Settings["Alerts:DigestHourUtc"] = "24"; // no digest to the default (unreachable) serviceUrl on the real clock
        Client = App.CreateClient();
        await CaptureAsync("OPP-L");
        OutboxMessage? task = null;
        await WaitForAsync(async () => (task = await App.WithDbAsync(db => db.OutboxMessages.AsNoTracking().FirstOrDefaultAsync(m =>
            m.CorrelationType == "commitment-form" && m.UserId == "29:order-desk" && m.ResultActivityId != null && m.Status == OutboxStatus.Sent))) is not null, "the task card");

        // The enrichment's card update is with a slow connector while the order desk confirms on the card.
        Connector.ResponseDelay = TimeSpan.FromMilliseconds(600);
        Assert.Contains("recorded", Text(CardOfPost(await SayAsync("enrich OPP-L value 300000"))), StringComparison.Ordinal);
        var confirmed = CardOf(await ExecuteAsync("commitment.form.confirm",
            new JsonObject { ["opportunityId"] = "OPP-L", ["kind"] = "SalesOrderDraft", ["version"] = 1 }, "29:order-desk", replyToId: task!.ResultActivityId));
        Assert.Contains("Confirmed by Olga Desk", Text(confirmed), StringComparison.Ordinal);
        Connector.ResponseDelay = TimeSpan.Zero;
        try { await Messaging.DispatcherTests.WaitUntilSettledAsync(App, 0, TimeSpan.FromSeconds(20)); }
        catch (TimeoutException) { Assert.Fail(string.Join("\n", (await App.WithDbAsync(db => db.OutboxMessages.AsNoTracking().ToListAsync())).Select(m => $"{m.Kind} {m.CorrelationType} {m.UserId}{m.ChannelId} {m.Status} {m.Error}"))); }

        var path = $"/v3/conversations/{Uri.EscapeDataString(task.ResultConversationId!)}/activities/{Uri.EscapeDataString(task.ResultActivityId!)}";
        var last = Connector.Delivered.Last(c => c.Method == "PUT" && c.Path.EndsWith(path, StringComparison.Ordinal));
        var card = CardOfPost(last.Body!);
        Assert.Contains("Confirmed by Olga Desk", Text(card), StringComparison.Ordinal);
        Assert.Contains("300,000.00 USD", Text(card), StringComparison.Ordinal);
        Assert.DoesNotContain(Walk(card), o => o["title"]?.ToString() == "Confirm my form");
    }

    [Fact]
    public async Task Enrichments_are_appended_never_overwritten_and_history_shows_them_all()
    {
        await CaptureAsync("OPP-E");
        foreach (var fact in new[] { "value 260000", "value 270000 second revision", "ship-date 2027-02-01", "contact Jane Buyer +31 10 555 0100" })
            Assert.Contains("recorded", Text(CardOfPost(await SayAsync("enrich OPP-E " + fact))), StringComparison.Ordinal);
        var bad = await SayAsync("enrich OPP-E delivery 2020-01-01");
        Assert.Contains("can't be before the commit date", bad["text"]!.ToString(), StringComparison.Ordinal);

        var history = Text(CardOfPost(await SayAsync("history OPP-E")));
        Assert.Contains("Captured: 250,000.00 USD", history, StringComparison.Ordinal);
        Assert.Contains("Committed value: 260000.00\nwas 250000.00", history, StringComparison.Ordinal);
        Assert.Contains("Committed value: 270000.00\nwas 260000.00\nsecond revision", history, StringComparison.Ordinal);
        Assert.Contains("Confirmed ship date: 2027-02-01", history, StringComparison.Ordinal);
        Assert.Contains("Customer contact: Jane Buyer +31 10 555 0100", history, StringComparison.Ordinal);

        await App.WithDbAsync(async db =>
        {
            var c = await db.Commitments.Include(x => x.Enrichments).Include(x => x.Customer).SingleAsync(x => x.OpportunityId == "OPP-E");
            Assert.Equal(250000m, c.CommittedValue);
            Assert.Equal(4, c.Enrichments.Count);
            Assert.Equal(5, c.Version);
            Assert.Equal(270000m, CommitmentView.Of(c).CommittedValue);
            Assert.Equal([1, 2, 3, 4, 5], await db.ErpFeed.Where(e => e.OpportunityId == "OPP-E").OrderBy(e => e.Version).Select(e => e.Version).ToListAsync());
            Assert.Equal(4, await db.AuditEntries.CountAsync(a => a.Action == "commitment-enriched" && a.EntityId == "OPP-E"));
            return 0;
        });
    }

    [Fact]
    public async Task Two_reps_editing_the_same_commitment_one_wins_the_other_is_told_to_reload()
    {
        await CaptureAsync("OPP-C");
        var editOne = CardOf(await ExecuteAsync("commitment.edit", new JsonObject { ["opportunityId"] = "OPP-C" }, "29:rep-one"));
        var editTwo = CardOf(await ExecuteAsync("commitment.edit", new JsonObject { ["opportunityId"] = "OPP-C" }, "29:rep-two"));

        var two = ActionData(editTwo, "Save");
        foreach (var (k, v) in Inputs(editTwo)) two[k] = v;
        two["committedValue"] = "275000";
        var won = CardOf(await ExecuteAsync("commitment.save", two, "29:rep-two"));
        Assert.Contains("Saved as version 2", Text(won), StringComparison.Ordinal);

        var one = ActionData(editOne, "Save");
        foreach (var (k, v) in Inputs(editOne)) one[k] = v;
        one["requestedDeliveryDate"] = "2027-03-01";
        var lost = CardOf(await ExecuteAsync("commitment.save", one, "29:rep-one"));
        var text = Text(lost);
        Assert.Contains("Changed by Rep Two at 2026-11-23 09:00 UTC", text, StringComparison.Ordinal);
        Assert.Contains("reload", text, StringComparison.Ordinal);
        Assert.Equal("commitment.edit", ((JsonObject)Walk(lost).First(o => o["title"]?.ToString() == "Reload"))["verb"]!.ToString());

        var view = await App.WithDbAsync(async db => CommitmentView.Of(await db.Commitments.Include(c => c.Customer).Include(c => c.Enrichments).SingleAsync(c => c.OpportunityId == "OPP-C")));
        Assert.Equal(275000m, view.CommittedValue);
        Assert.Equal(new DateOnly(2027, 1, 15), view.RequestedDeliveryDate);
        Assert.Equal(2, view.Version);
    }

    [Fact]
    public async Task Simultaneous_saves_of_the_same_version_let_exactly_one_win()
    {
        await CaptureAsync("OPP-R");
        JsonObject Save(string value) => new()
        {
            ["opportunityId"] = "OPP-R", ["version"] = 1, ["committedValue"] = value, ["requestedDeliveryDate"] = "2027-01-15",
            ["shipToSite"] = "Acme Plant 3", ["billToSite"] = "Acme HQ", ["paymentTerms"] = "Net 60", ["customerPoNumber"] = "4471",
            ["masterAgreementRef"] = "MSA-ACME-2024",
        };
        for (var round = 0; round < 3; round++)
        {
            var version = await App.WithDbAsync(db => db.Commitments.Where(c => c.OpportunityId == "OPP-R").Select(c => c.Version).SingleAsync());
            var a = Save((300000 + round).ToString(System.Globalization.CultureInfo.InvariantCulture));
            var b = Save((400000 + round).ToString(System.Globalization.CultureInfo.InvariantCulture));
            a["version"] = version;
            b["version"] = version;
            var results = await Task.WhenAll(ExecuteAsync("commitment.save", a, "29:rep-one"), ExecuteAsync("commitment.save", b, "29:rep-two"));
            var texts = results.Select(r => Text(CardOf(r))).ToList();
            Assert.Single(texts, t => t.Contains($"Saved as version {version + 1}", StringComparison.Ordinal));
            Assert.Single(texts, t => t.Contains("Changed by Rep", StringComparison.Ordinal) && t.Contains("reload", StringComparison.Ordinal));
        }
        await App.WithDbAsync(async db =>
        {
            Assert.Equal(4, await db.Commitments.Where(c => c.OpportunityId == "OPP-R").Select(c => c.Version).SingleAsync());
            Assert.Equal(3, await db.Enrichments.CountAsync(e => e.OpportunityId == "OPP-R"));
            Assert.Equal(4, await db.ErpFeed.CountAsync(e => e.OpportunityId == "OPP-R"));
            return 0;
        });
    }

    [Fact]
    public async Task A_restricted_account_is_invisible_to_others_in_every_path()
    {
        await CaptureAsync("OPP-S", account: "SECRET-007", user: "29:strategic-rep");
        Assert.Contains("OPP-S", Text(CardOfPost(await SayAsync("show OPP-S", "29:strategic-rep"))), StringComparison.Ordinal);

        string Missing(string what, string key) => CustomerAccess.NotFound(what, key);
        Assert.Equal(Missing("commitment", "OPP-S"), (await SayAsync("show OPP-S", "29:rep-one"))["text"]!.ToString());
        Assert.Equal(Missing("commitment", "OPP-NONE"), (await SayAsync("show OPP-NONE", "29:rep-one"))["text"]!.ToString());
        Assert.Equal(Missing("commitment", "OPP-S"), (await SayAsync("history OPP-S", "29:rep-one"))["text"]!.ToString());
        Assert.Equal(Missing("commitment", "OPP-S"), (await SayAsync("enrich OPP-S value 1", "29:rep-one"))["text"]!.ToString());
        Assert.Equal(Missing("commitment", "OPP-S"), (await SayAsync("edit OPP-S", "29:rep-one"))["text"]!.ToString());
        Assert.Equal(Missing("account", "SECRET-007"), (await SayAsync("commitments for SECRET-007", "29:rep-one"))["text"]!.ToString());
        Assert.Equal(Missing("account", "NOPE-1"), (await SayAsync("commitments for NOPE-1", "29:rep-one"))["text"]!.ToString());
        Assert.DoesNotContain("OPP-S", Text(CardOfPost(await SayAsync("my tasks", "29:service"))), StringComparison.Ordinal);
        Assert.Contains("OPP-S", Text(CardOfPost(await SayAsync("my tasks", "29:order-desk"))), StringComparison.Ordinal);

        foreach (var verb in new[] { "commitment.show", "commitment.history", "commitment.edit", "commitment.save", "commitment.form.confirm" })
        {
            var body = await ExecuteAsync(verb, new JsonObject { ["opportunityId"] = "OPP-S", ["version"] = 1, ["kind"] = "ServiceWorkOrder", ["committedValue"] = "1" }, "29:service");
            Assert.Equal(Missing("commitment", "OPP-S"), MessageOf(body));
        }
        Assert.Equal(Missing("account", "SECRET-007"), MessageOf(await ExecuteAsync("commitment.page", new JsonObject { ["list"] = "account", ["key"] = "SECRET-007", ["page"] = 1 })));
        var capture = CardOf(await ExecuteAsync("commitment.submit", ValidInput("OPP-S2", "SECRET-007", "77")));
        var hidden = AfterInput(capture, "accountNumber")!["text"]!.ToString();
        Assert.StartsWith(Missing("customer", "SECRET-007"), hidden, StringComparison.Ordinal);
        Assert.Contains("the admins are: 29:admin", hidden, StringComparison.Ordinal);
        var missing = CardOf(await ExecuteAsync("commitment.submit", ValidInput("OPP-S3", "NOPE-9", "78")));
        Assert.Equal(AfterInput(missing, "accountNumber")!["text"]!.ToString().Replace("NOPE-9", "SECRET-007", StringComparison.Ordinal), hidden);

        var partner = ApiClient(PartnerKey);
        Assert.Equal(HttpStatusCode.NotFound, (await partner.GetAsync("/api/commitments/OPP-S")).StatusCode);
        Assert.Empty((await GetJsonAsync(partner, "/api/erp/commitments"))["items"]!.AsArray());
        var erp = ApiClient(ErpKey);
        Assert.Equal("OPP-S", (await GetJsonAsync(erp, "/api/commitments/OPP-S"))["commitment"]!["opportunityId"]!.ToString());
        Assert.Single((await GetJsonAsync(erp, "/api/erp/commitments"))["items"]!.AsArray());

        Assert.Equal(0, await App.WithDbAsync(db => db.Enrichments.CountAsync()));
        Assert.True(await App.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "access-denied")) >= 10);
        // Notices for a restricted account go only to role members who may see it.
        var notices = await App.WithDbAsync(db => db.OutboxMessages.Where(m => m.CorrelationId!.StartsWith("OPP-S:")).ToListAsync());
        Assert.Equal("29:order-desk", Assert.Single(notices).UserId);
    }

    [Fact]
    public async Task Lists_page_after_ten_items()
    {
        for (var i = 1; i <= 12; i++) await CaptureAsync($"OPP-L{i:00}", po: $"L{i}");
        var first = CardOfPost(await SayAsync("my commitments"));
        Assert.Contains("Page 1 of 2 · 12 in all", Text(first), StringComparison.Ordinal);
        Assert.Equal(10, Walk(first).Count(o => o["selectAction"] is not null));
        var next = ActionData(first, "Next page");
        var second = CardOf(await ExecuteAsync("commitment.page", next));
        Assert.Equal(2, Walk(second).Count(o => o["selectAction"] is not null));
        Assert.Contains("OPP-L01", Text(second), StringComparison.Ordinal);
        Assert.Contains("Page 1 of 2 · 12 in all", Text(CardOfPost(await SayAsync("commitments for acme-001"))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overdue_form_reminds_its_owner_then_raises_an_alert_at_the_right_time()
    {
        await CaptureAsync("OPP-T");
        Task<List<OutboxMessage>> Outbox(string type) => App.WithDbAsync(db => db.OutboxMessages.Where(m => m.CorrelationType == type).ToListAsync());

        var scheduler = App.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<OverdueScheduler>().Single();
        Clock.Advance(TimeSpan.FromHours(38)); // 2026-11-24 23:00, order desk due 2026-11-25 00:00
        Assert.Equal(0, await scheduler.ScanAsync(default)); // a scan at this time finds nothing due (whatever the timer did meanwhile)
        Assert.Empty(await Outbox("commitment-form-reminder"));

        Clock.Advance(TimeSpan.FromHours(2)); // 2026-11-25 01:00
        await WaitForAsync(async () => (await Outbox("commitment-form-reminder")).Count > 0, "the reminder");
        var reminder = Assert.Single(await Outbox("commitment-form-reminder"));
        Assert.Equal("29:order-desk", reminder.UserId);
        Assert.Contains("Reminder: this form was due 2026-11-25 00:00 UTC", reminder.ActivityJson, StringComparison.Ordinal);
        Assert.Equal(0, await App.WithDbAsync(db => db.Alerts.CountAsync()));

        Clock.Advance(TimeSpan.FromDays(2)); // 2026-11-27 01:00: order desk 2 days overdue; supply chain due 11-26 reminded
        await WaitForAsync(() => App.WithDbAsync(db => db.Alerts.AnyAsync()), "the overdue alert");
        // A real interruption alert of the Alerts feature: its kind/severity from Commitments config, routed by the Alerts rules.
        var raised = Assert.Single(await App.WithDbAsync(db => db.Alerts.AsNoTracking().ToListAsync()));
        Assert.Equal(("Acme Industrial", "OPP-T", "order-error", Severity.Medium, false), (raised.Account, raised.Reference, raised.Kind, raised.Severity, raised.Restricted));
        Assert.Equal(("commitments", "overdue:" + CommitmentNotifications.FormCorrelation("OPP-T", FormKind.SalesOrderDraft)), (raised.ApiClient, raised.IdempotencyKey));
        var alert = Assert.Single(await Outbox("alert"));
        Assert.Equal("19:alerts@thread.tacv2", alert.ChannelId);
        Assert.Contains("Order flow stalled", alert.ActivityJson, StringComparison.Ordinal);
        Assert.Equal(1, await App.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "overdue-alert-raised")));
        await App.WithDbAsync(db => db.DownstreamForms.Where(f => f.Kind == FormKind.SalesOrderDraft).ExecuteUpdateAsync(u => u.SetProperty(f => f.AlertRaisedAt, (DateTime?)null)));
        await scheduler.ScanAsync(default);
        Assert.Equal(1, await App.WithDbAsync(db => db.Alerts.CountAsync())); // idempotent per form even if the scan runs again
        Assert.Single(await Outbox("commitment-form-reminder")); // supply chain is a channel role: no personal reminder; order desk not reminded twice
    }

    [Fact]
    public async Task An_overdue_form_and_the_alert_it_requests_commit_together_or_not_at_all()
    {
        await CaptureAsync("OPP-TX");
        await App.DisposeAsync();
        Clock.Advance(TimeSpan.FromDays(10)); // every form is overdue past the alert threshold
        App = NewApp(Database);
        // A second handler of the request fails after the Alerts feature has raised (and saved) the alert in the scan's transaction.
        App.TestServices = services => services.AddDomainEventHandler<AlertRequested, RefusingAlertRequestHandler>();
        Client = App.CreateClient();
        var scheduler = App.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<OverdueScheduler>().Single();
        await Assert.ThrowsAsync<InvalidOperationException>(() => scheduler.ScanAsync(default));
        await App.WithDbAsync(async db =>
        {
            Assert.Equal(0, await db.Alerts.CountAsync());
            Assert.Equal(0, await db.OutboxMessages.CountAsync(m => m.CorrelationType == "alert" || m.CorrelationType == "commitment-form-reminder"));
            Assert.Equal(0, await db.AuditEntries.CountAsync(a => a.Action == "overdue-alert-raised" || a.Action == "overdue-reminder-sent"));
            Assert.All(await db.DownstreamForms.AsNoTracking().ToListAsync(), f => Assert.Equal((null, null), (f.ReminderSentAt, f.AlertRaisedAt)));
            return 0;
        });

        await App.DisposeAsync();
        App = NewApp(Database);
        Client = App.CreateClient();
        await WaitForAsync(async () => await App.WithDbAsync(db => db.Alerts.CountAsync()) == 4, "the four overdue alerts");
        Assert.Equal(4, await App.WithDbAsync(db => db.DownstreamForms.CountAsync(f => f.ReminderSentAt != null && f.AlertRaisedAt != null)));
    }

    private sealed class RefusingAlertRequestHandler : IDomainEventHandler<AlertRequested>
    {
        public Task HandleAsync(AlertRequested domainEvent, CancellationToken ct) => throw new InvalidOperationException("The request is refused.");
    }

    [Fact]
    public async Task Due_dates_are_data_so_a_reminder_missed_while_down_is_sent_after_restart()
    {
        await CaptureAsync("OPP-RS");
        await App.DisposeAsync();
        Clock.Advance(TimeSpan.FromDays(3)); // the service was down when the order desk form fell due
        App = NewApp(Database);
        Client = App.CreateClient();
        await WaitForAsync(() => App.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.CorrelationType == "commitment-form-reminder" && m.UserId == "29:order-desk")),
            "the reminder after restart");
        Assert.NotNull(await App.WithDbAsync(db => db.DownstreamForms.Where(f => f.Kind == FormKind.SalesOrderDraft).Select(f => f.ReminderSentAt).SingleAsync()));
    }

    [Fact]
    public async Task Admin_commands_are_for_admins_only()
    {
        Assert.Equal("Only OpsBot admins can change accounts; the admins are: 29:admin.", (await SayAsync("account add NEW-1 Key New Co", "29:rep-one"))["text"]!.ToString());
        Assert.Contains("added", (await SayAsync("account add NEW-1 Key New Co Ltd", "29:admin"))["text"]!.ToString(), StringComparison.Ordinal);
        Assert.Contains("restricted", (await SayAsync("account restrict NEW-1 29:rep-two", "29:admin"))["text"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal(CustomerAccess.NotFound("account", "NEW-1"), (await SayAsync("commitments for NEW-1", "29:rep-one"))["text"]!.ToString());
        Assert.Contains("No commitments yet", Text(CardOfPost(await SayAsync("commitments for NEW-1", "29:rep-two"))), StringComparison.Ordinal);
        // Members are named by Teams user id or Entra object id, in any case.
        await SayAsync($"account restrict NEW-1 {Activities.AadId("29:rep-one").ToUpperInvariant()}", "29:admin");
        Assert.Contains("No commitments yet", Text(CardOfPost(await SayAsync("commitments for NEW-1", "29:rep-one"))), StringComparison.Ordinal);
    }
}

public sealed class SqliteCommitmentTests() : CommitmentTests(DatabaseProvider.Sqlite)
{
    protected override Task<string> NewDatabaseAsync() => Task.FromResult(SqliteFiles.New());
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresCommitmentTests(PostgresServer server) : CommitmentTests(DatabaseProvider.Postgres)
{
    protected override Task<string> NewDatabaseAsync() => server.CreateDatabaseAsync();
}

public static class SqliteFiles
{
    public static string New()
    {
        var dir = Path.Combine(Path.GetTempPath(), "opsbot-tests", "commitments-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        return $"Data Source={Path.Combine(dir, "opsbot.db")}";
    }
}
