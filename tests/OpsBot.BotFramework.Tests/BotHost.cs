using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpsBot.BotFramework.Tests;

/// <summary>
/// The protocol layer in a minimal host: a <see cref="TestServer"/> with <c>AddBotFramework()</c>, <c>MapBotMessages()</c> and
/// <see cref="TestBot"/> as the <see cref="IBot"/>. <see cref="Settings"/> (configuration keys), <see cref="Environment"/> and
/// <see cref="ServiceOverrides"/> apply when the host starts, at the first <see cref="CreateClient"/> or <see cref="Services"/>.
/// Authentication is off (empty <c>MicrosoftAppId</c>) and message turns finish before the POST returns unless set otherwise.
/// </summary>
public sealed class BotHost : IAsyncDisposable
{
    private WebApplication? _app;

    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["MicrosoftAppId"] = "",
        ["Bot:MessageInlineWait"] = "00:00:30",
    };

    public string Environment { get; set; } = "Testing";
    public TurnProbe Probe { get; } = new();

    /// <summary>Registrations applied after the protocol layer's own (a clock, a logger provider, another <see cref="IBot"/>).</summary>
    public List<Action<IServiceCollection>> ServiceOverrides { get; } = [];

    public IServiceProvider Services => Started().Services;

    public HttpClient CreateClient() => Started().GetTestClient();

    private WebApplication Started()
    {
        if (_app is not null) return _app;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environment });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(Settings);
        builder.Logging.ClearProviders();
        builder.Services.AddBotFramework();
        builder.Services.AddSingleton(Probe);
        builder.Services.AddSingleton<IBot, TestBot>();
        foreach (var o in ServiceOverrides) o(builder.Services);
        var app = builder.Build();
        app.MapBotMessages();
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
        return _app = app;
    }

    /// <summary>Stops the host as a graceful shutdown does (waiting for turns still running), then disposes it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
