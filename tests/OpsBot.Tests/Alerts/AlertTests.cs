using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Alerts;
using OpsBot.Api;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;
using OpsBot.Tests.Messaging;

namespace OpsBot.Tests.Alerts;

/// <summary>Alerts end to end: /api/messages, the HTTP API, the real store, the dispatcher and the loopback connector.</summary>
public abstract class AlertTests(DatabaseProvider provider) : IAsyncLifetime
{
    private const string ApiKey = "erp-secret-key";
    private const string OpsChannel = "19:ops@thread.tacv2";
    private const string ContosoChannel = "19:contoso@thread.tacv2";
    private const int FanoutChannels = 60;
    private FakeConnector _connector = null!;
    private OpsBotFactory _app = null!;
    private HttpClient _api = null!;
    private HttpClient _bot = null!;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        _app = new OpsBotFactory(provider, await ConnectionStringAsync());
        var s = _app.Settings;
        s["Messaging:PollInterval"] = "00:00:00.050";
        s["Messaging:PerTenantPerSecond"] = "200";
        s["Api:Keys:erp"] = ApiKeyHandler.Hash(ApiKey);
        s["Alerts:ServiceUrl"] = _connector.ServiceUrl;
        s["Alerts:TenantId"] = Activities.TenantId;
        s["Alerts:DigestHourUtc"] = "0";
        s["Alerts:TimerInterval"] = "01:00:00";
        s["People:Admins:0"] = "29:admin";
        s["People:Executives:0:Id"] = "ceo";
        s["People:Executives:0:UserId"] = "29:ceo";
        s["People:Executives:0:Name"] = "Chief Executive";
        s["Alerts:Routes:0:Name"] = "operations";
        s["Alerts:Routes:0:Channels:0:TeamId"] = "team-ops";
        s["Alerts:Routes:0:Channels:0:ChannelId"] = OpsChannel;
        s["Alerts:Routes:0:People:0"] = "29:ops-lead";
        s["Alerts:Routes:1:Name"] = "contoso";
        s["Alerts:Routes:1:Account"] = "Contoso";
        s["Alerts:Routes:1:MaxSeverity"] = "3";
        s["Alerts:Routes:1:Channels:0:ChannelId"] = ContosoChannel;
        s["Alerts:Routes:2:Name"] = "plants";
        s["Alerts:Routes:2:Kind"] = "line-down";
        s["Alerts:Routes:2:People:0"] = "29:plant-manager";
        s["Customers:Seed:0:Number"] = "SECRETCO";
        s["Customers:Seed:0:Name"] = "Secretco";
        s["Customers:Seed:0:Restricted"] = "true";
        s["Customers:Seed:0:AllowedUsers:0"] = "29:ops-lead";
        s["Customers:TrustedApiClients:0"] = "erp";
        s["Alerts:Kpis:on-time-delivery:Direction"] = "Below";
        s["Alerts:Kpis:on-time-delivery:Warning"] = "95";
        s["Alerts:Kpis:on-time-delivery:Critical"] = "90";
        s["Alerts:Kpis:on-time-delivery:Margin"] = "1";
        s["Alerts:Kpis:on-time-delivery:Unit"] = "%";
        s["Alerts:Kpis:on-time-delivery:Kind"] = "late-shipment";
        _api = _app.CreateClient();
        _api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        _bot = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAlertAsync(object body, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/alerts") { Content = JsonContent.Create(body) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return _api.SendAsync(request);
    }

    private async Task<long> RaiseAsync(string account, string kind, int severity, string? reference = null)
    {
        var response = await PostAlertAsync(new { account, kind, severity, reference, impact = $"{kind} hurts {account}", description = "Details from the ERP." });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
    }

    private async Task<List<OutboxMessage>> SettledAsync()
    {
        var count = await _app.WithDbAsync(db => db.OutboxMessages.CountAsync());
        return await DispatcherTests.WaitUntilSettledAsync(_app, count);
    }

    private static long? CardAlertId(RecordedCall c)
    {
        var card = (c.Body?["attachments"] ?? c.Body?["activity"]?["attachments"])?[0]?["content"]?.ToJsonString();
        if (card is null) return null;
        var i = card.IndexOf("\"alertId\":\"", StringComparison.Ordinal);
        if (i < 0) return null;
        var start = i + "\"alertId\":\"".Length;
        return long.Parse(card[start..card.IndexOf('"', start)], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task An_alert_from_the_api_reaches_exactly_the_routed_conversations()
    {
        var contoso = await RaiseAsync("Contoso", "late-shipment", 3);
        var lineDown = await RaiseAsync("Fabrikam", "line-down", 2);
        var restricted = await RaiseAsync("Secretco", "order-error", 1);
        var rows = await SettledAsync();

        Assert.All(rows, r => Assert.Equal(OutboxStatus.Sent, r.Status));
        Assert.Equal(Targets(OpsChannel, ContosoChannel, "29:ops-lead"), TargetsOf(rows, contoso));
        Assert.Equal(Targets(OpsChannel, "29:ops-lead", "29:plant-manager", "29:ceo"), TargetsOf(rows, lineDown));
        Assert.Equal(Targets("29:ops-lead"), TargetsOf(rows, restricted));
        Assert.Equal(rows.Count, _connector.Delivered.Count(c => c.Method == "POST" && c.Body?["members"] is null));
        var created = _connector.Calls.Where(c => c.Body?["members"] is not null).Select(c => c.Body!["members"]![0]!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(3, created.Count(m => m == "29:ops-lead"));
        Assert.DoesNotContain(_connector.Calls, c => c.Body?["channelData"]?["channel"]?["id"]?.GetValue<string>() == ContosoChannel && CardAlertId(c) == lineDown);
    }

    /// <summary>The bot's latest answer in the test user's personal chat (the dispatcher posts elsewhere at the same time).</summary>
    private JsonNode LastReply() => _connector.Posts.Last(c => c.Path.Contains("a%3Apersonal-rep-one", StringComparison.Ordinal)).Body!;

    private static HashSet<string> Targets(params string[] t) => t.ToHashSet();

    private static HashSet<string> TargetsOf(IEnumerable<OutboxMessage> rows, long alertId) =>
        rows.Where(r => r.CorrelationType == "alert" && r.CorrelationId == alertId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Select(r => r.ChannelId ?? r.UserId ?? r.ConversationId!).ToHashSet();

    [Fact]
    public async Task An_alert_from_chat_validates_beside_the_fields_and_reaches_the_routed_conversations()
    {
        var form = await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "alert Contoso"));
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var formCard = LastReply()["attachments"]![0]!["content"]!.ToJsonString();
        Assert.Contains("Raise an interruption alert", formCard, StringComparison.Ordinal);
        Assert.Contains("\"value\":\"Contoso\"", formCard, StringComparison.Ordinal);

        var invalid = await InvokeAsync("alert.create", new JsonObject { ["formId"] = "f1", ["account"] = "Contoso", ["kind"] = "line-down", ["severity"] = "9", ["impact"] = "" });
        var invalidCard = invalid["value"]!.ToJsonString();
        Assert.Contains("Severity is 1 (highest) to 4.", invalidCard, StringComparison.Ordinal);
        Assert.Contains("Describe the impact on the customer.", invalidCard, StringComparison.Ordinal);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Alerts.CountAsync()));

        var data = new JsonObject { ["formId"] = "f1", ["account"] = "Contoso", ["reference"] = "PO-77", ["kind"] = "line-down", ["severity"] = "2", ["impact"] = "Line 3 stopped", ["description"] = "" };
        var created = await InvokeAsync("alert.create", data, replyToId: "form-card-1");
        Assert.Contains("Line down at Contoso", created["value"]!.ToJsonString(), StringComparison.Ordinal);
        var again = await InvokeAsync("alert.create", (JsonObject)data.DeepClone(), replyToId: "form-card-1");
        Assert.Contains("already raised", again["value"]!.ToJsonString(), StringComparison.Ordinal);

        var alert = Assert.Single(await _app.WithDbAsync(db => db.Alerts.AsNoTracking().ToListAsync()));
        Assert.Equal(AlertSource.Chat, alert.Source);
        var rows = await SettledAsync();
        Assert.Equal(Targets(OpsChannel, ContosoChannel, "29:ops-lead", "29:plant-manager", "29:ceo"), TargetsOf(rows.Where(r => r.Kind != OutboxKind.Update), alert.Id));
        // The form card now showing the alert is a tracked copy of the same live card.
        var origin = Assert.Single(rows, r => r.Kind == OutboxKind.Update && r.CorrelationId == alert.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(("a:personal-rep-one", "form-card-1", "29:rep-one"), (origin.ResultConversationId, origin.ResultActivityId, origin.UserId));
        Assert.Equal(AlertService.LiveKey(alert), origin.LiveCard);
    }

    private async Task<JsonObject> InvokeAsync(string verb, JsonObject data, string userId = "29:rep-one", string? replyToId = null, string conversationId = "a:personal-rep-one")
    {
        var response = await _bot.PostActivityAsync(Activities.Execute(_connector.ServiceUrl, verb, data, userId, replyToId, conversationId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Fact]
    public async Task Kpi_readings_fire_once_per_crossing_with_hysteresis()
    {
        async Task<JsonObject> Read(decimal value)
        {
            var r = await _api.PostAsJsonAsync("/api/kpis/on-time-delivery/readings", new { value });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return (await r.Content.ReadFromJsonAsync<JsonObject>())!;
        }

        Assert.Equal("unchanged", (await Read(97))["outcome"]!.GetValue<string>());
        Assert.Equal("raised", (await Read(94.5m))["outcome"]!.GetValue<string>());
        foreach (var flap in new[] { 95.2m, 94.8m, 95.9m, 94.1m }) Assert.Equal("unchanged", (await Read(flap))["outcome"]!.GetValue<string>());
        Assert.Equal(1, await _app.WithDbAsync(db => db.Alerts.CountAsync()));
        Assert.Equal("escalated", (await Read(89))["outcome"]!.GetValue<string>());
        Assert.Equal("unchanged", (await Read(90.5m))["outcome"]!.GetValue<string>());
        Assert.Equal("unchanged", (await Read(95.5m))["outcome"]!.GetValue<string>());
        Assert.Equal("cleared", (await Read(96.2m))["outcome"]!.GetValue<string>());
        Assert.Equal("raised", (await Read(93))["outcome"]!.GetValue<string>());

        var alerts = await _app.WithDbAsync(db => db.Alerts.AsNoTracking().OrderBy(a => a.Id).ToListAsync());
        Assert.Equal(2, alerts.Count);
        Assert.Equal(AlertStatus.Resolved, alerts[0].Status);
        Assert.Equal(Severity.High, alerts[0].Severity);
        Assert.Equal(AlertSource.Kpi, alerts[0].Source);
        Assert.Equal(AlertStatus.Open, alerts[1].Status);
        var rows = await SettledAsync();
        Assert.Contains(rows, r => r.CorrelationId == alerts[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) && r.UserId == "29:ceo");
        Assert.DoesNotContain(rows, r => r.CorrelationId == alerts[1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) && r.UserId == "29:ceo");
        Assert.Equal(HttpStatusCode.NotFound, (await _api.PostAsJsonAsync("/api/kpis/unknown/readings", new { value = 1 })).StatusCode);
    }

    [Fact]
    public async Task An_api_retry_with_the_same_idempotency_key_creates_one_alert()
    {
        var body = new { account = "Contoso", kind = "order-error", severity = 3, impact = "Wrong SKU shipped", reference = "PO-9" };
        var first = await PostAlertAsync(body, "erp-evt-1001");
        var retry = await PostAlertAsync(body, "erp-evt-1001");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal((await first.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>(), (await retry.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>());
        var conflict = await PostAlertAsync(body with { severity = 1 }, "erp-evt-1001");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Alerts.CountAsync()));

        var invalid = await PostAlertAsync(new { account = "", kind = "meteor", severity = 7, impact = "" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var errors = (await invalid.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Equal(["account", "impact", "kind", "severity"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        var huge = await PostAlertAsync(new { account = "Contoso", kind = "other", severity = 4, impact = "x", description = new string('x', 70_000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        var tooLong = await PostAlertAsync(new { account = "Contoso", kind = "other", severity = 4, impact = new string('x', 600) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var anonymous = await _app.CreateClient().PostAsJsonAsync("/api/alerts", body);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Alerts.CountAsync()));
    }

    [Fact]
    public async Task A_resolve_in_one_channel_updates_the_card_in_every_channel_and_stale_clicks_change_nothing()
    {
        var id = await RaiseAsync("Contoso", "line-down", 3, "PO-1");
        var rows = (await SettledAsync()).Where(r => r.Kind != OutboxKind.Update && r.CorrelationType == "alert").ToList();
        Assert.Equal(4, rows.Count);
        var opsThread = rows.Single(r => r.ChannelId == OpsChannel);
        var version = await _app.WithDbAsync(db => db.Alerts.Where(a => a.Id == id).Select(a => a.Version).SingleAsync());

        var ack = await InvokeAsync("alert.ack", new JsonObject { ["alertId"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["version"] = version }, "29:ops-lead", opsThread.ResultActivityId, opsThread.ResultConversationId!);
        Assert.Contains("Acknowledged by", ack["value"]!.ToJsonString(), StringComparison.Ordinal);
        var resolved = await InvokeAsync("alert.resolve", new JsonObject { ["alertId"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["version"] = version + 1, ["resolution"] = "Spare part fitted" },
            "29:ops-lead", opsThread.ResultActivityId, opsThread.ResultConversationId!);
        Assert.Contains("Resolved by", resolved["value"]!.ToJsonString(), StringComparison.Ordinal);
        var stale = await InvokeAsync("alert.ack", new JsonObject { ["alertId"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["version"] = version }, "29:plant-manager");
        Assert.Contains("out of date", stale["value"]!.ToJsonString(), StringComparison.Ordinal);

        var after = await SettledAsync();
        var puts = _connector.Delivered.Where(c => c.Method == "PUT").ToList();
        foreach (var post in rows)
        {
            var path = $"/v3/conversations/{Uri.EscapeDataString(post.ResultConversationId!)}/activities/{Uri.EscapeDataString(post.ResultActivityId!)}";
            Assert.Contains(puts, p => p.Path.EndsWith(path, StringComparison.Ordinal) && p.Body!.ToJsonString().Contains("Resolved by", StringComparison.Ordinal));
        }
        Assert.All(after.Where(r => r.CorrelationType == "alert"), r => Assert.Equal((OutboxStatus.Sent, r.DesiredVersion), (r.Status, r.SentVersion!.Value)));
        var timeline = await _app.WithDbAsync(db => db.AlertEvents.AsNoTracking().Where(e => e.AlertId == id).OrderBy(e => e.Id).Select(e => e.Action).ToListAsync());
        Assert.Equal(["raised", "acknowledged", "resolved"], timeline);
    }

    [Fact]
    public async Task Related_alerts_on_the_same_account_and_order_are_threaded()
    {
        var first = await RaiseAsync("Contoso", "late-shipment", 3, "PO-5");
        var rows = await SettledAsync();
        var root = rows.Single(r => r.CorrelationId == first.ToString(System.Globalization.CultureInfo.InvariantCulture) && r.ChannelId == ContosoChannel);
        var second = await RaiseAsync("contoso", "order-error", 3, "po-5");
        rows = await SettledAsync();

        var reply = rows.Single(r => r.CorrelationId == second.ToString(System.Globalization.CultureInfo.InvariantCulture) && r.ConversationId == root.ResultConversationId);
        Assert.Equal(OutboxKind.Send, reply.Kind);
        Assert.Contains(";messageid=", reply.ConversationId, StringComparison.Ordinal);
        Assert.Equal(first, await _app.WithDbAsync(db => db.Alerts.Where(a => a.Id == second).Select(a => a.ThreadAlertId).SingleAsync()));
        Assert.Equal(2, _connector.Calls.Count(c => c.Body?["channelData"]?["channel"]?["id"]?.GetValue<string>() is not null && CardAlertId(c) is not null));
    }

    [Fact]
    public async Task Severe_alerts_go_to_the_directory_executives_when_the_directory_has_them()
    {
        // The configured executive (29:ceo, People:Executives) is in the directory too; an inactive one is not asked.
        await _app.WithDbAsync(async db =>
        {
            db.Executives.Add(new OpsBot.People.Executive { Id = "ann", DisplayName = "Ann Lee", UserId = "29:ann", UpdatedAt = DateTime.UtcNow });
            db.Executives.Add(new OpsBot.People.Executive { Id = "old", DisplayName = "Gone Exec", UserId = "29:gone", Active = false, UpdatedAt = DateTime.UtcNow });
            return await db.SaveChangesAsync();
        });
        var severe = await RaiseAsync("Fabrikam", "line-down", 1);
        var minor = await RaiseAsync("Fabrikam", "line-down", 3);

        var rows = await SettledAsync();
        Assert.Equal(Targets(OpsChannel, "29:ops-lead", "29:plant-manager", "29:ceo", "29:ann"), TargetsOf(rows, severe));
        Assert.Equal(Targets(OpsChannel, "29:ops-lead", "29:plant-manager"), TargetsOf(rows, minor));
    }

    [Fact]
    public async Task A_restricted_commitments_account_restricts_its_alerts_to_the_account_members()
    {
        await _app.WithDbAsync(async db =>
        {
            db.Customers.Add(new OpsBot.Customers.Customer { Number = "INI-001", Name = "Initrode", Restricted = true, Members = [new() { Key = "29:plant-manager" }] });
            return await db.SaveChangesAsync();
        });
        var id = await RaiseAsync("Initrode", "line-down", 3);
        var idText = id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(await _app.WithDbAsync(db => db.Alerts.Where(a => a.Id == id).Select(a => a.Restricted).SingleAsync()));
        Assert.Equal(Targets("29:plant-manager"), TargetsOf(await SettledAsync(), id));
        await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, $"alert status {id}"));
        Assert.StartsWith($"I can't find alert #{id}", LastReply()["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var version = await _app.WithDbAsync(db => db.Alerts.Where(a => a.Id == id).Select(a => a.Version).SingleAsync());
        var refused = await InvokeAsync("alert.ack", new JsonObject { ["alertId"] = idText, ["version"] = version }, "29:ops-lead");
        Assert.Equal(AdaptiveCardInvoke.ErrorType, refused["type"]!.GetValue<string>());
        var acked = await InvokeAsync("alert.ack", new JsonObject { ["alertId"] = idText, ["version"] = version }, "29:plant-manager");
        Assert.Contains("Acknowledged by", acked["value"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_member_listed_by_Entra_object_id_sees_the_restricted_alert_like_in_Commitments()
    {
        // The one identity rule: a member is named by Teams user id or Entra object id, in any case (Alerts once compared the Teams id only).
        await _app.WithDbAsync(async db =>
        {
            db.Customers.Add(new OpsBot.Customers.Customer
            {
                Number = "INI-001", Name = "Initrode", Restricted = true, Members = [new() { Key = Activities.AadId("29:plant-manager").ToUpperInvariant() }],
            });
            return await db.SaveChangesAsync();
        });
        var id = await RaiseAsync("Initrode", "line-down", 3);
        var idText = id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, $"alert status {id}", "29:plant-manager"));
        Assert.Equal($"Delivery status of alert #{id}", LastReply()["summary"]?.GetValue<string>());
        await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, $"alert status {id}", "29:ops-lead"));
        Assert.StartsWith($"I can't find alert #{id}", LastReply()["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var version = await _app.WithDbAsync(db => db.Alerts.Where(a => a.Id == id).Select(a => a.Version).SingleAsync());
        var acked = await InvokeAsync("alert.ack", new JsonObject { ["alertId"] = idText, ["version"] = version }, "29:plant-manager");
        Assert.Contains("Acknowledged by", acked["value"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Action_plans_gate_resolution_remind_overdue_owners_and_status_is_live()
    {
        var id = await RaiseAsync("Fabrikam", "supply-shortage", 3);
        var idText = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var added = await InvokeAsync("alert.plan.add", new JsonObject { ["alertId"] = idText, ["stepTitle"] = "Source cartons from Litware", ["stepOwner"] = "29:buyer", ["stepDue"] = "2020-01-02" });
        Assert.Contains("Source cartons from Litware", added["value"]!.ToJsonString(), StringComparison.Ordinal);
        var version = await _app.WithDbAsync(db => db.Alerts.Where(a => a.Id == id).Select(a => a.Version).SingleAsync());
        var refused = await InvokeAsync("alert.resolve", new JsonObject { ["alertId"] = idText, ["version"] = version });
        Assert.Contains("open step", refused["value"]!.ToJsonString(), StringComparison.Ordinal);

        var timers = _app.Services.GetRequiredService<AlertTimers>();
        Assert.Equal(1, await timers.RemindAsync(default));
        Assert.Equal(0, await timers.RemindAsync(default));
        var reminder = await _app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync(m => m.CorrelationType == "alert-reminder"));
        Assert.Equal("29:buyer", reminder.UserId);
        // The timer service already ran once at start-up (digest hour 0): one digest per routed channel per day, never two.
        Assert.Equal(0, await timers.DigestAsync(default));
        var digests = await _app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.CorrelationType == "alert-digest").Select(m => m.ChannelId).ToListAsync());
        Assert.Equal([ContosoChannel, OpsChannel], digests.Order(StringComparer.Ordinal));

        var stepId = await _app.WithDbAsync(db => db.AlertPlanSteps.Select(s => s.Id).SingleAsync());
        await InvokeAsync("alert.plan.done", new JsonObject { ["alertId"] = idText, ["stepId"] = stepId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        version = await _app.WithDbAsync(db => db.Alerts.Where(a => a.Id == id).Select(a => a.Version).SingleAsync());
        var ok = await InvokeAsync("alert.resolve", new JsonObject { ["alertId"] = idText, ["version"] = version });
        Assert.Contains("Resolved by", ok["value"]!.ToJsonString(), StringComparison.Ordinal);

        await SettledAsync();
        await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, $"alert status {id}"));
        var status = LastReply().ToJsonString();
        Assert.Contains("Channel " + OpsChannel, status, StringComparison.Ordinal);
        Assert.Contains("Sent ", status, StringComparison.Ordinal);
        await RaiseAsync("Contoso", "late-shipment", 4);
        await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "status"));
        var overview = LastReply().ToJsonString();
        Assert.Contains("Contoso", overview, StringComparison.Ordinal);
        Assert.DoesNotContain("Fabrikam", overview, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admins_edit_routing_rules_and_others_cannot()
    {
        await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "alert route add quality kind=order-error maxseverity=2 person=29:quality-lead", userId: "29:rep-one"));
        Assert.Contains("Only OpsBot admins can change alert routes; the admins are: 29:admin", LastReply().ToJsonString(), StringComparison.Ordinal);
        await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "alert route add quality kind=order-error maxseverity=2 person=29:quality-lead", userId: "29:admin"));
        Assert.Contains("added", LastReply().ToJsonString(), StringComparison.Ordinal);

        var minor = await RaiseAsync("Northwind", "order-error", 3);
        var major = await RaiseAsync("Northwind", "order-error", 2);
        var rows = await SettledAsync();
        Assert.DoesNotContain("29:quality-lead", TargetsOf(rows, minor));
        Assert.Contains("29:quality-lead", TargetsOf(rows, major));
    }

    /// <summary>The alert version a card shows (in its action data), or null when the call carries no alert card.</summary>
    private static int? CardVersion(RecordedCall c)
    {
        var card = c.Body?["attachments"]?[0]?["content"] ?? c.Body?["activity"]?["attachments"]?[0]?["content"];
        var ack = Commitments.CommitmentTestBase.Walk(card).FirstOrDefault(o => o["verb"]?.GetValue<string>() == "alert.ack");
        return ack?["data"]?["version"] is { } v ? int.Parse(v.ToString(), System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The last content the connector accepted for a posted copy: its POST (a channel thread's create or a send) or a later PUT.</summary>
    private RecordedCall LastContent(OutboxMessage copy, long alertId)
    {
        var activities = $"/v3/conversations/{Uri.EscapeDataString(copy.ResultConversationId!)}/activities";
        var put = $"{activities}/{Uri.EscapeDataString(copy.ResultActivityId!)}";
        return _connector.Delivered.Last(c => c.Method == "PUT" ? c.Path.EndsWith(put, StringComparison.Ordinal)
            : c.Method == "POST" && CardAlertId(c) == alertId && (copy.Kind == OutboxKind.CreateChannelThread
                ? c.Body?["channelData"]?["channel"]?["id"]?.GetValue<string>() == copy.ChannelId
                : c.Path.EndsWith(activities, StringComparison.Ordinal)));
    }

    /// <summary>Alerts on account Fanout go to <see cref="FanoutChannels"/> channels (besides the operations route).</summary>
    private async Task AddFanoutRouteAsync()
    {
        var channels = string.Join(' ', Enumerable.Range(0, FanoutChannels).Select(i => $"channel=19:fanout-{i}@thread.tacv2"));
        await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, $"alert route add fanout account=Fanout {channels}", userId: "29:admin"));
        Assert.Contains($"{FanoutChannels} channel(s)", LastReply().ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Actions_during_a_fan_out_leave_every_copy_at_the_final_version_and_its_clicks_accepted()
    {
        await AddFanoutRouteAsync();
        _connector.ResponseDelay = TimeSpan.FromMilliseconds(400);
        var id = await RaiseAsync("Fanout", "other", 3);
        var idText = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < 200 && _connector.Calls.Count(c => CardAlertId(c) == id) < 10; i++) await Task.Delay(20);
        Assert.InRange(_connector.Calls.Count(c => CardAlertId(c) == id), 1, FanoutChannels); // mid fan-out

        async Task<int> Version() => await _app.WithDbAsync(db => db.Alerts.Where(a => a.Id == id).Select(a => a.Version).SingleAsync());
        Assert.Contains("Acknowledged by", (await InvokeAsync("alert.ack", new JsonObject { ["alertId"] = idText, ["version"] = await Version() }, "29:ops-lead"))["value"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("took ownership", (await InvokeAsync("alert.own", new JsonObject { ["alertId"] = idText, ["version"] = await Version() }, "29:ops-lead"))["value"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("Truck rerouted", (await InvokeAsync("alert.update", new JsonObject { ["alertId"] = idText, ["version"] = await Version(), ["updateText"] = "Truck rerouted" }, "29:ops-lead"))["value"]!.ToJsonString(), StringComparison.Ordinal);
        var final = await Version();
        _connector.ResponseDelay = TimeSpan.Zero;

        var copies = (await SettledAsync()).Where(r => r.CorrelationType == "alert" && r.CorrelationId == idText && r.Kind != OutboxKind.Update).ToList();
        Assert.Equal(FanoutChannels + 2, copies.Count);
        Assert.All(copies, c => Assert.NotNull(c.ResultActivityId));
        Assert.All(copies, c => Assert.Equal(final, CardVersion(LastContent(c, id))));

        var anyCopy = copies[Random.Shared.Next(copies.Count)];
        var click = await InvokeAsync("alert.ack", new JsonObject { ["alertId"] = idText, ["version"] = CardVersion(LastContent(anyCopy, id)) }, "29:plant-manager",
            anyCopy.ResultActivityId, anyCopy.ResultConversationId!);
        Assert.DoesNotContain("out of date", click["value"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("Acknowledged by", click["value"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_routed_copies_show_the_real_recipient_count()
    {
        await AddFanoutRouteAsync();
        var id = await RaiseAsync("Fanout", "other", 3);
        await SettledAsync();
        var posts = _connector.Delivered.Where(c => c.Method == "POST" && CardAlertId(c) == id).ToList();
        Assert.Equal(FanoutChannels + 2, posts.Count);
        Assert.All(posts, p => Assert.Contains($" of {FanoutChannels + 2}", p.Body!.ToJsonString(), StringComparison.Ordinal));
        Assert.DoesNotContain(posts, p => p.Body!.ToJsonString().Contains("No routed conversations", StringComparison.Ordinal));
    }

    private const string NotInRoster = """{"error":{"code":"BotNotInConversationRoster","message":"The bot is not part of the conversation roster."}}""";

    [Fact]
    public async Task A_recipient_that_fails_for_good_gets_the_owner_told_once()
    {
        _connector.RespondWhen(c => FakeConnector.ConversationOf(c) == ContosoChannel, HttpStatusCode.Forbidden, NotInRoster);
        var unowned = await RaiseAsync("Contoso", "late-shipment", 3);
        var owned = await RaiseAsync("Contoso", "order-error", 3);
        var version = await _app.WithDbAsync(db => db.Alerts.Where(a => a.Id == owned).Select(a => a.Version).SingleAsync());
        await InvokeAsync("alert.own", new JsonObject { ["alertId"] = owned.ToString(System.Globalization.CultureInfo.InvariantCulture), ["version"] = version }, "29:ops-lead");
        var rows = await SettledAsync();
        Assert.Equal(2, rows.Count(r => r.CorrelationType == "alert" && r.Status == OutboxStatus.Failed && r.ChannelId == ContosoChannel));

        var timers = _app.Services.GetRequiredService<AlertTimers>();
        Assert.Equal(2, await timers.NotifyFailuresAsync(default));
        Assert.Equal(0, await timers.NotifyFailuresAsync(default));
        rows = await SettledAsync();
        Assert.All(rows.Where(r => r.CorrelationType == "alert" && r.Status == OutboxStatus.Failed), r => Assert.NotNull(r.FailureNotifiedAt));
        var notices = rows.Where(r => r.CorrelationType == "alert-failure").ToList();
        Assert.Equal(2, notices.Count);
        Assert.Equal("29:admin", notices.Single(n => n.CorrelationId == unowned.ToString(System.Globalization.CultureInfo.InvariantCulture)).UserId);
        Assert.Equal("29:ops-lead", notices.Single(n => n.CorrelationId == owned.ToString(System.Globalization.CultureInfo.InvariantCulture)).UserId);
        Assert.All(notices, n => Assert.Equal(OutboxStatus.Sent, n.Status));
        var told = _connector.Delivered.Select(FakeConnector.TextOf).Where(t => t?.Contains("could not be delivered", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(2, told.Count);
        Assert.All(told, t => Assert.Contains($"channel {ContosoChannel} (403 BotNotInConversationRoster", t, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_and_api_show_possibly_duplicated_throttled_and_failed_copies()
    {
        var opsCalls = 0;
        _connector.RespondWhen(c => FakeConnector.ConversationOf(c) == OpsChannel && CardAlertId(c) is not null && Interlocked.Increment(ref opsCalls) == 1,
            HttpStatusCode.BadGateway);
        _connector.RespondWhen(c => FakeConnector.ConversationOf(c) == ContosoChannel, HttpStatusCode.Forbidden, NotInRoster);
        _connector.RespondWhen(c => FakeConnector.ConversationOf(c) == "29:ops-lead", HttpStatusCode.TooManyRequests,
            """{"error":{"code":"Throttled","message":"slow down"}}""", ("Retry-After", "1"));
        var id = await RaiseAsync("Contoso", "late-shipment", 3);
        var idText = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; ; i++)
        {
            var rows = await _app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.CorrelationId == idText).ToListAsync());
            if (rows.Any(r => r.ChannelId == OpsChannel && r.Status == OutboxStatus.Sent && r.RepeatedAfterAmbiguousFailure)
                && rows.Any(r => r.ChannelId == ContosoChannel && r.Status == OutboxStatus.Failed)
                && rows.Any(r => r.UserId == "29:ops-lead" && r.Throttles >= 2)) break;
            Assert.True(i < 300, "The copies did not reach the expected states: " + string.Join(", ", rows.Select(r => $"{r.ChannelId ?? r.UserId}={r.Status}/{r.Throttles}/{r.RepeatedAfterAmbiguousFailure}")));
            await Task.Delay(100);
        }

        await _bot.PostActivityAsync(Activities.Message(_connector.ServiceUrl, $"alert status {id}", userId: "29:ops-lead"));
        var status = AlertTestsText(LastReply());
        Assert.Contains($"Channel {OpsChannel}\nSent ", status, StringComparison.Ordinal);
        Assert.Contains("(possibly duplicated)", status, StringComparison.Ordinal);
        Assert.Contains($"Channel {ContosoChannel}\nFailed: 403 BotNotInConversationRoster", status, StringComparison.Ordinal);
        Assert.Matches(@"Person 29:ops-lead\nQueued · throttled \d+×, retrying", status);
        Assert.Contains("Delivered to 1 of 3 (1 possibly duplicated) · 1 queued (1 throttled, retrying) · 1 failed", status, StringComparison.Ordinal);
        Assert.DoesNotContain("Possibly sent", status, StringComparison.Ordinal);

        var view = await _api.GetFromJsonAsync<JsonObject>($"/api/alerts/{id}");
        var deliveries = view!["deliveries"]!.AsArray().Select(d => d!.AsObject()).ToDictionary(d => d["target"]!.GetValue<string>());
        Assert.Equal("Sent", deliveries[OpsChannel]["status"]!.GetValue<string>());
        Assert.True(deliveries[OpsChannel]["possiblyDuplicated"]!.GetValue<bool>());
        Assert.Contains("possibly duplicated", deliveries[OpsChannel]["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Failed", deliveries[ContosoChannel]["status"]!.GetValue<string>());
        Assert.StartsWith("403 BotNotInConversationRoster", deliveries[ContosoChannel]["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Queued", deliveries["29:ops-lead"]["status"]!.GetValue<string>());
        Assert.True(deliveries["29:ops-lead"]["throttles"]!.GetValue<int>() >= 2);
        Assert.Contains("throttled", deliveries["29:ops-lead"]["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>All text of a card (TextBlocks and facts as "title\nvalue").</summary>
    private static string AlertTestsText(JsonNode reply) => string.Join('\n', Commitments.CommitmentTestBase.Walk(reply).SelectMany(o =>
        o["type"]?.GetValue<string>() == "TextBlock" ? [o["text"]!.ToString()]
        : o.ContainsKey("title") && o.ContainsKey("value") && o["type"] is null ? [$"{o["title"]}\n{o["value"]}"] : Array.Empty<string>()));
}

public sealed class SqliteAlertTests() : AlertTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresAlertTests(PostgresServer server) : AlertTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
