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
        Assert.Equal(0, await App.WithDbAsync(db => db.Complaints.CountAsync()));

        data["summary"] = "Second late delivery this quarter, line 2 stopped.";
        var card = CardOf(await InvokeAsync(Execute("escalation.submit", data, Rep, "form-1")));
        Assert.Contains("sponsor of ACME Corp", card.ToJsonString(Relaxed), StringComparison.Ordinal);
        var again = CardOf(await InvokeAsync(Execute("escalation.submit", data, Rep, "form-1")));
        Assert.Contains("Already escalated", again.ToJsonString(Relaxed), StringComparison.Ordinal);

        var complaint = await App.WithDbAsync(db => db.Complaints.AsNoTracking().SingleAsync());
        Assert.Equal("ann", complaint.AssigneeId);
        Assert.Equal("sponsor of ACME Corp", complaint.AssignmentReason);
        Assert.Equal(ComplaintStatus.Assigned, complaint.Status);
        Assert.Equal("form-1", complaint.RepCardActivityId);
        Assert.Equal(Monday9.UtcDateTime.AddHours(4), complaint.AcknowledgeDueAt);

        var outbox = await OutboxAsync();
        var execCard = Assert.Single(outbox);
        Assert.Equal(OutboxKind.CreatePersonal, execCard.Kind);
        Assert.Equal(Ann, execCard.UserId);
        Assert.Equal(Activities.TenantId, execCard.TenantId);
        Assert.Equal(("escalation", complaint.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), (execCard.CorrelationType, execCard.CorrelationId));
        var content = CardIn(execCard);
        Assert.Equal(["Acknowledge", "Log contact", "Resolve", "Reassign", "Ask rep"], ActionTitles(content));
        Assert.Equal(new[] { Ann, AnnDelegate, Rep }, content["refresh"]!["userIds"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains("Second late delivery", content.ToJsonString(Relaxed), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acknowledge_updates_every_posted_copy_notifies_the_rep_and_the_refresh_gives_each_viewer_their_buttons()
    {
        var c = await EscalateAsync("ACME Corp");
        await MarkDeliveredAsync();

        var card = CardOf(await InvokeAsync(Execute("escalation.ack", Data(c.Id, c.Version), AnnDelegate)));
        Assert.Contains("Done: you acknowledged", card.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.DoesNotContain("Acknowledge", ActionTitles(card));
        var after = await ComplaintAsync(c.Id);
        Assert.Equal(ComplaintStatus.Acknowledged, after.Status);
        Assert.True(after.AcknowledgedInSla);
        Assert.Equal(c.Version + 1, after.Version);

        var outbox = await OutboxAsync();
        var updates = outbox.Where(m => m.Kind == OutboxKind.Update).ToList();
        Assert.Equal(2, updates.Count);
        Assert.Contains(updates, u => u.ActivityId == "form-" + c.IdempotencyKey["form:".Length..] && u.ConversationId == $"a:personal-{Rep}");
        Assert.Contains(updates, u => u.ConversationId == $"a:chat-{Ann}" && ActionTitles(CardIn(u)).Contains("Resolve"));
        var note = Assert.Single(outbox, m => m.CorrelationType == "escalation-note");
        Assert.Equal(Rep, note.UserId);
        Assert.Contains("acknowledged", note.ActivityJson, StringComparison.Ordinal);

        var repView = CardOf(await InvokeAsync(Execute("escalation.view", new JsonObject { ["complaintId"] = c.Id, ["trigger"] = "automatic" }, Rep)));
        Assert.Equal(["Add information"], ActionTitles(repView));
        var stranger = CardOf(await InvokeAsync(Execute("escalation.view", new JsonObject { ["complaintId"] = c.Id }, "29:someone-else")));
        Assert.Contains("You do not have access", stranger.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.DoesNotContain("Second late delivery", stranger.ToJsonString(Relaxed), StringComparison.Ordinal);
        var ceo = CardOf(await InvokeAsync(Execute("escalation.view", new JsonObject { ["complaintId"] = c.Id }, Ceo)));
        Assert.Contains("Second late delivery", ceo.ToJsonString(Relaxed), StringComparison.Ordinal);
        Assert.Empty(ActionTitles(ceo));
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

        var after = await ComplaintAsync(c.Id);
        Assert.Equal(("bob", ComplaintStatus.Assigned, (DateTime?)null), (after.AssigneeId, after.Status, after.AcknowledgedAt));
        Assert.Equal(c.Version + 1, after.Version);
        Assert.DoesNotContain(await EventsAsync(c.Id), e => e.Kind == ComplaintEventKind.Acknowledged);
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
        Assert.Single(await EventsAsync(c.Id), e => e.Kind == ComplaintEventKind.Resolved);
        var after = await ComplaintAsync(c.Id);
        Assert.Equal(ComplaintStatus.Resolved, after.Status);
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
        Assert.Contains(outbox, m => m.Kind == OutboxKind.Update && m.ConversationId == $"a:chat-{Ann}");
        var after = await ComplaintAsync(c.Id);
        Assert.Equal("bob", after.BackupExecutiveId);
        Assert.Single(await EventsAsync(c.Id), e => e.Kind == ComplaintEventKind.ReEscalated);

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
