using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpsBot.BotFramework;

namespace OpsBot.BotFramework.Tests;

/// <summary>
/// With authentication off, connector calls go only to loopback and to hosts in <c>Bot:TrustedServiceUrlHosts</c>. Every
/// connection the connector client opens passes <see cref="TestNetwork"/>, which reaches only 127.0.0.1. (That the app
/// logs no error for a refused reply and fails an outbox row for such a serviceUrl is tested in OpsBot.Tests.)
/// </summary>
public sealed class OutboundServiceUrlTests : IAsyncLifetime
{
    private const string TrustedHost = "connector.contoso.test";
    private const string LinkLocal = "http://169.254.169.254/";
    private TestNetwork _network = null!;
    private readonly CapturingLoggerProvider _logs = new();
    private FakeConnector _connector = null!;
    private BotHost _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        var connectorPort = new Uri(_connector.ServiceUrl).Port;
        _network = new TestNetwork(TrustedHost, connectorPort);
        _app = new BotHost();
        _app.Settings["Bot:TrustedServiceUrlHosts:0"] = TrustedHost;
        _app.ServiceOverrides.Add(services =>
        {
            services.AddSingleton<ILoggerProvider>(_logs);
            services.AddHttpClient<ConnectorClient>().ConfigurePrimaryHttpMessageHandler(() => _network.Handler());
        });
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
        var response = await _client.PostActivityAsync(Activities.Message(serviceUrl, "echo hi", conversationId: "a:" + Guid.NewGuid().ToString("n")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(_network.Connects, c => !c.StartsWith("127.0.0.1:", StringComparison.Ordinal));
        Assert.Empty(_connector.Calls);
        Assert.Contains(_logs.Lines, l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains(host, StringComparison.Ordinal)
                                          && l.Contains("Bot:TrustedServiceUrlHosts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replies_go_to_loopback_and_to_configured_hosts()
    {
        await _client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "echo hi", conversationId: "a:loopback"));
        var trusted = $"http://{TrustedHost}:{new Uri(_connector.ServiceUrl).Port}/";
        await _client.PostActivityAsync(Activities.Message(trusted, "echo hi", conversationId: "a:trusted-host"));

        Assert.Contains(_connector.Posts, p => p.Path.Contains("a%3Aloopback", StringComparison.Ordinal));
        Assert.Contains(_connector.Posts, p => p.Path.Contains("a%3Atrusted-host", StringComparison.Ordinal));
        Assert.Contains($"{TrustedHost}:{new Uri(_connector.ServiceUrl).Port}", _network.Connects);
    }
}
