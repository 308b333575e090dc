using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpsBot.Api;
using OpsBot.BotFramework;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;
using OpsBot.Tests.Messaging;

namespace OpsBot.Tests.BotFramework;

/// <summary>
/// The app with authentication off: a chat turn or an outbox row for a serviceUrl that is neither loopback nor in
/// <c>Bot:TrustedServiceUrlHosts</c> is refused without a connection, quietly for the turn and visibly for the row. Every
/// connection the connector client opens passes the socket-level recorder below, which reaches only 127.0.0.1. (Which hosts
/// the connector calls is tested on the protocol layer alone in OpsBot.BotFramework.Tests.)
/// </summary>
public sealed class OutboundServiceUrlTests : IAsyncLifetime
{
    private const string ApiKey = "alerts-secret-key";
    private const string TrustedHost = "connector.contoso.test";
    private const string LinkLocal = "http://169.254.169.254/";
    private TestNetwork _network = null!;
    private readonly CapturingLoggerProvider _logs = new();
    private FakeConnector _connector = null!;
    private OpsBotFactory _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        var connectorPort = new Uri(_connector.ServiceUrl).Port;
        _network = new TestNetwork(TrustedHost, connectorPort);
        _app = new OpsBotFactory();
        var s = _app.Settings;
        s["Bot:TrustedServiceUrlHosts:0"] = TrustedHost;
        s["Api:Keys:erp"] = ApiKeyHandler.Hash(ApiKey);
        s["Messaging:PollInterval"] = "00:00:00.050";
        s["Alerts:ServiceUrl"] = LinkLocal;
        s["Alerts:TenantId"] = Activities.TenantId;
        s["Alerts:TimerInterval"] = "01:00:00";
        s["Alerts:Routes:0:Name"] = "leads";
        s["Alerts:Routes:0:People:0"] = "29:lead";
        _app.TestServices = services =>
        {
            services.AddSingleton<ILoggerProvider>(_logs);
            services.AddHttpClient<ConnectorClient>().ConfigurePrimaryHttpMessageHandler(() => _network.Handler());
        };
        _client = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _connector.DisposeAsync();
    }

    [Theory]
    [InlineData(LinkLocal)]
    [InlineData("http://203.0.113.7/")]
    [InlineData("https://smba.example.net/amer/")]
    [InlineData("http://[fe80::1]/")]
    public async Task A_reply_to_an_untrusted_serviceUrl_is_refused_without_a_connection_and_the_turn_answers_200(string serviceUrl)
    {
        var host = new Uri(serviceUrl).Host;
        var response = await _client.PostActivityAsync(Activities.Message(serviceUrl, "help", conversationId: "a:" + Guid.NewGuid().ToString("n")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(_network.Connects, c => !c.StartsWith("127.0.0.1:", StringComparison.Ordinal));
        Assert.Empty(_connector.Calls);
        Assert.Contains(_logs.Lines, l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains(host, StringComparison.Ordinal)
                                          && l.Contains("Bot:TrustedServiceUrlHosts", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Lines, l => l.StartsWith("Error ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_outbox_row_for_an_untrusted_serviceUrl_fails_at_once_with_a_clear_reason()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/alerts")
        {
            Content = JsonContent.Create(new { account = "Contoso", kind = "late-shipment", severity = 3, impact = "Trucks late", description = "ERP" }),
        };
        request.Headers.Add("X-Api-Key", ApiKey);
        var raised = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, raised.StatusCode);

        var row = Assert.Single(await DispatcherTests.WaitUntilSettledAsync(_app, 1, TimeSpan.FromSeconds(30)));

        Assert.Equal(OutboxStatus.Failed, row.Status);
        Assert.Equal(1, row.Attempts);
        Assert.Contains(ConnectorException.UntrustedServiceUrlCode, row.Error, StringComparison.Ordinal);
        Assert.Contains("169.254.169.254", row.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(_network.Connects, c => !c.StartsWith("127.0.0.1:", StringComparison.Ordinal));
        var id = (await raised.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
        var view = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/alerts/{id}") { Headers = { { "X-Api-Key", ApiKey } } });
        Assert.Contains("Failed", await view.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
