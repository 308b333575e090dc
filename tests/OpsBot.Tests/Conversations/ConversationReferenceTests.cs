using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.BotFramework.Schema;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Conversations;

/// <summary>Conversation references (protocol doc §8, vectors P1–P3), welcome and uninstall, through /api/messages on SQLite and PostgreSQL.</summary>
public abstract class ConversationReferenceTests(DatabaseProvider provider) : IAsyncLifetime
{
    private const string TeamId = "19:team-general@thread.tacv2";
    private const string ChannelId = "19:announcements@thread.tacv2";
    private FakeConnector _connector = null!;
    private OpsBotFactory _app = null!;
    private HttpClient _client = null!;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _app = new OpsBotFactory(provider, await ConnectionStringAsync());
        _client = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    [Fact]
    public async Task P1_install_in_a_team_stores_the_channel_reference_without_a_welcome()
    {
        var install = TeamInstall("add");

        var response = await _client.PostActivityAsync(install);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var r = await ReferenceAsync(ChannelId);
        Assert.Equal(_connector.ServiceUrl, r.ServiceUrl);
        Assert.Equal("channel", r.ConversationType);
        Assert.Equal(Activities.TenantId, r.TenantId);
        Assert.Equal(Activities.BotId, r.BotId);
        Assert.Equal(TeamId, r.TeamId);
        Assert.Equal("7a6c0c1e-0000-4000-8000-00000000a11d", r.TeamAadGroupId);
        Assert.Equal(ChannelId, r.SelectedChannelId);
        Assert.Equal(ChannelId, r.TeamsChannelId);
        Assert.Null(r.UserId);
        Assert.True(r.IsActive);
        Assert.Empty(_connector.Posts);
    }

    [Fact]
    public async Task Personal_install_stores_the_user_and_sends_one_welcome_card()
    {
        var install = Personal(ActivityTypes.InstallationUpdate);
        install.Action = "add";
        var botAdded = Personal(ActivityTypes.ConversationUpdate);
        botAdded.MembersAdded = [new ChannelAccount { Id = Activities.BotId }];

        await _client.PostActivityAsync(install);
        await _client.PostActivityAsync(botAdded);

        var r = await ReferenceAsync("a:personal-rep-one");
        Assert.Equal("personal", r.ConversationType);
        Assert.Equal("29:rep-one", r.UserId);
        Assert.Equal(Activities.AadId("29:rep-one"), r.UserAadObjectId);
        var welcome = Assert.Single(_connector.Posts);
        Assert.Equal("/_connector/v3/conversations/a%3Apersonal-rep-one/activities", welcome.Path);
        var card = welcome.Body!["attachments"]![0]!["content"]!.ToJsonString();
        Assert.Contains("Hi Rep One, welcome to OpsBot!", card, StringComparison.Ordinal);
        Assert.Contains("Show what OpsBot can do", card, StringComparison.Ordinal);
        Assert.DoesNotContain("ping", card, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bot_added_to_a_personal_chat_by_conversationUpdate_alone_is_welcomed()
    {
        var botAdded = Personal(ActivityTypes.ConversationUpdate);
        botAdded.MembersAdded = [new ChannelAccount { Id = Activities.BotId }];

        await _client.PostActivityAsync(botAdded);

        Assert.Contains("Welcome to OpsBot", Assert.Single(_connector.Posts).Body!.ToJsonString(), StringComparison.Ordinal);
        Assert.True((await ReferenceAsync("a:personal-rep-one")).IsActive);
    }

    [Fact]
    public async Task P2_uninstall_marks_the_reference_inactive_and_a_reinstall_welcomes_again()
    {
        var install = Personal(ActivityTypes.InstallationUpdate);
        install.Action = "add";
        await _client.PostActivityAsync(install);
        Assert.NotNull(await FindPersonalAsync("29:rep-one"));

        var remove = Personal(ActivityTypes.InstallationUpdate);
        remove.Action = "remove";
        Assert.Equal(HttpStatusCode.OK, (await _client.PostActivityAsync(remove)).StatusCode);

        var r = await ReferenceAsync("a:personal-rep-one");
        Assert.False(r.IsActive);
        Assert.NotNull(r.DeactivatedAt);
        Assert.Null(await FindPersonalAsync("29:rep-one"));
        Assert.Single(_connector.Posts);

        var reinstall = Personal(ActivityTypes.InstallationUpdate);
        reinstall.Action = "add";
        await _client.PostActivityAsync(reinstall);
        Assert.True((await ReferenceAsync("a:personal-rep-one")).IsActive);
        Assert.Equal(2, _connector.Posts.Count());
    }

    [Fact]
    public async Task Bot_removed_from_a_team_deactivates_every_channel_of_that_team()
    {
        await _client.PostActivityAsync(TeamInstall("add"));
        var removed = TeamInstall("add");
        removed.Type = ActivityTypes.ConversationUpdate;
        removed.Action = null;
        removed.Conversation!.Id = TeamId;
        removed.MembersRemoved = [new ChannelAccount { Id = Activities.BotId }];

        await _client.PostActivityAsync(removed);

        Assert.False((await ReferenceAsync(ChannelId)).IsActive);
        Assert.False((await ReferenceAsync(TeamId)).IsActive);
    }

    [Fact]
    public async Task P3_a_new_serviceUrl_for_a_known_conversation_replaces_the_stored_one()
    {
        await _client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "help"));
        var moved = _connector.ServiceUrl.Replace("/_connector/", "/emea/", StringComparison.Ordinal);

        await _client.PostActivityAsync(Activities.Message(moved, "help"));

        Assert.Equal(moved, (await ReferenceAsync("a:personal-rep-one")).ServiceUrl);
        Assert.Equal("/emea/v3/conversations/a%3Apersonal-rep-one/activities", _connector.Posts.Last().Path);
    }

    [Fact]
    public async Task Every_message_captures_its_reference_and_an_unchanged_one_is_not_rewritten()
    {
        await _client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "help"));
        var first = await ReferenceAsync("a:personal-rep-one");
        await Task.Delay(20);

        await _client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "help"));

        var second = await ReferenceAsync("a:personal-rep-one");
        Assert.Equal(first.UpdatedAt, second.UpdatedAt);
        Assert.Equal(first.CreatedAt, second.CreatedAt);
        Assert.Null(second.WelcomedAt);
    }

    [Fact]
    public async Task A_channel_thread_is_stored_under_its_channel_and_users_are_not_kept_for_channels()
    {
        var message = Activities.Message(_connector.ServiceUrl, "<at>OpsBot</at> help", conversationId: ChannelId + ";messageid=1733000000100");
        message.Conversation!.ConversationType = "channel";
        message.Conversation.IsGroup = true;
        message.ChannelData = TeamChannelData(selectedChannel: false);

        await _client.PostActivityAsync(message);

        var r = await ReferenceAsync(ChannelId);
        Assert.Equal(TeamId, r.TeamId);
        Assert.Null(r.UserId);
        Assert.Null(r.UserAadObjectId);
    }

    [Fact]
    public async Task The_personal_reference_of_a_user_is_found_by_teams_id_or_entra_object_id()
    {
        await _client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "help"));
        await _client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "help", userId: "29:rep-two", conversationId: "a:personal-rep-two"));

        Assert.Equal("a:personal-rep-one", (await FindPersonalAsync("29:rep-one"))?.ConversationId);
        Assert.Equal("a:personal-rep-two", (await FindPersonalAsync(Activities.AadId("29:rep-two")))?.ConversationId);
        Assert.Null(await FindPersonalAsync("29:nobody"));
        var found = await FindPersonalAsync("29:rep-one");
        Assert.Equal(new OpsBot.Messaging.DeliveryTarget.Conversation(_connector.ServiceUrl, Activities.TenantId, "a:personal-rep-one"), found!.ToDeliveryTarget());
    }

    private Activity Personal(string type)
    {
        var a = Activities.Message(_connector.ServiceUrl, "");
        a.Type = type;
        a.Text = null;
        return a;
    }

    private Activity TeamInstall(string action)
    {
        var a = Activities.Message(_connector.ServiceUrl, "", conversationId: ChannelId);
        a.Type = ActivityTypes.InstallationUpdate;
        a.Text = null;
        a.Action = action;
        a.Conversation!.ConversationType = "channel";
        a.Conversation.IsGroup = true;
        a.ChannelData = TeamChannelData(selectedChannel: true);
        return a;
    }

    private static JsonObject TeamChannelData(bool selectedChannel)
    {
        var data = new JsonObject
        {
            ["tenant"] = new JsonObject { ["id"] = Activities.TenantId },
            ["team"] = new JsonObject { ["id"] = TeamId, ["name"] = "Sales EMEA", ["aadGroupId"] = "7a6c0c1e-0000-4000-8000-00000000a11d" },
            ["channel"] = new JsonObject { ["id"] = ChannelId, ["name"] = "Announcements" },
        };
        if (selectedChannel) data["settings"] = new JsonObject { ["selectedChannel"] = new JsonObject { ["id"] = ChannelId } };
        return data;
    }

    private Task<ConversationReferenceRecord> ReferenceAsync(string conversationId) =>
        _app.WithDbAsync(db => db.ConversationReferences.AsNoTracking().SingleAsync(r => r.ConversationId == conversationId));

    private async Task<ConversationReferenceRecord?> FindPersonalAsync(string user)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ConversationReferences>().FindPersonalAsync(user);
    }
}

public sealed class SqliteConversationReferenceTests() : ConversationReferenceTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresConversationReferenceTests(PostgresServer server) : ConversationReferenceTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}

public sealed class ReferenceEventTests
{
    [Theory]
    [InlineData("installationUpdate", "add", null, null, ReferenceEvent.Installed)]
    [InlineData("installationUpdate", "add-upgrade", null, null, ReferenceEvent.Installed)]
    [InlineData("installationUpdate", "remove", null, null, ReferenceEvent.Uninstalled)]
    [InlineData("installationUpdate", "remove-upgrade", null, null, ReferenceEvent.Uninstalled)]
    [InlineData("conversationUpdate", null, Activities.BotId, null, ReferenceEvent.Installed)]
    [InlineData("conversationUpdate", null, null, Activities.BotId, ReferenceEvent.Uninstalled)]
    [InlineData("conversationUpdate", null, "29:someone-else", null, ReferenceEvent.Seen)]
    [InlineData("conversationUpdate", null, null, "29:someone-else", ReferenceEvent.Seen)]
    [InlineData("message", null, null, null, ReferenceEvent.Seen)]
    [InlineData("messageReaction", null, null, null, ReferenceEvent.Seen)]
    public void Install_and_removal_are_recognised(string type, string? action, string? added, string? removed, ReferenceEvent expected)
    {
        var a = Activities.Message("https://smba.example/", "");
        a.Type = type;
        a.Action = action;
        if (added is not null) a.MembersAdded = [new ChannelAccount { Id = added }];
        if (removed is not null) a.MembersRemoved = [new ChannelAccount { Id = removed }];

        Assert.Equal(expected, BotRouter.ReferenceEventOf(a));
    }
}
