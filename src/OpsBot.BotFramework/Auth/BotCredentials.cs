using Microsoft.Extensions.Configuration;

namespace OpsBot.BotFramework.Auth;

/// <summary>
/// The bot's own identity for outbound calls (protocol doc §2.5, §3.1), taken from the same configuration-root keys as
/// inbound authentication (<see cref="BotAuthenticationOptions"/>): <c>MicrosoftAppId</c>, <c>MicrosoftAppPassword</c>,
/// <c>MicrosoftAppType</c>, <c>MicrosoftAppTenantId</c>, <c>ToChannelFromBotLoginUrl</c>, <c>ToChannelFromBotOAuthScope</c>.
/// </summary>
public sealed record BotCredentials(
    string AppId, string? Password, BotAppType AppType, string? TenantId, string? LoginUrl, string? OAuthScope, bool ValidateAuthority = true)
{
    public const string DefaultLoginUrl = "https://login.microsoftonline.com/{tenant}";
    public const string MultiTenantAuthorityTenant = "botframework.com";
    public const string DefaultOAuthScope = "https://api.botframework.com";

    public static readonly BotCredentials Anonymous = new(string.Empty, null, BotAppType.SingleTenant, null, null, null);

    /// <summary>False when <c>MicrosoftAppId</c> is empty: outbound calls then carry no Authorization header.</summary>
    public bool IsConfigured => !string.IsNullOrEmpty(AppId);

    /// <summary>The Teams bot id (<c>28:{appId}</c>) used as <c>bot</c> in create-conversation bodies.</summary>
    public string? BotId => IsConfigured ? "28:" + AppId : null;

    /// <summary>
    /// <c>ToChannelFromBotLoginUrl</c> (default <c>https://login.microsoftonline.com/{tenant}</c>) with <c>{tenant}</c> =
    /// <c>MicrosoftAppTenantId</c> for SingleTenant, <c>botframework.com</c> for MultiTenant.
    /// </summary>
    public string Authority => (string.IsNullOrWhiteSpace(LoginUrl) ? DefaultLoginUrl : LoginUrl)
        .Replace("{tenant}", AppType == BotAppType.MultiTenant ? MultiTenantAuthorityTenant : TenantId, StringComparison.OrdinalIgnoreCase)
        .TrimEnd('/');

    /// <summary><c>ToChannelFromBotOAuthScope</c> or the Bot Framework audience, with <c>/.default</c> appended when missing.</summary>
    public string Scope
    {
        get
        {
            var scope = string.IsNullOrWhiteSpace(OAuthScope) ? DefaultOAuthScope : OAuthScope.Trim();
            return scope.EndsWith("/.default", StringComparison.OrdinalIgnoreCase) ? scope : scope.TrimEnd('/') + "/.default";
        }
    }

    public static BotCredentials FromConfiguration(IConfiguration config) =>
        From(BotAuthenticationOptions.FromConfiguration(config), !bool.TryParse(config["ValidateAuthority"], out var validate) || validate);

    public static BotCredentials From(BotAuthenticationOptions options, bool validateAuthority = true)
    {
        var credentials = new BotCredentials(options.AppId, options.AppPassword, options.AppType, options.TenantId,
            options.ToChannelFromBotLoginUrl, options.ToChannelFromBotOAuthScope, validateAuthority);
        credentials.Validate();
        return credentials;
    }

    private void Validate()
    {
        if (!IsConfigured) return;
        if (AppType == BotAppType.UserAssignedMsi)
            throw new InvalidOperationException("MicrosoftAppType 'UserAssignedMSI' is not supported by OpsBot's connector client; use SingleTenant with MicrosoftAppPassword.");
        if (string.IsNullOrEmpty(Password))
            throw new InvalidOperationException("MicrosoftAppId is set but MicrosoftAppPassword is empty: outbound calls cannot get a token.");
        if (AppType == BotAppType.SingleTenant && string.IsNullOrEmpty(TenantId)
            && (string.IsNullOrWhiteSpace(LoginUrl) ? DefaultLoginUrl : LoginUrl).Contains("{tenant}", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException("MicrosoftAppType is SingleTenant but MicrosoftAppTenantId is empty.");
    }

    public override string ToString() => $"BotCredentials {{ AppId = {AppId}, AppType = {AppType}, Authority = {Authority} }}";
}
