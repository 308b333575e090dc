using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpsBot.BotFramework.Schema;
using OpsBot.Conversations;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Conversations;

/// <summary>Text commands, mentions (M1, M2), Action.Submit values (I9, I10), help and the typing indicator through /api/messages.</summary>
public sealed class RouterTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-23T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly TaskCompletionSource _slowStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _slowRelease = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FakeConnector _connector = null!;
    private OpsBotFactory _root = null!;
    private WebApplicationFactory<Program> _app = null!;

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _root = new OpsBotFactory();
        _root.Settings["Bot:MessageInlineWait"] = "00:00:01";
        _app = _root.WithWebHostBuilder(b => b.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(_time);
            services.AddBotRoutes(r => r
                .Command("echo", "Repeat the text", (turn, args, ct) =>
                    turn.SendTextAsync($"{args}|{string.Join(",", turn.Mentions.Select(m => m.Id))}", ct), usage: "echo <text>")
                .Command("page", "Page someone", (turn, args, ct) => turn.SendTextAsync("page:" + args, ct))
                .Command("page status", "Show open pages", (turn, args, ct) => turn.SendTextAsync("status:" + args, ct))
                .Command("slow", "Takes a while", async (turn, _, ct) =>
                {
                    _slowStarted.SetResult();
                    await _slowRelease.Task.WaitAsync(ct);
                    await turn.SendTextAsync("done", ct);
                }, hidden: true)
                .Verb("test.submit", async (turn, data, ct) =>
                {
                    await turn.SendTextAsync("submitted " + data["answer"], ct);
                    return AdaptiveCardInvoke.Message("ok");
                }));
        }));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _root.DisposeAsync();
        await _connector.DisposeAsync();
    }

    [Theory]
    [InlineData("<at>OpsBot</at> help", "help")]
    [InlineData("<AT>opsbot</AT>   HELP ", "HELP")]
    [InlineData("/help", "help")]
    [InlineData("<at>OpsBot</at> /alert status  now", "alert status now")]
    public void M1_the_bot_mention_and_a_leading_slash_are_stripped(string text, string expected)
    {
        var activity = Activities.Message("https://smba.example/", text);
        activity.Entities = [BotMention()];

        Assert.Equal(expected, CommandText.Normalize(activity));
    }

    [Fact]
    public void A_mention_entity_without_text_is_stripped_by_the_bot_name()
    {
        var activity = Activities.Message("https://smba.example/", "<at>OpsBot</at> help");
        activity.Entities = [new Entity { Type = "mention", Mentioned = new ChannelAccount { Id = Activities.BotId, Name = "OpsBot" } }];

        Assert.Equal("help", CommandText.Normalize(activity));
    }

    [Fact]
    public void A_mention_of_someone_else_with_the_bot_name_is_kept()
    {
        var activity = Activities.Message("https://smba.example/", "<at>OpsBot</at> help");
        activity.Entities = [new Entity { Type = "mention", Text = "<at>OpsBot</at>", Mentioned = new ChannelAccount { Id = "29:impostor", Name = "OpsBot" } }];

        Assert.Equal("<at>OpsBot</at> help", CommandText.Normalize(activity));
    }

    [Fact]
    public async Task M2_other_mentions_stay_in_the_arguments_and_resolve_to_their_ids()
    {
        var activity = Activities.Message(_connector.ServiceUrl, "<at>OpsBot</at> echo escalate 4711 to <at>Exec One</at>");
        activity.Entities =
        [
            BotMention(),
            new Entity { Type = "mention", Text = "<at>Exec One</at>", Mentioned = new ChannelAccount { Id = "29:exec-one", Name = "Exec One" } },
        ];

        await SendAsync(activity);

        Assert.Equal("escalate 4711 to <at>Exec One</at>|29:exec-one", LastText());
    }

    [Theory]
    [InlineData("page status open", "status:open")]
    [InlineData("PAGE Status", "status:")]
    [InlineData("page line 3 down", "page:line 3 down")]
    public async Task The_longest_command_prefix_wins_case_insensitively(string text, string expected)
    {
        await SendAsync(Activities.Message(_connector.ServiceUrl, text));

        Assert.Equal(expected, LastText());
    }

    [Fact]
    public async Task I9_a_submit_value_with_a_verb_is_routed_to_the_verb_not_the_text()
    {
        var activity = Activities.Message(_connector.ServiceUrl, "");
        activity.Value = new JsonObject { ["verb"] = "test.submit", ["answer"] = "42" };

        await SendAsync(activity);

        Assert.Equal(["submitted 42", "ok"], Texts());
    }

    [Fact]
    public async Task I10_a_messageBack_value_sent_as_a_JSON_string_is_parsed()
    {
        var activity = Activities.Message(_connector.ServiceUrl, "echo ignored");
        activity.Value = JsonValue.Create("""{"verb":"test.submit","answer":"yes"}""");

        await SendAsync(activity);

        Assert.Equal(["submitted yes", "ok"], Texts());
    }

    [Fact]
    public async Task The_help_card_lists_every_visible_command_with_its_usage()
    {
        await SendAsync(Activities.Message(_connector.ServiceUrl, "help"));

        var card = LastCard();
        var list = card["body"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == "Container")!["items"]!.AsArray();
        var usages = list.Select(c => c!["items"]![0]!["text"]!.GetValue<string>()).ToList();
        var routes = _app.Services.GetRequiredService<IOptions<BotRoutes>>().Value;
        var visible = routes.Commands.Where(c => !c.Hidden).OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => c.Usage).ToList();
        Assert.Equal(visible, usages);
        Assert.Subset(usages.ToHashSet(), new HashSet<string> { "page", "page status", "echo <text>", "help" });
        Assert.DoesNotContain("slow", usages);
        Assert.DoesNotContain("I don't know", card.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_command_gets_the_help_card_with_a_notice_not_an_error()
    {
        var activity = Activities.Message(_connector.ServiceUrl, "<at>OpsBot</at> frobnicate the widgets");
        activity.Entities = [BotMention()];
        var response = await SendAsync(activity);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var texts = LastCard()["body"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "TextBlock").Select(b => b!["text"]!.GetValue<string>());
        Assert.Contains("I don't know \"frobnicate the widgets\". Here is what I can do:", texts);
    }

    [Fact]
    public async Task An_unknown_submit_verb_gets_the_help_card()
    {
        var activity = Activities.Message(_connector.ServiceUrl, "");
        activity.Value = new JsonObject { ["verb"] = "no.such.verb" };

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(activity)).StatusCode);
        Assert.Equal("AdaptiveCard", LastCard()["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Work_longer_than_a_second_shows_the_typing_indicator_once()
    {
        var post = _app.CreateClient().PostActivityAsync(Activities.Message(_connector.ServiceUrl, "slow"));
        await _slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(_connector.Posts);

        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => _connector.Posts.Any());
        _slowRelease.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await post).StatusCode);
        await WaitUntilAsync(() => _connector.Posts.Any(p => p.Body!["text"]?.GetValue<string>() == "done"));

        var bodies = _connector.Posts.Select(p => p.Body!).ToList();
        Assert.Equal(2, bodies.Count);
        Assert.Equal("typing", bodies[0]["type"]!.GetValue<string>());
        Assert.Equal("done", bodies[1]["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Quick_work_sends_no_typing_indicator()
    {
        await SendAsync(Activities.Message(_connector.ServiceUrl, "echo hi"));

        Assert.DoesNotContain(_connector.Posts, p => p.Body!["type"]!.GetValue<string>() == "typing");
    }

    private async Task<HttpResponseMessage> SendAsync(Activity activity)
    {
        var response = await _app.CreateClient().PostActivityAsync(activity);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    private List<string> Texts() => _connector.Posts.Select(p => p.Body!["text"]!.GetValue<string>()).ToList();

    private string LastText() => _connector.Posts.Last().Body!["text"]!.GetValue<string>();

    private JsonNode LastCard() => _connector.Posts.Last().Body!["attachments"]![0]!["content"]!;

    private static Entity BotMention() =>
        new() { Type = "mention", Text = "<at>OpsBot</at>", Mentioned = new ChannelAccount { Id = Activities.BotId, Name = "OpsBot" } };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(25);
        Assert.True(condition());
    }
}
