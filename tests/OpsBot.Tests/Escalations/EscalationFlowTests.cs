using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Escalations;

/// <summary>The vertical slice on SQLite and PostgreSQL: escalate → assign → executive card via outbox → actions → SLA.</summary>
public abstract class EscalationFlowTests(DatabaseProvider provider) : EscalationTestBase(provider)
{
    [Fact]
    public async Task The_executive_card_shows_open_commitments_recent_alerts_and_earlier_complaints_of_the_account()
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        await App.WithDbAsync(async db =>
        {
            var account = await db.Customers.SingleAsync(c => c.Number == "ACME-CORP");
            var globex = await db.Customers.SingleAsync(c => c.Number == "GLOBEX");
            void AddOpen(string opportunity, string po, decimal value, string currency, DateOnly delivery)
            {
                var open = new OpsBot.Commitments.Commitment
                {
                    OpportunityId = opportunity, Customer = account, CustomerName = "ACME Corp", MasterAgreementRef = "MSA-1", CustomerPoNumber = po,
                    CommittedValue = value, Currency = currency, CommitDate = new DateOnly(2026, 11, 1), RequestedDeliveryDate = delivery,
                    ShipToSite = "Plant 3", BillToSite = "HQ", PaymentTerms = "Net 60", AccountOwnerId = Rep, AccountOwnerName = "Rep One",
                    CreatedById = Rep, CreatedByName = "Rep One", UpdatedById = Rep, UpdatedByName = "Rep One", CreatedAt = now, UpdatedAt = now,
                    ServiceUrl = Connector.ServiceUrl, TenantId = Activities.TenantId,
                };
                open.Forms.Add(new OpsBot.Commitments.DownstreamForm { Kind = OpsBot.Commitments.FormKind.SalesOrderDraft, DueAt = now.AddDays(2) });
                db.Commitments.Add(open);
            }
            AddOpen("OPP-H1", "4471", 250000m, "USD", new DateOnly(2027, 1, 15));
            AddOpen("OPP-H0", "4470", 1000m, "EUR", new DateOnly(2026, 12, 1));
            db.Alerts.Add(new OpsBot.Alerts.Alert
            {
                CustomerId = account.Id, Account = "ACME Corp", Kind = "late-shipment", Impact = "Pallets stuck at the port", Severity = Severity.High, RaisedById = "erp", RaisedByName = "ERP",
                GroupKey = "acme corp|", ServiceUrl = Connector.ServiceUrl, CreatedAt = now.AddHours(-3),
            });
            for (var h = 4; h <= 8; h++)
                db.Alerts.Add(new OpsBot.Alerts.Alert
                {
                    CustomerId = account.Id, Account = "acme corp", Kind = "order-error", Impact = $"Older alert {h}", Severity = Severity.Medium, RaisedById = "erp", RaisedByName = "ERP",
                    GroupKey = "acme corp|", ServiceUrl = Connector.ServiceUrl, CreatedAt = now.AddHours(-h),
                });
            db.Alerts.Add(new OpsBot.Alerts.Alert
            {
                CustomerId = globex.Id, Account = "Globex", Kind = "line-down", Impact = "Someone else's alert", Severity = Severity.Critical, RaisedById = "erp", RaisedByName = "ERP",
                GroupKey = "globex|", ServiceUrl = Connector.ServiceUrl, CreatedAt = now.AddHours(-3),
            });
            return await db.SaveChangesAsync();
        });
        var first = await EscalateAsync("ACME Corp");
        var second = await EscalateAsync("acme corp");

        var card = CardOf(await InvokeAsync(Execute("escalation.view", Data(second.Id, second.Version), Ann)));
        var history = card["body"]!.AsArray().Where(b => b?["type"]?.GetValue<string>() == "TextBlock").Select(b => b!["text"]!.GetValue<string>())
            .SkipWhile(t => t != "Customer history").Skip(1).TakeWhile(t => t != "Timeline").ToList();
        // Open commitments by delivery date, then the five newest alerts, then earlier complaints; other accounts never.
        Assert.Equal(
        [
            "Open commitment OPP-H0 · PO 4470 · 1,000 EUR · delivery 2026-12-01",
            "Open commitment OPP-H1 · PO 4471 · 250,000 USD · delivery 2027-01-15",
            "Pallets stuck at the port", "Older alert 4", "Older alert 5", "Older alert 6", "Older alert 7",
            $"ESC-{first.Id}",
        ], history.Select(l => l.StartsWith("Alert #", StringComparison.Ordinal) ? l[(l.LastIndexOf(" · ", StringComparison.Ordinal) + 3)..]
            : l.StartsWith("ESC-", StringComparison.Ordinal) ? l[..l.IndexOf(" · ", StringComparison.Ordinal)] : l));
        Assert.StartsWith("Alert #1 · Sev 2 · late-shipment · Open", history[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Escalate_command_shows_the_form_validates_beside_the_field_and_creates_one_complaint_for_the_sponsor()
    {
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "escalate ACME Corp"));
        var form = Assert.Single(Connector.Posts).Body!["attachments"]![0]!["content"]!.AsObject();
        Assert.Contains("\"value\":\"ACME Corp\"", form.ToJsonString(Relaxed), StringComparison.Ordinal);

        var data = ValidForm("ACME Corp");
        data["summary"] = "late";
        var invalid = CardOf(await InvokeAsync(Execute("escalation.submit", data, Rep, "form-1")));
        var text = invalid.ToJsonString(Relaxed);
        Assert.Contains("Describe what happened (at least 10 characters).", text, StringComparison.Ordinal);
        Assert.Contains("\"value\":\"Jane Doe, procurement\"", text, StringComparison.Ordinal);
        Assert.Equal(0, await App.WithDbAsync(db => db.Escalations.CountAsync()));

        data["summary"] = "Second late delivery this quarter, line 2 stopped.";
        var card = CardOf(await InvokeAsync(Execute("escalation.submit", data, Rep, "form-1")));
        Assert.Contains("sponsor of ACME Corp", card.ToJsonString(Relaxed), StringComparison.Ordinal);
        var again = CardOf(await InvokeAsync(Execute("escalation.submit", data, Rep, "form-1")));
        Assert.Contains("Already escalated", again.ToJsonString(Relaxed), StringComparison.Ordinal);

        var escalation = await App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync());
        Assert.Equal("ann", escalation.AssigneeId);
        Assert.Equal("sponsor of ACME Corp", escalation.AssignmentReason);
        Assert.Equal(EscalationStatus.Assigned, escalation.Status);
        Assert.Equal("form-1", escalation.RepCardActivityId);
        Assert.Equal(Monday9.UtcDateTime.AddHours(4), escalation.AcknowledgeDueAt);

        var outbox = await OutboxAsync();
        var execCard = Assert.Single(outbox, m => m.Kind != OutboxKind.Update);
        var repCopy = Assert.Single(outbox, m => m.Kind == OutboxKind.Update); // the rep's form card, now a live copy of the complaint card
        Assert.Equal(("form-1", $"escalation:{escalation.Id}"), (repCopy.ActivityId, repCopy.LiveCard));
        Assert.Equal(OutboxKind.CreatePersonal, execCard.Kind);
        Assert.Equal(Ann, execCard.UserId);
        Assert.Equal(Activities.TenantId, execCard.TenantId);
        Assert.Equal(("escalation", escalation.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), (execCard.CorrelationType, execCard.CorrelationId));
        var content = CardIn(execCard);
        Assert.Equal(["Acknowledge", "Log contact", "Resolve", "Reassign", "Ask rep"], ActionTitles(content));
        Assert.Equal(new[] { Ann, AnnDelegate, Rep }, content["refresh"]!["userIds"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains("Second late delivery", content.ToJsonString(Relaxed), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_card_posted_before_the_rename_still_acts_on_its_escalation_and_is_answered_with_a_card_naming_it_escalationId()
    {
        var c = await EscalateAsync("ACME Corp");

        var card = CardOf(await InvokeAsync(Execute("escalation.ack", new JsonObject { ["complaintId"] = c.Id, ["version"] = c.Version }, Ann)));

        Assert.Contains("Done: you acknowledged", card.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.Equal(EscalationStatus.Acknowledged, (await EscalationAsync(c.Id)).Status);
        var actionData = ActionData(card).ToList();
        Assert.NotEmpty(actionData);
        Assert.All(actionData, d => Assert.Equal((c.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), false),
            (d["escalationId"]?.ToString(), d.ContainsKey("complaintId"))));

        static IEnumerable<JsonObject> ActionData(JsonNode? node) => node switch
        {
            JsonObject o => (o["verb"] is not null && o["data"] is JsonObject d ? [d] : Enumerable.Empty<JsonObject>()).Concat(o.SelectMany(p => ActionData(p.Value))),
            JsonArray a => a.SelectMany(ActionData),
            _ => [],
        };
    }

    [Fact]
    public async Task Acknowledge_updates_every_posted_copy_notifies_the_rep_and_the_refresh_gives_each_viewer_their_buttons()
    {
        var c = await EscalateAsync("ACME Corp");
        await MarkDeliveredAsync();

        var card = CardOf(await InvokeAsync(Execute("escalation.ack", Data(c.Id, c.Version), AnnDelegate)));
        Assert.Contains("Done: you acknowledged", card.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.DoesNotContain("Acknowledge", ActionTitles(card));
        var after = await EscalationAsync(c.Id);
        Assert.Equal(EscalationStatus.Acknowledged, after.Status);
        Assert.True(after.AcknowledgedInSla);
        Assert.Equal(c.Version + 1, after.Version);

        var outbox = await OutboxAsync();
        // Every posted copy (the exec's, and the rep's form card now showing the complaint) is queued again for the new state.
        var marked = outbox.Where(m => m.LiveCard == $"escalation:{c.Id}" && m.ResultActivityId != null && m.Status == OutboxStatus.Queued).ToList();
        Assert.Equal(2, marked.Count);
        var repCopy = Assert.Single(marked, u => u.ActivityId == "form-" + c.IdempotencyKey["form:".Length..] && u.ConversationId == $"a:personal-{Rep}");
        Assert.Equal(["Add information"], ActionTitles(await RenderLiveAsync(repCopy)));
        var annCopy = Assert.Single(marked, u => u.ResultConversationId == $"a:chat-{Ann}");
        Assert.Contains("Resolve", ActionTitles(await RenderLiveAsync(annCopy)));
        var note = Assert.Single(outbox, m => m.CorrelationType == "escalation-note");
        Assert.Equal(Rep, note.UserId);
        Assert.Contains("acknowledged", note.ActivityJson, StringComparison.Ordinal);

        var repView = CardOf(await InvokeAsync(Execute("escalation.view", new JsonObject { ["escalationId"] = c.Id, ["trigger"] = "automatic" }, Rep)));
        Assert.Equal(["Add information"], ActionTitles(repView));
        // Someone not involved is answered as for a complaint that does not exist.
        var stranger = await InvokeAsync(Execute("escalation.view", new JsonObject { ["escalationId"] = c.Id }, "29:someone-else"));
        var missing = await InvokeAsync(Execute("escalation.view", new JsonObject { ["escalationId"] = 9999 }, "29:someone-else"));
        Assert.Equal((404, $"ESC-{c.Id} does not exist (any more)."), ErrorOf(stranger));
        Assert.Equal((404, "ESC-9999 does not exist (any more)."), ErrorOf(missing));
        var ceo = CardOf(await InvokeAsync(Execute("escalation.view", new JsonObject { ["escalationId"] = c.Id }, Ceo)));
        Assert.Contains("Second late delivery", ceo.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.Empty(ActionTitles(ceo));
    }

    [Fact]
    public async Task A_directory_change_by_an_admin_applies_to_the_next_card_action()
    {
        var c = await EscalateAsync("ACME Corp");
        const string NewDelegate = "29:new-delegate";
        var before = await InvokeAsync(Execute("escalation.view", new JsonObject { ["escalationId"] = c.Id }, NewDelegate));
        Assert.Equal(404, ErrorOf(before).Status);

        var admin = Activities.Message(Connector.ServiceUrl, $"exec delegate ann {NewDelegate}", "29:admin");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await Client.PostActivityAsync(admin)).StatusCode);
        Assert.Contains(Connector.Posts, p => p.Body?["text"]?.GetValue<string>() == $"{NewDelegate} can now act for Ann Lee.");

        var after = CardOf(await InvokeAsync(Execute("escalation.ack", Data(c.Id, c.Version), NewDelegate)));
        Assert.Contains("Done: you acknowledged.", after.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.Equal(EscalationStatus.Acknowledged, (await EscalationAsync(c.Id)).Status);
    }

    [Fact]
    public async Task A_directory_change_made_by_another_instance_applies_once_the_cached_copy_expires()
    {
        var c = await EscalateAsync("ACME Corp");
        const string NewDelegate = "29:new-delegate";
        OpsBot.BotFramework.Schema.Activity View() => Execute("escalation.view", new JsonObject { ["escalationId"] = c.Id }, NewDelegate);
        Assert.Equal(404, ErrorOf(await InvokeAsync(View())).Status);

        // A second instance on the same store; its dispatcher stays off (this instance delivers the outbox, on the test's clock).
        await using (var other = NewFactory(ConnectionString))
        {
            other.Settings["Messaging:DispatcherEnabled"] = "false";
            var admin = Activities.Message(Connector.ServiceUrl, $"exec delegate ann {NewDelegate}", "29:admin");
            Assert.Equal(System.Net.HttpStatusCode.OK, (await other.CreateClient().PostActivityAsync(admin)).StatusCode);
            Assert.Contains(Connector.Posts, p => p.Body?["text"]?.GetValue<string>() == $"{NewDelegate} can now act for Ann Lee.");
        }
        Assert.Equal(404, ErrorOf(await InvokeAsync(View())).Status);

        Clock.Advance(new OpsBot.People.DirectoryOptions().CacheDuration);
        var card = CardOf(await InvokeAsync(View())).ToJsonString(Relaxed);
        Assert.DoesNotContain("You do not have access", card, StringComparison.Ordinal);
        Assert.Contains(c.Summary, card, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stale_Acknowledge_after_Reassign_has_no_effect_and_returns_the_current_card()
    {
        var c = await EscalateAsync("ACME Corp");
        await MarkDeliveredAsync();
        var reassigned = CardOf(await InvokeAsync(Execute("escalation.reassign",
            Data(c.Id, c.Version, ("reassignTo", "bob"), ("reassignReason", "Bob owns the logistics relationship")), Ann)));
        Assert.Contains("reassigned to Bob Stone", reassigned.ToJsonString(Relaxed), StringComparison.Ordinal);

        var stale = CardOf(await InvokeAsync(Execute("escalation.ack", Data(c.Id, c.Version), AnnDelegate)));
        Assert.Contains("out of date", stale.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.Contains("Waiting for Bob Stone to acknowledge", stale.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.Empty(ActionTitles(stale));

        var after = await EscalationAsync(c.Id);
        Assert.Equal(("bob", EscalationStatus.Assigned, (DateTime?)null), (after.AssigneeId, after.Status, after.AcknowledgedAt));
        Assert.Equal(c.Version + 1, after.Version);
        Assert.DoesNotContain(await EventsAsync(c.Id), e => e.Kind == EscalationEventKind.Acknowledged);
        var bobCard = Assert.Single(await OutboxAsync(), m => m.Kind == OutboxKind.CreatePersonal && m.UserId == Bob);
        Assert.Contains("Acknowledge", ActionTitles(CardIn(bobCard)));

        var bobAck = CardOf(await InvokeAsync(Execute("escalation.ack", Data(c.Id, after.Version), Bob)));
        Assert.Contains("Done: you acknowledged", bobAck.ToJsonString(Relaxed), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_executives_clicking_Resolve_at_once_resolve_exactly_once()
    {
        var c = await EscalateAsync("ACME Corp");
        await MarkDeliveredAsync();
        using var second = App.CreateClient();
        var results = await Task.WhenAll(
            InvokeAsync(Execute("escalation.resolve", Data(c.Id, c.Version, ("resolution", "Credit note issued"), ("satisfied", "yes")), Ann)),
            InvokeAsync(Execute("escalation.resolve", Data(c.Id, c.Version, ("resolution", "Replacement shipped"), ("satisfied", "no")), AnnDelegate), second));

        var texts = results.Select(r => CardOf(r).ToJsonString(Relaxed)).ToList();
        Assert.Single(texts, t => t.Contains("Done: you resolved", StringComparison.Ordinal));
        Assert.Single(texts, t => t.Contains("nothing was changed", StringComparison.Ordinal));
        Assert.Single(await EventsAsync(c.Id), e => e.Kind == EscalationEventKind.Resolved);
        var after = await EscalationAsync(c.Id);
        Assert.Equal(EscalationStatus.Resolved, after.Status);
        Assert.Equal(c.Version + 1, after.Version);
        Assert.Single(await OutboxAsync(), m => m.CorrelationType == "escalation-note");
    }

    [Fact]
    public async Task SLA_reminder_then_re_escalation_fire_once_at_the_business_time_deadlines()
    {
        var c = await EscalateAsync("ACME Corp");
        await MarkDeliveredAsync();

        Clock.SetUtcNow(Monday9.AddHours(2).AddMinutes(59));
        Assert.Equal(0, await RunSlaAsync());
        Clock.SetUtcNow(Monday9.AddHours(3));
        Assert.Equal(1, await RunSlaAsync());
        Assert.Equal(0, await RunSlaAsync());
        var reminder = Assert.Single(await OutboxAsync(), m => m.CorrelationType == "escalation-note");
        Assert.Equal(Ann, reminder.UserId);
        Assert.Contains("acknowledge is due by Mon 23 Nov 13:00 UTC", reminder.ActivityJson, StringComparison.Ordinal);

        Clock.SetUtcNow(Monday9.AddHours(4));
        Assert.Equal(1, await RunSlaAsync());
        var outbox = await OutboxAsync();
        var backup = Assert.Single(outbox, m => m.Kind == OutboxKind.CreatePersonal && m.UserId == Bob);
        Assert.Contains("Acknowledge", ActionTitles(CardIn(backup)));
        var post = Assert.Single(outbox, m => m.Kind == OutboxKind.CreateChannelThread);
        Assert.Equal(Channel, post.ChannelId);
        Assert.Contains(outbox, m => m.CorrelationType == "escalation-note" && m.UserId == Rep && m.ActivityJson.Contains("re-escalated to Bob Stone", StringComparison.Ordinal));
        Assert.Contains(outbox, m => m.LiveCard == $"escalation:{c.Id}" && m.ResultConversationId == $"a:chat-{Ann}" && m.Status == OutboxStatus.Queued);
        var after = await EscalationAsync(c.Id);
        Assert.Equal("bob", after.BackupExecutiveId);
        Assert.Single(await EventsAsync(c.Id), e => e.Kind == EscalationEventKind.ReEscalated);

        var bobAck = CardOf(await InvokeAsync(Execute("escalation.ack", Data(c.Id, after.Version), Bob)));
        Assert.Contains("Done: you acknowledged", bobAck.ToJsonString(Relaxed), StringComparison.Ordinal);

        Clock.SetUtcNow(Monday9.AddHours(7).AddMinutes(-1));
        Assert.Equal(0, await RunSlaAsync());
        Clock.SetUtcNow(Monday9.AddHours(7));
        Assert.Equal(1, await RunSlaAsync());
        var contactReminder = (await OutboxAsync()).Last(m => m.CorrelationType == "escalation-note");
        Assert.Equal(Ann, contactReminder.UserId);
        Assert.Contains("first contact is due by Mon 23 Nov 17:00 UTC", contactReminder.ActivityJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deadlines_skip_nights_and_weekends()
    {
        Clock.SetUtcNow(new DateTimeOffset(2026, 11, 27, 15, 0, 0, TimeSpan.Zero));
        var c = await EscalateAsync("ACME Corp");
        Assert.Equal(new DateTime(2026, 11, 30, 11, 0, 0, DateTimeKind.Utc), c.AcknowledgeDueAt);
        Assert.Equal(new DateTime(2026, 11, 30, 15, 0, 0, DateTimeKind.Utc), c.ContactDueAt);
        Assert.Equal(new DateTime(2026, 12, 4, 15, 0, 0, DateTimeKind.Utc), c.ResolveDueAt);
    }

    [Fact]
    public async Task The_scheduler_keeps_its_timers_across_a_restart()
    {
        var c = await EscalateAsync("ACME Corp");
        await App.DisposeAsync();

        Clock.SetUtcNow(Monday9.AddHours(3).AddMinutes(30));
        App = NewFactory(ConnectionString, scheduler: true);
        Client = App.CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        List<OutboxMessage> notes = [];
        while (DateTime.UtcNow < deadline)
        {
            notes = (await OutboxAsync()).Where(m => m.CorrelationType == "escalation-note").ToList();
            if (notes.Count > 0) break;
            await Task.Delay(100);
        }
        var reminder = Assert.Single(notes);
        Assert.Equal(Ann, reminder.UserId);
        Assert.Equal(c.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), reminder.CorrelationId);
    }

    private async Task<int> RunSlaAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EscalationSla>().RunDueAsync(CancellationToken.None);
    }
}

public sealed class SqliteEscalationFlowTests() : EscalationFlowTests(DatabaseProvider.Sqlite)
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "opsbot-esc-" + Guid.NewGuid().ToString("n"));

    protected override Task<string?> ConnectionStringAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.FromResult<string?>($"Data Source={Path.Combine(_dir, "opsbot.db")}");
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresEscalationFlowTests(PostgresServer server) : EscalationFlowTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
