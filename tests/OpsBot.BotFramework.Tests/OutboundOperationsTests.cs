using System.Net;
using System.Text.Json.Nodes;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework.Tests;

/// <summary>Connector operations on the wire (protocol doc §4.1–§4.3; vectors O7, O8, P4).</summary>
public sealed class OutboundOperationsTests : IAsyncLifetime
{
    private OutboundHarness _h = null!;

    public async Task InitializeAsync() => _h = await OutboundHarness.StartAsync();
    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task O7_service_url_without_trailing_slash_keeps_its_path()
    {
        var serviceUrl = _h.ServiceUrl.TrimEnd('/');
        Assert.EndsWith("/_connector", serviceUrl, StringComparison.Ordinal);

        await _h.Client.SendToConversationAsync(serviceUrl, OutboundHarness.Message("hi", "a:1"));

        Assert.Equal("/_connector/v3/conversations/a%3A1/activities", Assert.Single(_h.Connector.Calls).Path);
    }

    [Fact]
    public async Task O8_conversation_and_activity_ids_are_percent_encoded_path_segments()
    {
        var reply = OutboundHarness.Message("thread reply", "19:a@thread.tacv2;messageid=1");

        await _h.Client.ReplyToActivityAsync(_h.ServiceUrl, "1", reply);
        await _h.Client.DeleteActivityAsync(_h.ServiceUrl, "19:a@thread.tacv2;messageid=1", "1/2?x");

        var calls = _h.Connector.Calls.ToArray();
        Assert.Equal("/_connector/v3/conversations/19%3Aa%40thread.tacv2%3Bmessageid%3D1/activities/1", calls[0].Path);
        Assert.Equal("/_connector/v3/conversations/19%3Aa%40thread.tacv2%3Bmessageid%3D1/activities/1%2F2%3Fx", calls[1].Path);
        Assert.Equal("1", calls[0].Body!["replyToId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_posts_camel_case_json_without_nulls_and_returns_the_id()
    {
        var activity = OutboundHarness.Message("hello");
        activity.Attachments = [Attachment.AdaptiveCard(new JsonObject { ["type"] = "AdaptiveCard", ["version"] = "1.5" })];

        var result = await _h.Client.SendToConversationAsync(_h.ServiceUrl, activity);

        var call = Assert.Single(_h.Connector.Calls);
        Assert.Equal("POST", call.Method);
        Assert.Equal("/_connector/v3/conversations/a%3Apersonal-1/activities", call.Path);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""
            {"type":"message","conversation":{"id":"a:personal-1","tenantId":"{{{OutboundHarness.TenantId}}}"},"text":"hello",
             "attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.5"}}]}
            """), call.Body), call.Body!.ToJsonString());
        Assert.Equal("1", result.Id);
    }

    [Fact]
    public async Task Update_puts_the_full_activity_to_its_id()
    {
        var activity = OutboundHarness.Message("v2");
        activity.Id = "1700000000001";

        await _h.Client.UpdateActivityAsync(_h.ServiceUrl, activity);

        var call = Assert.Single(_h.Connector.Calls);
        Assert.Equal("PUT", call.Method);
        Assert.Equal("/_connector/v3/conversations/a%3Apersonal-1/activities/1700000000001", call.Path);
        Assert.Equal("message", call.Body!["type"]!.GetValue<string>());
        Assert.Equal("1700000000001", call.Body!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Typing_posts_only_the_type()
    {
        await _h.Client.SendTypingAsync(_h.ServiceUrl, "a:personal-1");

        var call = Assert.Single(_h.Connector.Calls);
        Assert.Equal("/_connector/v3/conversations/a%3Apersonal-1/activities", call.Path);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"type":"typing"}"""), call.Body));
    }

    [Fact]
    public async Task Create_personal_conversation_body_is_exactly_the_documented_one()
    {
        var result = await _h.Client.CreatePersonalConversationAsync(_h.ServiceUrl, OutboundHarness.TenantId, "29:1user");

        var call = Assert.Single(_h.Connector.Calls);
        Assert.Equal("/_connector/v3/conversations", call.Path);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""
            { "isGroup": false, "bot": { "id": "28:{{OutboundHarness.AppId}}" }, "members": [ { "id": "29:1user" } ],
              "tenantId": "{{OutboundHarness.TenantId}}", "channelData": { "tenant": { "id": "{{OutboundHarness.TenantId}}" } } }
            """), call.Body), call.Body!.ToJsonString());
        Assert.StartsWith("a:created-", result.Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_channel_thread_body_is_exactly_the_documented_one()
    {
        var card = new JsonObject { ["type"] = "AdaptiveCard", ["version"] = "1.5", ["body"] = new JsonArray() };
        var root = new Activity { Attachments = [Attachment.AdaptiveCard(card)] };

        var result = await _h.Client.CreateChannelThreadAsync(_h.ServiceUrl, OutboundHarness.TenantId, "19:chan@thread.tacv2", root);

        var call = Assert.Single(_h.Connector.Calls);
        Assert.Equal("/_connector/v3/conversations", call.Path);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""
            { "isGroup": true, "channelData": { "channel": { "id": "19:chan@thread.tacv2" }, "tenant": { "id": "{{OutboundHarness.TenantId}}" } },
              "activity": { "type": "message", "attachments": [ { "contentType": "application/vnd.microsoft.card.adaptive", "content": { "type": "AdaptiveCard", "version": "1.5", "body": [] } } ] } }
            """), call.Body), call.Body!.ToJsonString());
        Assert.NotNull(result.ActivityId);
    }

    [Fact]
    public async Task Create_personal_conversation_without_app_id_leaves_out_the_bot()
    {
        await using var anonymous = await OutboundHarness.StartAsync(s => s["MicrosoftAppId"] = "");

        await anonymous.Client.CreatePersonalConversationAsync(anonymous.ServiceUrl, OutboundHarness.TenantId, "aad-object-id");

        var body = Assert.Single(anonymous.Connector.Calls).Body!.AsObject();
        Assert.False(body.ContainsKey("bot"));
        Assert.Equal("aad-object-id", body["members"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task P4_create_for_a_user_without_the_app_fails_with_403_and_is_not_retried()
    {
        _h.Connector.Respond(HttpStatusCode.Forbidden, """{"error":{"code":"ForbiddenOperationException","message":"Bot is not installed in user's personal scope"}}""");

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            _h.Client.CreatePersonalConversationAsync(_h.ServiceUrl, OutboundHarness.TenantId, "29:no-app"));

        Assert.Equal(HttpStatusCode.Forbidden, error.Status);
        Assert.Equal("ForbiddenOperationException", error.Code);
        Assert.True(error.RecipientUnreachable);
        Assert.False(error.IsTransient);
        Assert.Single(_h.Connector.Calls);
    }

    [Fact]
    public async Task Members_are_read_page_by_page_until_the_continuation_token_is_gone()
    {
        _h.Connector.SetMembers(2, Enumerable.Range(1, 5).Select(i => new JsonObject
        {
            ["id"] = $"29:u{i}", ["name"] = $"User {i}", ["aadObjectId"] = $"aad-{i}", ["userPrincipalName"] = $"u{i}@contoso.com",
        }).ToArray());

        var members = await _h.Client.GetConversationMembersAsync(_h.ServiceUrl, "19:team@thread.tacv2");

        Assert.Equal(["29:u1", "29:u2", "29:u3", "29:u4", "29:u5"], members.Select(m => m.Id));
        Assert.Equal("u5@contoso.com", members[4].UserPrincipalName);
        Assert.Equal(
            [
                "/_connector/v3/conversations/19%3Ateam%40thread.tacv2/pagedmembers",
                "/_connector/v3/conversations/19%3Ateam%40thread.tacv2/pagedmembers?continuationToken=page-2",
                "/_connector/v3/conversations/19%3Ateam%40thread.tacv2/pagedmembers?continuationToken=page-4",
            ],
            _h.Connector.Calls.Select(c => c.Path));
        Assert.All(_h.Connector.Calls, c => Assert.StartsWith("Bearer ", c.Authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Paged_members_pass_page_size_and_encoded_token()
    {
        await _h.Client.GetConversationPagedMembersAsync(_h.ServiceUrl, "a:1", pageSize: 50, continuationToken: "a+b/c=");

        Assert.Equal("/_connector/v3/conversations/a%3A1/pagedmembers?pageSize=50&continuationToken=a%2Bb%2Fc%3D", Assert.Single(_h.Connector.Calls).Path);
    }

    [Fact]
    public async Task Single_member_by_user_id_or_upn_and_404_when_unknown()
    {
        _h.Connector.SetMembers(10, new JsonObject { ["id"] = "29:exec", ["name"] = "Exec One", ["userPrincipalName"] = "exec@contoso.com" });

        var byId = await _h.Client.GetConversationMemberAsync(_h.ServiceUrl, "a:1", "29:exec");
        var byUpn = await _h.Client.GetConversationMemberAsync(_h.ServiceUrl, "a:1", "exec@contoso.com");
        var missing = await Assert.ThrowsAsync<ConnectorException>(() => _h.Client.GetConversationMemberAsync(_h.ServiceUrl, "a:1", "29:nobody"));

        Assert.Equal("Exec One", byId.Name);
        Assert.Equal("29:exec", byUpn.Id);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("MemberNotFoundInConversation", missing.Code);
        Assert.Equal("/_connector/v3/conversations/a%3A1/members/exec%40contoso.com", _h.Connector.Calls.ElementAt(1).Path);
    }
}
