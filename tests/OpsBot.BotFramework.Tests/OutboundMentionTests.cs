using System.Text.Json.Nodes;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework.Tests;

/// <summary>Outgoing mentions (protocol doc §7; vector M3).</summary>
public sealed class OutboundMentionTests
{
    [Fact]
    public void Message_builds_at_tags_and_matching_entities()
    {
        var exec = new MentionTarget("29:exec", "Exec One");

        var activity = Mentions.Message("{0}, please review escalation E-12 for Contoso", exec);

        Assert.Equal("<at>Exec One</at>, please review escalation E-12 for Contoso", activity.Text);
        var entity = Assert.Single(activity.Entities!);
        Assert.Equal("mention", entity.Type);
        Assert.Equal("<at>Exec One</at>", entity.Text);
        Assert.Equal("29:exec", entity.Mentioned!.Id);
        Assert.Equal("Exec One", entity.Mentioned.Name);
        Mentions.EnsureResolvable(activity);
    }

    [Fact]
    public void Names_are_xml_escaped_in_text_and_entity_but_not_in_mentioned_name()
    {
        var activity = Mentions.Message("{0} and {1}: {0}", new MentionTarget("29:a", "R&D <Ops>"), new MentionTarget("aad-b", "Bea"));

        Assert.Equal("<at>R&amp;D &lt;Ops&gt;</at> and <at>Bea</at>: <at>R&amp;D &lt;Ops&gt;</at>", activity.Text);
        Assert.Equal(["<at>R&amp;D &lt;Ops&gt;</at>", "<at>Bea</at>"], activity.Entities!.Select(e => e.Text));
        Assert.Equal("R&D <Ops>", activity.Entities![0].Mentioned!.Name);
    }

    [Fact]
    public void A_format_referring_to_a_missing_person_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Mentions.Message("{1} please look", new MentionTarget("29:a", "A")));
    }

    [Fact]
    public async Task M3_a_mention_whose_text_is_not_in_the_message_is_refused_before_sending()
    {
        await using var h = await OutboundHarness.StartAsync();
        var activity = OutboundHarness.Message("Escalated to Exec One");
        activity.Entities = [Mentions.Entity(new MentionTarget("29:exec", "Exec One"))];

        var error = await Assert.ThrowsAsync<InvalidMentionException>(() => h.Client.SendToConversationAsync(h.ServiceUrl, activity));

        Assert.Equal("<at>Exec One</at>", error.MentionText);
        Assert.Empty(h.Connector.Calls);
    }

    [Fact]
    public async Task M3_a_correct_mention_goes_out_with_its_entity()
    {
        await using var h = await OutboundHarness.StartAsync();
        var activity = Mentions.Message("{0} escalation E-12 needs you", new MentionTarget("29:exec", "Exec One"));
        activity.Conversation = new ConversationAccount { Id = "19:chan@thread.tacv2;messageid=1" };

        await h.Client.SendToConversationAsync(h.ServiceUrl, activity);

        var body = Assert.Single(h.Connector.Calls).Body!;
        Assert.Equal("<at>Exec One</at> escalation E-12 needs you", body["text"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"type":"mention","mentioned":{"id":"29:exec","name":"Exec One"},"text":"<at>Exec One</at>"}]"""), body["entities"]));
    }

    [Fact]
    public void Card_mentions_must_appear_in_the_card_body()
    {
        JsonObject Card(string blockText) => new()
        {
            ["type"] = "AdaptiveCard",
            ["body"] = new JsonArray(new JsonObject { ["type"] = "TextBlock", ["text"] = blockText, ["wrap"] = true }),
            ["msteams"] = new JsonObject
            {
                ["entities"] = new JsonArray(new JsonObject
                {
                    ["type"] = "mention", ["text"] = "<at>Exec One</at>",
                    ["mentioned"] = new JsonObject { ["id"] = "exec@contoso.com", ["name"] = "Exec One" },
                }),
            },
        };

        Mentions.EnsureResolvable(new Activity { Attachments = [Attachment.AdaptiveCard(Card("Owner: <at>Exec One</at>"))] });
        var error = Assert.Throws<InvalidMentionException>(() => Mentions.EnsureResolvable(new Activity { Attachments = [Attachment.AdaptiveCard(Card("Owner: Exec One"))] }));
        Assert.Equal("<at>Exec One</at>", error.MentionText);
    }
}
