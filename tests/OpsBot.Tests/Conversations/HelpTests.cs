using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpsBot.Conversations;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Conversations;

public sealed class HelpTests : IAsyncLifetime
{
    private FakeConnector _connector = null!;
    private OpsBotFactory _app = null!;

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _app = new OpsBotFactory();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    [Theory]
    [InlineData("help")]
    [InlineData("HELP")]
    [InlineData("/help")]
    [InlineData("no such command")]
    public async Task Help_and_unknown_commands_answer_with_the_help_card(string text)
    {
        var client = _app.CreateClient();
        var response = await client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, text));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var post = Assert.Single(_connector.Posts);
        Assert.Equal("/_connector/v3/conversations/a%3Apersonal-rep-one/activities", post.Path);
        var card = post.Body!["attachments"]![0]!["content"]!;
        Assert.Equal("AdaptiveCard", card["type"]!.GetValue<string>());

        var routes = _app.Services.GetRequiredService<IOptions<BotRoutes>>().Value.Commands;
        var expected = routes.Where(r => !r.Hidden).OrderBy(r => r.Name, StringComparer.Ordinal).Select(r => (r.Usage, r.Description)).ToList();
        Assert.Equal(expected, Listed(card));
        Assert.Contains(("escalations report [yyyy-MM]", "Monthly escalation report (leadership)"), expected);
        Assert.Contains(("alert status <id>", "Delivery status of an alert, per recipient"), expected);
        Assert.DoesNotContain(expected, c => c.Usage.StartsWith("ping", StringComparison.Ordinal) || c.Usage.StartsWith("account", StringComparison.Ordinal));
        var notice = card["body"]!.AsArray().Select(b => b!["text"]?.GetValue<string>()).Where(t => t?.StartsWith("I don't know", StringComparison.Ordinal) == true);
        if (text == "no such command") Assert.Equal("I don't know \"no such command\". Here is what I can do:", Assert.Single(notice));
        else Assert.Empty(notice);
    }

    /// <summary>(usage, description) of every command the help card lists, in order.</summary>
    private static List<(string Usage, string Description)> Listed(JsonNode card) =>
        card["body"]!.AsArray().OfType<JsonObject>().Where(b => b["type"]!.GetValue<string>() == "Container")
            .SelectMany(c => c["items"]!.AsArray().OfType<JsonObject>())
            .Select(item => item["items"]!.AsArray())
            .Select(blocks => (blocks[0]!["text"]!.GetValue<string>(), blocks[1]!["text"]!.GetValue<string>()))
            .ToList();
}
