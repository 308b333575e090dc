using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.Alerts;
using OpsBot.Escalations;

namespace OpsBot.Tests.Playground;

/// <summary>The Playground with Commitments, Escalations (its user is also the sponsoring executive) and Alerts configured.</summary>
public sealed class PlaygroundScenarioFixture : PlaygroundFixture
{
    protected override void Configure(Dictionary<string, string?> s)
    {
        s["Commitments:Accounts:0:Number"] = "ACME-001";
        s["Commitments:Accounts:0:Name"] = "Acme Industrial";
        s["Commitments:Accounts:0:Segment"] = "Strategic";
        s["Commitments:Accounts:0:ShipToSites:0"] = "Acme Plant 3";
        s["Commitments:Accounts:0:BillToSites:0"] = "Acme HQ";
        s["Commitments:Accounts:0:MasterAgreementRef"] = "MSA-ACME-2024";
        s["Commitments:Accounts:0:PaymentTerms"] = "Net 60";
        s["People:Executives:0:Id"] = "alex";
        s["People:Executives:0:Name"] = "Alex Wilber";
        s["People:Executives:0:UserId"] = DefaultUserId;
        s["People:Executives:0:MonthlyCapacity"] = "4";
        s["People:Executives:0:Sponsors:0"] = "Acme Industrial";
        s["Messaging:PollInterval"] = "00:00:00.050";
        s["Alerts:Routes:0:Name"] = "operations";
        s["Alerts:Routes:0:People:0"] = DefaultUserId;
        s["Alerts:TimerInterval"] = "01:00:00";
    }
}

/// <summary>Whole scenarios clicked through the real Agents Playground: capture a commitment, escalate and work a complaint, raise and resolve an alert.</summary>
public sealed class PlaygroundScenarioTests(PlaygroundScenarioFixture playground) : IClassFixture<PlaygroundScenarioFixture>
{
    [Fact]
    public async Task A_rep_captures_a_commitment_from_the_shortcut_form_and_gets_the_summary_card()
    {
        await playground.SendTextAsync("commit ACME-001 PO 4471 250000 USD deliver 2027-01-15");
        var form = await playground.WaitForBotActivityAsync(m => HasInput(m, "customerPoNumber", "4471"));
        var card = PlaygroundFixture.CardOf(form)!;
        var data = ActionData(card, "Submit");
        foreach (var (k, v) in Inputs(card)) data[k] = v;

        var answer = await playground.InvokeAsync(form["messageId"]!.GetValue<string>(), "commitment.submit", data);

        var summary = CardValue(answer).ToJsonString();
        Assert.Contains("4471", summary, StringComparison.Ordinal);
        Assert.Contains("Acme Industrial", summary, StringComparison.Ordinal);
        var saved = await playground.App.WithDbAsync(db => db.Commitments.AsNoTracking().Include(c => c.Customer).SingleAsync(c => c.CustomerPoNumber == "4471"));
        Assert.Equal(250000m, saved.CommittedValue);
        Assert.Equal("ACME-001", saved.Customer.Number);
    }

    [Fact]
    public async Task A_rep_escalates_and_the_executive_acknowledges_and_resolves()
    {
        await playground.SendTextAsync("escalate Acme Industrial");
        var form = await playground.WaitForBotActivityAsync(m => Walk(PlaygroundFixture.CardOf(m)).Any(o => o["verb"]?.GetValue<string>() == "escalation.submit"));
        var formCard = PlaygroundFixture.CardOf(form)!;
        var data = (JsonObject)Walk(formCard).First(o => o["verb"]?.GetValue<string>() == "escalation.submit")["data"]!.DeepClone();
        foreach (var (k, v) in Inputs(formCard)) data[k] = v;
        data["account"] = "Acme Industrial";
        data["contact"] = "Jane Doe, procurement";
        data["summary"] = "Second late delivery this quarter, line 2 stopped.";
        data["impact"] = "Six hours of lost production";
        data["desiredOutcome"] = "Credit note and root-cause report";
        data["severity"] = "High";
        data["executive"] = "";
        var formId = form["messageId"]!.GetValue<string>();

        var submitted = CardValue(await playground.InvokeAsync(formId, "escalation.submit", data)).ToJsonString();
        Assert.Contains("ESC-", submitted, StringComparison.Ordinal);
        var escalation = await playground.App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync(c => c.Account == "Acme Industrial"));
        Assert.Equal(PlaygroundFixture.DefaultUserId, escalation.RepUserId);

        var ack = CardValue(await playground.InvokeAsync(formId, "escalation.ack", new JsonObject { ["escalationId"] = escalation.Id, ["version"] = escalation.Version }));
        Assert.Contains("acknowledged", ack.ToJsonString(), StringComparison.Ordinal);
        var acked = await playground.App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync(c => c.Id == escalation.Id));
        Assert.Equal(EscalationStatus.Acknowledged, acked.Status);

        var resolve = CardValue(await playground.InvokeAsync(formId, "escalation.resolve",
            new JsonObject { ["escalationId"] = escalation.Id, ["version"] = acked.Version, ["resolution"] = "Credit note issued", ["satisfied"] = "yes" }));
        Assert.Contains("Credit note issued", resolve.ToJsonString(), StringComparison.Ordinal);
        var resolved = await playground.App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync(c => c.Id == escalation.Id));
        Assert.Equal(EscalationStatus.Resolved, resolved.Status);
    }

    [Fact]
    public async Task An_alert_is_raised_from_the_form_and_resolved()
    {
        await playground.SendTextAsync("alert Contoso");
        var form = await playground.WaitForBotActivityAsync(m => Walk(PlaygroundFixture.CardOf(m)).Any(o => o["verb"]?.GetValue<string>() == "alert.create"));
        var formCard = PlaygroundFixture.CardOf(form)!;
        var data = (JsonObject)Walk(formCard).First(o => o["verb"]?.GetValue<string>() == "alert.create")["data"]!.DeepClone();
        foreach (var (k, v) in Inputs(formCard)) data[k] = v;
        data["account"] = "Contoso";
        data["reference"] = "PO-77";
        data["kind"] = "line-down";
        data["severity"] = "2";
        data["impact"] = "Line 3 stopped";
        var formMessage = form["messageId"]!.GetValue<string>();

        var created = CardValue(await playground.InvokeAsync(formMessage, "alert.create", data)).ToJsonString();
        Assert.Contains("Line down at Contoso", created, StringComparison.Ordinal);
        var alert = await playground.App.WithDbAsync(db => db.Alerts.AsNoTracking().SingleAsync(a => a.Account == "Contoso"));
        Assert.Equal(AlertSource.Chat, alert.Source);

        var resolved = CardValue(await playground.InvokeAsync(formMessage, "alert.resolve", new JsonObject
        {
            ["alertId"] = alert.Id.ToString(CultureInfo.InvariantCulture),
            ["version"] = alert.Version,
            ["resolution"] = "Spare part fitted",
        })).ToJsonString();
        Assert.Contains("Resolved by", resolved, StringComparison.Ordinal);
        Assert.Equal(AlertStatus.Resolved, await playground.App.WithDbAsync(db => db.Alerts.Where(a => a.Id == alert.Id).Select(a => a.Status).SingleAsync()));
    }

    /// <summary>The card in an invoke response the Playground got back (asserts it is a card).</summary>
    private static JsonObject CardValue(JsonObject invokeResponse)
    {
        var body = invokeResponse["body"] as JsonObject ?? invokeResponse;
        Assert.True(body["type"]?.GetValue<string>() == "application/vnd.microsoft.card.adaptive", invokeResponse.ToJsonString());
        return (JsonObject)body["value"]!;
    }

    private static bool HasInput(JsonObject message, string id, string value) =>
        PlaygroundFixture.CardOf(message) is { } card && Inputs(card).TryGetValue(id, out var v) && v == value;

    private static Dictionary<string, string> Inputs(JsonNode card) =>
        Walk(card).Where(o => o["type"]?.GetValue<string>()?.StartsWith("Input.", StringComparison.Ordinal) == true)
            .ToDictionary(o => o["id"]!.GetValue<string>(), o => o["value"]?.ToString() ?? "");

    private static JsonObject ActionData(JsonNode card, string title) =>
        (JsonObject)Walk(card).First(o => o["type"]?.GetValue<string>() == "Action.Execute" && o["title"]?.GetValue<string>() == title)["data"]!.DeepClone();

    private static IEnumerable<JsonObject> Walk(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            yield return o;
            foreach (var p in o) foreach (var x in Walk(p.Value)) yield return x;
        }
        else if (node is JsonArray a) foreach (var i in a) foreach (var x in Walk(i)) yield return x;
    }
}
