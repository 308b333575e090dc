using Microsoft.Extensions.Configuration;

namespace OpsBot.BotFramework.Auth;

public enum BotAppType
{
    MultiTenant,
    SingleTenant,
    UserAssignedMsi,
}

/// <summary>
/// The bot's own identity for outbound calls, read from the configuration root with the SDK's key names
/// (protocol doc §2.5, §2.6, §3.1) so environment variables such as <c>MicrosoftAppId</c> work unchanged.
/// </summary>
public sealed record BotCredentials(
    string AppId, string? Password, BotAppType AppType, string? TenantId, string? LoginUrl, string? OAuthScope, bool ValidateAuthority = true)
{
    public const string PublicLoginHost = "https://login.microsoftonline.com/";
    public const string MultiTenantAuthorityTenant = "botframework.com";
    public const string DefaultOAuthScope = "https://api.botframework.com";

    public static readonly BotCredentials Anonymous = new(string.Empty, null, BotAppType.MultiTenant, null, null, null);

    /// <summary>False when <c>MicrosoftAppId</c> is empty: outbound calls then carry no Authorization header.</summary>
    public bool IsConfigured => !string.IsNullOrEmpty(AppId);

    /// <summary>The Teams bot id (<c>28:{appId}</c>) used as <c>bot</c> in create-conversation bodies.</summary>
    public string? BotId => IsConfigured ? "28:" + AppId : null;

    /// <summary><c>ToChannelFromBotLoginUrl</c>, else the tenant's authority (SingleTenant) or <c>botframework.com</c> (MultiTenant).</summary>
    public string Authority => !string.IsNullOrWhiteSpace(LoginUrl)
        ? LoginUrl.TrimEnd('/')
        : PublicLoginHost + (AppType == BotAppType.MultiTenant ? MultiTenantAuthorityTenant : TenantId);

    /// <summary><c>ToChannelFromBotOAuthScope</c> or the Bot Framework audience, with <c>/.default</c> appended when missing.</summary>
    public string Scope
    {
        get
        {
            var scope = string.IsNullOrWhiteSpace(OAuthScope) ? DefaultOAuthScope : OAuthScope.Trim();
            return scope.EndsWith("/.default", StringComparison.OrdinalIgnoreCase) ? scope : scope.TrimEnd('/') + "/.default";
        }
    }

    public static BotCredentials FromConfiguration(IConfiguration config)
    {
        var appId = config["MicrosoftAppId"]?.Trim() ?? string.Empty;
        var credentials = new BotCredentials(
            appId,
            config["MicrosoftAppPassword"],
            ParseAppType(config["MicrosoftAppType"]),
            NullIfEmpty(config["MicrosoftAppTenantId"]),
            NullIfEmpty(config["ToChannelFromBotLoginUrl"]),
            NullIfEmpty(config["ToChannelFromBotOAuthScope"]),
            !bool.TryParse(config["ValidateAuthority"], out var validate) || validate);
        credentials.Validate();
        return credentials;
    }

    /// <summary>Unset or unknown values mean MultiTenant, as in the SDK; OpsBot's appsettings.json sets SingleTenant.</summary>
    public static BotAppType ParseAppType(string? value) =>
        Enum.TryParse<BotAppType>(value?.Trim(), ignoreCase: true, out var type) && Enum.IsDefined(type) ? type : BotAppType.MultiTenant;

    private void Validate()
    {
        if (!IsConfigured) return;
        if (AppType == BotAppType.UserAssignedMsi)
            throw new InvalidOperationException("MicrosoftAppType 'UserAssignedMSI' is not supported by OpsBot's connector client; use SingleTenant with MicrosoftAppPassword.");
        if (string.IsNullOrEmpty(Password))
            throw new InvalidOperationException("MicrosoftAppId is set but MicrosoftAppPassword is empty: outbound calls cannot get a token.");
        if (AppType == BotAppType.SingleTenant && string.IsNullOrEmpty(TenantId) && string.IsNullOrWhiteSpace(LoginUrl))
            throw new InvalidOperationException("MicrosoftAppType is SingleTenant but MicrosoftAppTenantId is empty.");
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public override string ToString() => $"BotCredentials {{ AppId = {AppId}, AppType = {AppType}, Authority = {Authority} }}";
}
