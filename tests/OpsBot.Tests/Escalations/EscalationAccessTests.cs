using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsBot.Api;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Escalations;

/// <summary>
/// A complaint on a restricted customer, path by path: assignment, <c>escalation ESC-n</c>, the card verbs and the report CSV. Each
/// path answers a non-member exactly as for a complaint that does not exist, and shows the complaint to a member.
/// </summary>
public abstract class EscalationAccessTests(DatabaseProvider provider) : EscalationTestBase(provider)
{
    private const string Outsider = "29:outsider";

    protected override void Configure(OpsBotFactory factory)
    {
        factory.Settings["Api:Keys:bi"] = ApiKeyHandler.Hash("bi-key");
        factory.Settings["Api:Keys:erp"] = ApiKeyHandler.Hash("erp-key");
        factory.Settings["Customers:TrustedApiClients:0"] = "erp";
    }

    private async Task<OpsBot.Escalations.Escalation> SecretComplaintAsync()
    {
        await App.WithDbAsync(async db =>
        {
            db.Customers.Add(new Customer { Number = "SECRET-007", Name = "Secret Strategic Co", Restricted = true, Members = [new() { Key = Rep }, new() { Key = Bob }] });
            return await db.SaveChangesAsync();
        });
        return await EscalateAsync("SECRET-007", rep: Rep);
    }

    private async Task<string> SayAsync(string text, string user)
    {
        var conversation = "a:personal-" + user;
        var before = Connector.Posts.Count();
        (await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, text, user, NameOf(user), conversation))).EnsureSuccessStatusCode();
        var path = "/v3/conversations/" + Uri.EscapeDataString(conversation) + "/";
        var reply = Connector.Posts.Skip(before).Single(p => p.Path.Contains(path, StringComparison.Ordinal)).Body!;
        return $"{reply["summary"]} | {reply["text"]} | {reply["attachments"]?.ToJsonString(Relaxed)}";
    }

    [Fact]
    public async Task Rotation_gives_the_complaint_only_to_an_executive_allowed_on_the_customer()
    {
        Assert.Equal("bob", (await SecretComplaintAsync()).AssigneeId);
        Assert.Equal("bob", (await EscalateAsync("SECRET-007", rep: Rep)).AssigneeId);
        // Bob's capacity (2) is used up and nobody else may see the customer: the third waits unassigned rather than leak.
        Assert.Null((await EscalateAsync("SECRET-007", rep: Rep)).AssigneeId);
        Assert.Equal("ann", (await EscalateAsync("ACME Corp", rep: Rep)).AssigneeId);
    }

    [Fact]
    public async Task Show_answers_a_non_member_exactly_as_for_a_complaint_that_does_not_exist()
    {
        var complaint = await SecretComplaintAsync();
        var id = $"ESC-{complaint.Id}";

        var hidden = await SayAsync($"escalation {id}", Outsider);
        var missing = await SayAsync("escalation ESC-99999", Outsider);
        Assert.Equal(missing.Replace("ESC-99999", id, StringComparison.Ordinal), hidden);
        Assert.DoesNotContain("Secret", hidden, StringComparison.Ordinal);

        Assert.Contains("Secret Strategic Co", await SayAsync($"escalation {id}", Bob), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Card_verbs_answer_a_non_member_exactly_as_for_a_complaint_that_does_not_exist()
    {
        var complaint = await SecretComplaintAsync();

        foreach (var verb in new[] { "escalation.view", "escalation.ack", "escalation.resolve" })
        {
            var hidden = ErrorOf(await InvokeAsync(Execute(verb, Data(complaint.Id, complaint.Version), Outsider)));
            var missing = ErrorOf(await InvokeAsync(Execute(verb, Data(99999, 1), Outsider)));
            Assert.Equal((missing.Status, missing.Message.Replace("99999", complaint.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)), hidden);
        }
        Assert.Equal(OpsBot.Escalations.EscalationStatus.Assigned, (await EscalationAsync(complaint.Id)).Status);

        var seen = CardOf(await InvokeAsync(Execute("escalation.view", Data(complaint.Id, complaint.Version), Bob))).ToJsonString(Relaxed);
        Assert.Contains("Secret Strategic Co", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_report_csv_leaves_the_restricted_customer_out_for_an_ordinary_client_only()
    {
        await SecretComplaintAsync();
        await EscalateAsync("ACME Corp", rep: Rep);

        async Task<string> CsvAsync(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/escalations/report.csv?month={Monday9:yyyy-MM}");
            request.Headers.Add("X-Api-Key", key);
            var response = await Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }

        var ordinary = await CsvAsync("bi-key");
        Assert.Contains("account,ACME Corp,", ordinary, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", ordinary, StringComparison.Ordinal);
        Assert.Contains("account,Secret Strategic Co,", await CsvAsync("erp-key"), StringComparison.Ordinal);
    }
}

public sealed class SqliteEscalationAccessTests() : EscalationAccessTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresEscalationAccessTests(PostgresServer server) : EscalationAccessTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
