using System.Net;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.People;

/// <summary>
/// Everyone with a role is listed once under <c>People</c> and recognised by one rule: the Teams user id or the Entra object
/// id, ignoring case. Each admin command, and leadership's report, is checked through the bot endpoint.
/// </summary>
public sealed class PeopleTests : IAsyncLifetime
{
    private const string AdminByTeamsId = "29:Admin-By-Teams-Id";
    private const string AdminByEntraId = "29:admin-by-entra-id";
    private const string Leader = "29:leader";
    private const string Rep = "29:rep-one";
    private FakeConnector _connector = null!;
    private OpsBotFactory _app = null!;

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _app = new OpsBotFactory();
        _app.Settings["People:Admins:0"] = AdminByTeamsId.ToLowerInvariant();
        _app.Settings["People:Admins:1"] = Activities.AadId(AdminByEntraId).ToUpperInvariant();
        _app.Settings["People:Leadership:0"] = Activities.AadId(Leader).ToUpperInvariant();
        _app.Settings["Alerts:TimerInterval"] = "01:00:00";
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    public static TheoryData<string, string, string> AdminCommands => new()
    {
        { "alert route remove 999", "There is no route #999.", "Only OpsBot admins can change alert routes" },
        { "exec add zed 29:zed 3 Zed Zulu", "Added Zed Zulu (zed), 3 complaints per month.", "Only OpsBot admins can change executives" },
        { "account add ZZ-1 Standard Zed Industries", "Account ZZ-1 (Zed Industries, Standard) added.", "Only OpsBot admins can change accounts" },
    };

    [Theory]
    [MemberData(nameof(AdminCommands))]
    public async Task An_admin_is_recognised_by_Teams_id_or_Entra_id_in_any_case_for_every_admin_command(string command, string done, string refused)
    {
        Assert.Equal(refused, (await SayAsync(Rep, command)).Split(';')[0]);
        Assert.Equal(done, await SayAsync(AdminByTeamsId, command));
        var again = await SayAsync(AdminByEntraId, command);
        Assert.DoesNotContain(refused, again, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leadership_named_by_Entra_id_gets_the_report_and_others_do_not()
    {
        Assert.Equal("The escalation report is for leadership only.", await SayAsync(Rep, "escalations report 2026-11"));
        var client = _app.CreateClient();
        var response = await client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "escalations report 2026-11", Leader, conversationId: "a:personal-leader"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var post = _connector.Posts.Last(p => p.Path.Contains("personal-leader", StringComparison.Ordinal));
        Assert.Equal("AdaptiveCard", post.Body!["attachments"]![0]!["content"]!["type"]!.GetValue<string>());
    }

    /// <summary>Sends <paramref name="text"/> as <paramref name="userId"/> (Entra object id derived from it) and returns the text answer.</summary>
    private async Task<string> SayAsync(string userId, string text)
    {
        var conversation = "a:personal-" + userId[3..].ToLowerInvariant();
        var before = _connector.Posts.Count();
        var response = await _app.CreateClient().PostActivityAsync(Activities.Message(_connector.ServiceUrl, text, userId, conversationId: conversation));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var post = Assert.Single(_connector.Posts.Skip(before));
        return post.Body!["text"]!.GetValue<string>();
    }
}
