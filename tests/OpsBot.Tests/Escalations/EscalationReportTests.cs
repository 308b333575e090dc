using System.Net;
using System.Text.Json.Nodes;
using OpsBot.Api;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Escalations;

/// <summary>Rep side (my escalations, adding information), access to a complaint, and the monthly leadership report.</summary>
public sealed class EscalationReportTests() : EscalationTestBase(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);

    protected override void Configure(OpsBotFactory factory) => factory.Settings["Api:Keys:bi"] = ApiKeyHandler.Hash("bi-secret-key");

    [Fact]
    public async Task The_rep_lists_their_escalations_and_adds_information_that_reaches_the_executive()
    {
        var c = await EscalateAsync("ACME Corp");
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "my escalations"));
        var list = Connector.Posts.Last().Body!["attachments"]![0]!["content"]!.ToJsonString(Relaxed);
        Assert.Contains($"ESC-{c.Id} · ACME Corp · High", list, StringComparison.Ordinal);
        Assert.Contains("Assigned · owner Ann Lee · you escalated", list, StringComparison.Ordinal);

        var card = CardOf(await InvokeAsync(Execute("escalation.info", Data(c.Id, c.Version, ("information", "The customer also called the CEO.")), Rep)));
        Assert.Contains("Done: you added information", card.ToJsonString(Relaxed), StringComparison.Ordinal);
        var outbox = await OutboxAsync();
        Assert.Contains(outbox, m => m.CorrelationType == "escalation-note" && m.UserId == Ann && m.ActivityJson.Contains("The customer also called the CEO.", StringComparison.Ordinal));
        var forbidden = CardOf(await InvokeAsync(Execute("escalation.ack", Data(c.Id, c.Version + 1), Rep)));
        Assert.Contains("Only the assigned executive or their delegates can do that.", forbidden.ToJsonString(Relaxed), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_people_involved_and_leadership_can_open_a_complaint()
    {
        var c = await EscalateAsync("ACME Corp");
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, $"escalation ESC-{c.Id}", "29:other-rep"));
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, $"escalation ESC-{c.Id}", Ceo));
        var posts = Connector.Posts.Select(p => p.Body!["text"]?.GetValue<string>() ?? p.Body!.ToJsonString(Relaxed)).ToList();
        // Someone not involved gets the answer for a complaint that does not exist: nothing tells them it does.
        Assert.Contains($"I can't find complaint \"ESC-{c.Id}\"", posts[0], StringComparison.Ordinal);
        Assert.DoesNotContain("ACME", posts[0], StringComparison.Ordinal);
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "escalation ESC-9999", "29:other-rep"));
        Assert.Equal(posts[0].Replace($"ESC-{c.Id}", "ESC-9999", StringComparison.Ordinal), Connector.Posts.Last().Body!["text"]!.GetValue<string>());
        Assert.Contains("Second late delivery", posts[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leadership_gets_the_monthly_report_with_a_chart_and_the_CSV_needs_an_API_key_or_the_cards_short_lived_link()
    {
        var a = await EscalateAsync("ACME Corp");
        var b = await EscalateAsync("Globex");
        await InvokeAsync(Execute("escalation.ack", Data(a.Id, a.Version), Ann));
        Clock.Advance(TimeSpan.FromHours(30));
        await InvokeAsync(Execute("escalation.resolve", Data(a.Id, a.Version + 1, ("resolution", "Credit note"), ("satisfied", "yes")), Ann));

        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "escalations report", Rep));
        Assert.Equal("The escalation report is for leadership only.", Connector.Posts.Last().Body!["text"]!.GetValue<string>());
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "escalations report 2026-11", Ceo));
        var card = Connector.Posts.Last().Body!["attachments"]![0]!["content"]!.AsObject();
        var image = card["body"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "Image")!;
        Assert.StartsWith("data:image/png;base64,iVBORw0KGgo", image["url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(image["altText"]?.GetValue<string>()));
        var text = card.ToJsonString(Relaxed);
        Assert.Contains("1 assigned · 1 acknowledged in SLA · 1 resolved · median 30.0 h · 1 satisfied", text, StringComparison.Ordinal);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(text) < 28 * 1024, $"card is {text.Length} bytes");

        var anonymous = await Client.GetAsync("/api/escalations/report.csv?month=2026-11");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/escalations/report.csv?month=2026-11");
        request.Headers.Add("X-Api-Key", "bi-secret-key");
        var csv = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("section,name,assigned,acknowledged_in_sla,resolved,median_hours_to_resolve,customer_satisfied", lines[0]);
        Assert.Contains("executive,Ann Lee,1,1,1,30.0,1", lines);
        Assert.Contains("executive,Bob Stone,1,0,0,,0", lines);
        Assert.Contains("account,ACME Corp,1,,1,,1", lines);
        Assert.Equal("bob", b.AssigneeId);

        // The card's Download CSV works from Teams: a short-lived link on OpsBot's own address, no API key, that same month only.
        var download = card["actions"]!.AsArray().Single()!["url"]!.GetValue<string>();
        Assert.Matches(@"^http://localhost/downloads/[A-Za-z0-9_-]{40,}$", download);
        var viaLink = await Client.GetAsync(new Uri(download).PathAndQuery + "?month=2025-01");
        Assert.Equal(HttpStatusCode.OK, viaLink.StatusCode);
        Assert.Equal((await csv.Content.ReadAsStringAsync()), await viaLink.Content.ReadAsStringAsync());
        Clock.Advance(TimeSpan.FromMinutes(16));
        var expired = await Client.GetAsync(new Uri(download).PathAndQuery);
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/downloads/forged-token")).StatusCode);
    }

    [Theory]
    [InlineData("9999-12")]
    [InlineData("0001-01")]
    [InlineData("1999-12")]
    [InlineData("2026-13")]
    [InlineData("2026-00")]
    [InlineData("garbage")]
    [InlineData("2026-11-05")]
    [InlineData("-2026-11")]
    public async Task A_malformed_or_out_of_range_month_is_a_400_for_the_CSV_and_a_clear_answer_in_chat(string month)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/escalations/report.csv?month=" + Uri.EscapeDataString(month));
        request.Headers.Add("X-Api-Key", "bi-secret-key");
        var csv = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, csv.StatusCode);
        var problem = JsonNode.Parse(await csv.Content.ReadAsStringAsync())!;
        Assert.Equal("Invalid month", problem["title"]!.GetValue<string>());
        Assert.Contains("yyyy-MM", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var before = Connector.Posts.Count();
        var answer = await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "escalations report " + month, Ceo));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var reply = Assert.Single(Connector.Posts.Skip(before));
        var text = reply.Body!["text"]?.GetValue<string>() ?? "";
        Assert.Contains("escalations report [yyyy-MM]", text, StringComparison.Ordinal);
        Assert.Contains(month.Trim(), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_and_last_supported_months_give_a_report()
    {
        foreach (var month in new[] { "2000-01", "2999-12" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/escalations/report.csv?month=" + month);
            request.Headers.Add("X-Api-Key", "bi-secret-key");
            var csv = await Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        }
    }
}
