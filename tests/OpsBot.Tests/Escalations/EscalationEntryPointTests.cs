using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Messaging;

namespace OpsBot.Tests.Escalations;

/// <summary>The other two entry points: the button on commitment/alert cards and the message-extension action.</summary>
public sealed class EscalationEntryPointTests() : EscalationTestBase(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);

    [Fact]
    public async Task A_restricted_commitments_account_can_be_escalated_only_by_its_members()
    {
        await App.WithDbAsync(async db =>
        {
            db.Customers.Add(new OpsBot.Customers.Customer { Number = "SECRET-007", Name = "Secret Strategic Co", Restricted = true, Members = [new() { Key = Rep }] });
            return await db.SaveChangesAsync();
        });

        // An outsider gets the form back with the same words as for a customer that does not exist, their input kept.
        var refused = CardOf(await InvokeAsync(Execute("escalation.submit", ValidForm("secret strategic co", formId: "f-outsider"), "29:outsider"))).ToJsonString(Relaxed);
        var missing = CardOf(await InvokeAsync(Execute("escalation.submit", ValidForm("secret strategic cx", formId: "f-outsider"), "29:outsider"))).ToJsonString(Relaxed);
        Assert.Contains("I couldn't find customer 'secret strategic co'", refused, StringComparison.Ordinal);
        Assert.Equal(missing.Replace("cx", "co", StringComparison.Ordinal), refused.Replace("cx", "co", StringComparison.Ordinal));
        Assert.DoesNotContain("SECRET-007", refused, StringComparison.Ordinal);
        Assert.Equal(0, await App.WithDbAsync(db => db.Escalations.CountAsync()));

        var escalation = await EscalateAsync("Secret Strategic Co", rep: Rep);
        Assert.Equal("Secret Strategic Co", escalation.Account);
    }

    [Fact]
    public async Task The_message_action_refuses_a_restricted_account_to_outsiders_and_keeps_their_input()
    {
        await App.WithDbAsync(async db =>
        {
            db.Customers.Add(new OpsBot.Customers.Customer { Number = "SECRET-007", Name = "Secret Strategic Co", Restricted = true, Members = [new() { Key = Rep }] });
            return await db.SaveChangesAsync();
        });
        JsonObject Submit() => new()
        {
            ["commandId"] = "escalateMessage", ["commandContext"] = "message",
            ["data"] = new JsonObject
            {
                ["account"] = "SECRET-007", ["contact"] = "Jane Doe", ["summary"] = "Their line stopped after our delivery.",
                ["impact"] = "Line down for a shift", ["desiredOutcome"] = "Call today", ["severity"] = "High", ["formId"] = "ma-secret",
            },
        };

        var refused = await InvokeAsync(MessageAction("composeExtension/submitAction", Submit(), "29:outsider", id: "ma-1"));
        Assert.Equal("continue", refused["task"]!["type"]!.GetValue<string>());
        var text = refused["task"]!["value"]!["card"]!["content"]!.ToJsonString(Relaxed);
        Assert.Contains("I couldn't find customer 'SECRET-007'", text, StringComparison.Ordinal);
        Assert.Contains("\"value\":\"Their line stopped after our delivery.\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret Strategic Co", text, StringComparison.Ordinal);
        Assert.Equal(0, await App.WithDbAsync(db => db.Escalations.CountAsync()));

        var accepted = await InvokeAsync(MessageAction("composeExtension/submitAction", Submit(), Rep, id: "ma-2"));
        Assert.StartsWith("Escalated. ESC-", accepted["task"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, await App.WithDbAsync(db => db.Escalations.CountAsync()));
    }

    [Fact]
    public async Task The_Escalate_button_on_an_alert_card_pre_fills_the_form_and_keeps_the_alert_reference()
    {
        var start = CardOf(await InvokeAsync(Execute("escalation.start",
            new JsonObject { ["account"] = "Globex", ["opportunityId"] = "OPP-7", ["alertId"] = "AL-42" }, Rep, "alert-card-1")));
        var text = start.ToJsonString(Relaxed);
        Assert.Contains("\"value\":\"Globex\"", text, StringComparison.Ordinal);
        Assert.Contains("\"value\":\"OPP-7\"", text, StringComparison.Ordinal);
        Assert.Contains("From alert AL-42", text, StringComparison.Ordinal);

        var submit = start["actions"]!.AsArray().Single(a => a!["type"]!.GetValue<string>() == "Action.Execute")!;
        Assert.Equal("escalation.submit", submit["verb"]!.GetValue<string>());
        var data = (JsonObject)submit["data"]!.DeepClone();
        foreach (var (k, v) in ValidForm("Globex")) if (k is not ("formId" or "alertId" or "origin" or "opportunityRef")) data[k] = v?.DeepClone();
        data["opportunityRef"] = "OPP-7";
        CardOf(await InvokeAsync(Execute("escalation.submit", data, Rep, "alert-card-1")));

        var c = await App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync());
        Assert.Equal(("AL-42", "OPP-7", EscalationOrigin.CardButton), (c.AlertId, c.OpportunityRef, c.Origin));
        Assert.Equal(("ann", "next in rotation, 1/4 this month"), (c.AssigneeId, c.AssignmentReason));
    }

    [Fact]
    public async Task The_message_action_pre_fills_from_the_message_and_a_duplicate_submit_creates_one_complaint()
    {
        var payload = new JsonObject
        {
            ["id"] = "1733000000000",
            ["linkToMessage"] = "https://teams.microsoft.com/l/message/19:abc@thread.tacv2/1733000000000",
            ["from"] = new JsonObject { ["user"] = new JsonObject { ["id"] = "aad-jane", ["displayName"] = "Jane Doe" } },
            ["body"] = new JsonObject { ["contentType"] = "html", ["content"] = "<p>Our <b>order SO-9</b> arrived damaged &amp; late.</p><p>We need a fix.</p>" },
        };
        var fetch = await InvokeAsync(MessageAction("composeExtension/fetchTask", new JsonObject
        {
            ["commandId"] = "escalateMessage", ["commandContext"] = "message", ["context"] = new JsonObject { ["theme"] = "default" }, ["messagePayload"] = payload.DeepClone(),
        }));
        Assert.Equal("continue", fetch["task"]!["type"]!.GetValue<string>());
        var value = fetch["task"]!["value"]!;
        Assert.Equal(AdaptiveCardInvoke.CardType, value["card"]!["contentType"]!.GetValue<string>());
        Assert.NotNull(value["title"]);
        var card = value["card"]!["content"]!.AsObject();
        var text = card.ToJsonString(Relaxed);
        Assert.Contains("Our order SO-9 arrived damaged & late.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", text, StringComparison.Ordinal);
        Assert.Contains("From a message by Jane Doe: https://teams.microsoft.com/l/message/19:abc@thread.tacv2/1733000000000", text, StringComparison.Ordinal);
        var submit = card["actions"]!.AsArray().Single()!;
        Assert.Equal("Action.Submit", submit["type"]!.GetValue<string>());

        var data = (JsonObject)submit["data"]!.DeepClone();
        data["account"] = "Initech";
        data["contact"] = "Jane Doe";
        data["summary"] = "Our order SO-9 arrived damaged & late. We need a fix.";
        data["impact"] = "Cannot ship to their customers";
        data["desiredOutcome"] = "Replacement this week";
        data["severity"] = "Critical";
        var submitValue = new JsonObject { ["commandId"] = "escalateMessage", ["commandContext"] = "message", ["messagePayload"] = payload.DeepClone(), ["data"] = data };

        var first = await InvokeAsync(MessageAction("composeExtension/submitAction", (JsonObject)submitValue.DeepClone(), id: "dup-1"));
        // A second click is a new activity (a re-posted id would be a redelivery, answered from the inbound log).
        var second = await InvokeAsync(MessageAction("composeExtension/submitAction", (JsonObject)submitValue.DeepClone(), id: "dup-2"));
        Assert.Equal("message", first["task"]!["type"]!.GetValue<string>());
        Assert.StartsWith("Escalated. ESC-", first["task"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("Already escalated as ESC-", second["task"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);

        var c = await App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync());
        Assert.Equal((EscalationOrigin.MessageAction, "Jane Doe", Severity.Critical), (c.Origin, c.SourceMessageAuthor, c.Severity));
        Assert.Equal("https://teams.microsoft.com/l/message/19:abc@thread.tacv2/1733000000000", c.SourceMessageLink);
        var outbox = await OutboxAsync();
        Assert.Equal(2, outbox.Count);
        Assert.Contains(outbox, m => m.Kind == OutboxKind.CreatePersonal && m.UserId == Rep && ActionTitles(CardIn(m)).SequenceEqual(["Add information"]));
        Assert.Contains(outbox, m => m.Kind == OutboxKind.CreatePersonal && m.UserId == Ann && ActionTitles(CardIn(m)).Contains("Acknowledge"));
    }

    [Fact]
    public async Task The_message_action_answers_validation_errors_in_the_dialog_and_handles_preview_actions()
    {
        var invalid = await InvokeAsync(MessageAction("composeExtension/submitAction", new JsonObject
        {
            ["commandId"] = "escalateMessage", ["commandContext"] = "message", ["data"] = new JsonObject { ["summary"] = "Short", ["formId"] = "f1", ["account"] = "Initech" },
        }));
        var text = invalid["task"]!["value"]!["card"]!["content"]!.ToJsonString(Relaxed);
        Assert.Contains("Describe what happened (at least 10 characters).", text, StringComparison.Ordinal);
        Assert.Contains("\"value\":\"Initech\"", text, StringComparison.Ordinal);

        var edit = await InvokeAsync(MessageAction("composeExtension/submitAction", new JsonObject
        {
            ["commandId"] = "escalateMessage", ["botMessagePreviewAction"] = "edit", ["data"] = new JsonObject { ["account"] = "Initech" },
        }));
        Assert.Equal("continue", edit["task"]!["type"]!.GetValue<string>());
        var send = await Client.PostActivityAsync(MessageAction("composeExtension/submitAction", new JsonObject
        {
            ["commandId"] = "escalateMessage", ["botMessagePreviewAction"] = "send", ["data"] = new JsonObject(),
        }));
        Assert.Equal(System.Net.HttpStatusCode.OK, send.StatusCode);
        Assert.Equal(0, await App.WithDbAsync(db => db.Escalations.CountAsync()));
    }

    private Activity MessageAction(string name, JsonObject value, string userId = Rep, string? id = null)
    {
        var a = Activities.Message(Connector.ServiceUrl, "", userId, NameOf(userId), conversationId: "19:some-chat@thread.v2", id: id);
        a.Type = ActivityTypes.Invoke;
        a.Text = null;
        a.Name = name;
        a.Value = value;
        return a;
    }
}
