using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using OpsBot.BotFramework;
using OpsBot.BotFramework.Auth;
using OpsBot.BotFramework.Schema;

namespace OpsBot.Testing;

/// <summary>
/// The connector exactly as <c>AddBotConnector</c> wires it (rate limiter, resilience pipeline, MSAL token handler),
/// pointed at a loopback <see cref="FakeConnector"/> and, through MSAL's HttpClient, a loopback <see cref="FakeAuthority"/>.
/// Retry delays are shrunk through configuration so the suite stays fast.
/// </summary>
public sealed class OutboundHarness : IAsyncDisposable
{
    public const string AppId = "00000000-0000-0000-0000-00000000a99d";
    public const string TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    private OutboundHarness(FakeConnector connector, FakeAuthority authority, ServiceProvider services)
    {
        Connector = connector;
        Authority = authority;
        Services = services;
    }

    public FakeConnector Connector { get; }
    public FakeAuthority Authority { get; }
    public ServiceProvider Services { get; }
    public ConnectorClient Client => Services.GetRequiredService<ConnectorClient>();
    public string ServiceUrl => Connector.ServiceUrl;

    public static async Task<OutboundHarness> StartAsync(Action<Dictionary<string, string?>>? configure = null,
        string environment = "Testing", Action<IServiceCollection>? services = null)
    {
        var connector = await FakeConnector.StartAsync();
        var authority = await FakeAuthority.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["MicrosoftAppId"] = AppId,
            ["MicrosoftAppPassword"] = "test-secret",
            ["MicrosoftAppType"] = "SingleTenant",
            ["MicrosoftAppTenantId"] = TenantId,
            ["Bot:Connector:RetryBaseDelay"] = "00:00:00.020",
            ["Bot:Connector:RetryMaxDelay"] = "00:00:00.100",
            ["Bot:Connector:AttemptTimeout"] = "00:00:05",
            ["Bot:Connector:TotalTimeout"] = "00:00:20",
        };
        configure?.Invoke(settings);

        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        collection.AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = environment, ApplicationName = "OpsBot.Testing" });
        collection.AddBotConnector();
        collection.AddHttpClient(ConnectorTokenProvider.HttpClientName).ConfigurePrimaryHttpMessageHandler(authority.CreateHandler);
        services?.Invoke(collection);
        return new OutboundHarness(connector, authority, collection.BuildServiceProvider());
    }

    /// <summary>A message addressed to <paramref name="conversationId"/> in the harness tenant.</summary>
    public static Activity Message(string text, string conversationId = "a:personal-1") => new()
    {
        Type = ActivityTypes.Message,
        Text = text,
        Conversation = new ConversationAccount { Id = conversationId, TenantId = TenantId },
    };

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Connector.DisposeAsync();
        await Authority.DisposeAsync();
    }
}
