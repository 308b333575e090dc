using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpsBot.Testing;

/// <summary>Starts a real Kestrel server on a free 127.0.0.1 port for a fake peer; every request goes to <c>handler</c>.</summary>
public static class Loopback
{
    /// <param name="handler">Receives the started app's base address ("http://127.0.0.1:port") and returns the request handler.</param>
    public static async Task<(WebApplication App, string Address)> StartAsync(Func<HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(ctx => handler(ctx));
        await app.StartAsync();
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }
}
