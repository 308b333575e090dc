using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpsBot.BotFramework.Auth;

/// <summary>
/// Start-up rules for inbound authentication (protocol doc §2.2): an empty <c>MicrosoftAppId</c> turns authentication off,
/// which is announced loudly, and refused in Production unless <c>Bot:AllowUnauthenticated=true</c> is set explicitly.
/// </summary>
internal sealed partial class BotAuthenticationStartup(BotAuthenticationOptions options, IHostEnvironment environment, ILogger<BotAuthenticationStartup> log)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.AuthenticationDisabled)
        {
            LogEnabled(options.AppId, options.AppType, options.ChannelOpenIdMetadataUrl, options.EntraPathEnabled);
            if (options.AppType != BotAppType.MultiTenant && string.IsNullOrWhiteSpace(options.TenantId)) LogTenantMissing(options.AppType);
            return Task.CompletedTask;
        }
        if (environment.IsProduction() && !options.AllowUnauthenticated)
            throw new InvalidOperationException(
                "MicrosoftAppId is empty, which turns inbound authentication off; OpsBot refuses that in Production. " +
                "Configure MicrosoftAppId/MicrosoftAppPassword/MicrosoftAppTenantId, or set Bot:AllowUnauthenticated=true deliberately.");
        LogDisabled(environment.EnvironmentName);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "!!! AUTHENTICATION IS OFF: MicrosoftAppId is empty, so /api/messages accepts activities WITHOUT a token from anyone ({Environment}). Set MicrosoftAppId for any real deployment. !!!")]
    private partial void LogDisabled(string environment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MicrosoftAppType is {AppType} but MicrosoftAppTenantId is empty: set the tenant of the bot's app registration")]
    private partial void LogTenantMissing(BotAppType appType);

    [LoggerMessage(Level = LogLevel.Information, Message =
        "Inbound authentication on for app {AppId} ({AppType}); channel metadata {MetadataUrl}; Entra callers enabled: {EntraEnabled}")]
    private partial void LogEnabled(string appId, BotAppType appType, string metadataUrl, bool entraEnabled);
}
