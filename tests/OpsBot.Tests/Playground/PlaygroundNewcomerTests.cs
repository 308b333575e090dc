using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace OpsBot.Tests.Playground;

/// <summary>OpsBot as `dotnet run` starts it for a newcomer: Development, an empty store, nothing configured.</summary>
public sealed class PlaygroundNewcomerFixture : PlaygroundFixture
{
    protected override void Configure(Dictionary<string, string?> s)
    {
        App.EnvironmentName = "Development";
        App.WithoutCommonCustomers();
        s["Messaging:PollInterval"] = "00:00:00.050";
        s["Alerts:TimerInterval"] = "01:00:00";
    }
}

/// <summary>A newcomer follows the welcome card in the real Agents Playground: the commitment, the escalation and the alert all complete.</summary>
public sealed class PlaygroundNewcomerTests(PlaygroundNewcomerFixture playground) : IClassFixture<PlaygroundNewcomerFixture>
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task The_welcome_cards_examples_complete_with_nothing_configured()
    {
        await playground.SendTextAsync("commit ACME-001 PO 4471 250000 USD deliver 2027-01-15");
        var form = await playground.WaitForBotActivityAsync(m => Walk(PlaygroundFixture.CardOf(m)).Any(o => o["verb"]?.GetValue<string>() == "commitment.submit"));
        var card = PlaygroundFixture.CardOf(form)!;
        var data = Data(card, "commitment.submit");
        var saved = CardValue(await playground.InvokeAsync(form["messageId"]!.GetValue<string>(), "commitment.submit", data)).ToJsonString(Relaxed);
        Assert.Contains("Saved. The downstream forms went to their owners.", saved, StringComparison.Ordinal);
        Assert.DoesNotContain("not found", saved, StringComparison.Ordinal);

        await playground.SendTextAsync("escalate ACME-001");
        var complaint = await playground.WaitForBotActivityAsync(m => Walk(PlaygroundFixture.CardOf(m)).Any(o => o["verb"]?.GetValue<string>() == "escalation.submit"));
        data = Data(PlaygroundFixture.CardOf(complaint)!, "escalation.submit");
        data["contact"] = "Jane Doe, procurement";
        data["summary"] = "Second late delivery this quarter.";
        data["impact"] = "Six hours of lost production";
        data["desiredOutcome"] = "Credit note";
        data["severity"] = "High";
        var escalated = CardValue(await playground.InvokeAsync(complaint["messageId"]!.GetValue<string>(), "escalation.submit", data)).ToJsonString(Relaxed);
        Assert.DoesNotContain("no executive available", escalated, StringComparison.Ordinal);
        Assert.Equal("demo-exec", (await playground.App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync())).AssigneeId);

        await playground.SendTextAsync("alert ACME-001");
        var alertForm = await playground.WaitForBotActivityAsync(m => Walk(PlaygroundFixture.CardOf(m)).Any(o => o["verb"]?.GetValue<string>() == "alert.create"));
        data = Data(PlaygroundFixture.CardOf(alertForm)!, "alert.create");
        data["reference"] = "PO-4471";
        data["kind"] = "late-shipment";
        data["severity"] = "2";
        data["impact"] = "Line 3 waits for parts";
        var alert = CardValue(await playground.InvokeAsync(alertForm["messageId"]!.GetValue<string>(), "alert.create", data)).ToJsonString(Relaxed);
        Assert.DoesNotContain("No routed conversations", alert, StringComparison.Ordinal);
        Assert.DoesNotContain("reached no one", alert, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_customer_360_shows_in_the_playground_and_its_button_starts_a_prefilled_commitment()
    {
        await playground.SendTextAsync("customer ACME-001");
        var view = await playground.WaitForBotActivityAsync(m => PlaygroundFixture.CardOf(m)?["actions"] is JsonArray a && a.Any(x => x?["title"]?.GetValue<string>() == "New commitment"));
        var card = PlaygroundFixture.CardOf(view)!;
        Assert.Contains("ACME-001", card["body"]![1]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var button = card["actions"]!.AsArray().First(a => a!["title"]!.GetValue<string>() == "New commitment")!;
        var message = button["data"]!["msteams"]!["value"]!.GetValue<string>();
        Assert.Equal("commit ACME-001", message);

        // An imBack button sends its value as the person's message.
        var earlier = playground.GetBotActivities().Select(m => m["messageId"]?.ToString()).ToHashSet();
        await playground.SendTextAsync(message);
        var form = await playground.WaitForBotActivityAsync(m => !earlier.Contains(m["messageId"]?.ToString())
            && Walk(PlaygroundFixture.CardOf(m)).Any(o => o["verb"]?.GetValue<string>() == "commitment.submit"));
        Assert.Contains(Walk(PlaygroundFixture.CardOf(form)), o => o["type"]?.GetValue<string>() == "Input.ChoiceSet" && o["value"]?.ToString() == "ACME-001");
    }

    [Fact]
    public async Task Metrics_me_answers_the_newcomers_metrics_card_and_an_empty_period_says_so()
    {
        await playground.SendTextAsync("metrics me");
        var now = DateTime.UtcNow;
        var card = PlaygroundFixture.CardOf(await playground.WaitForBotActivityAsync(m =>
            PlaygroundFixture.CardOf(m)?["body"]?[0]?["text"]?.GetValue<string>()?.StartsWith("Metrics: ", StringComparison.Ordinal) == true
            && PlaygroundFixture.CardOf(m)!["body"]![1]!["text"]!.GetValue<string>().StartsWith(now.ToString("MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)))!;
        Assert.Contains("compared with", card["body"]![1]!["text"]!.GetValue<string>(), StringComparison.Ordinal);

        await playground.SendTextAsync("metrics me 2025-01");
        var empty = PlaygroundFixture.CardOf(await playground.WaitForBotActivityAsync(m =>
            PlaygroundFixture.CardOf(m)?["body"]?[1]?["text"]?.GetValue<string>()?.StartsWith("January 2025", StringComparison.Ordinal) == true))!;
        Assert.Contains("Nothing happened in January 2025", empty.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Walk(empty), o => o["type"]?.GetValue<string>() == "Image");
    }

    private static JsonObject Data(JsonObject card, string verb)
    {
        var data = (JsonObject)(Walk(card).First(o => o["verb"]?.GetValue<string>() == verb)["data"]?.DeepClone() ?? new JsonObject());
        foreach (var o in Walk(card).Where(o => o["type"]?.GetValue<string>()?.StartsWith("Input.", StringComparison.Ordinal) == true))
            data[o["id"]!.GetValue<string>()] = o["value"]?.ToString() ?? "";
        return data;
    }

    private static JsonObject CardValue(JsonObject invokeResponse)
    {
        var body = invokeResponse["body"] as JsonObject ?? invokeResponse;
        return (JsonObject)body["value"]!;
    }

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
