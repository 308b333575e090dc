using Microsoft.Extensions.Configuration;

namespace OpsBot.BotFramework.Auth;

public enum BotAppType { SingleTenant, MultiTenant, UserAssignedMsi }

/// <summary>
/// Bot credentials and cloud endpoints, read from the configuration ROOT under the names the Bot Framework SDK uses
/// (protocol doc §2.6), so <c>MicrosoftAppId=…</c> environment variables work unchanged. OpsBot's own switches live under <c>Bot:</c>.
/// </summary>
public sealed class BotAuthenticationOptions
{
    public const string PublicChannelService = "";
    public const string GovChannelService = "https://botframework.azure.us";

    public string AppId { get; init; } = "";
    public string? AppPassword { get; init; }
    public BotAppType AppType { get; init; } = BotAppType.SingleTenant;
    public string? TenantId { get; init; }
    public string ChannelService { get; init; } = PublicChannelService;

    public string ChannelTokenIssuer { get; init; } = "https://api.botframework.com";
    public string ChannelOpenIdMetadataUrl { get; init; } = "https://login.botframework.com/v1/.well-known/openidconfiguration";
    public string EmulatorOpenIdMetadataUrl { get; init; } = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration";
    public string ToChannelFromBotLoginUrl { get; init; } = "https://login.microsoftonline.com/{tenant}";
    public string ToChannelFromBotOAuthScope { get; init; } = "https://api.botframework.com";
    public string CallerId { get; init; } = "urn:botframework:azure";

    /// <summary><c>Bot:AllowEntraCallers</c>: caller app ids allowed on the Entra (emulator / bot-to-bot) path. Empty = path off.</summary>
    public IReadOnlyList<string> AllowEntraCallers { get; init; } = [];

    /// <summary><c>Bot:AllowUnauthenticated</c>: lets Production start with an empty <c>MicrosoftAppId</c> (authentication off). Never set it for a real tenant.</summary>
    public bool AllowUnauthenticated { get; init; }

    /// <summary>Authentication is skipped only when no app id is configured (protocol doc §2.2).</summary>
    public bool AuthenticationDisabled => string.IsNullOrWhiteSpace(AppId);

    public bool EntraPathEnabled => AllowEntraCallers.Count > 0;

    public static BotAuthenticationOptions FromConfiguration(IConfiguration config)
    {
        var channelService = (config["ChannelService"] ?? "").Trim();
        var gov = string.Equals(channelService.TrimEnd('/'), GovChannelService, StringComparison.OrdinalIgnoreCase);
        string? Key(string name) => string.IsNullOrWhiteSpace(config[name]) ? null : config[name]!.Trim();

        var issuer = Key("ToBotFromChannelTokenIssuer");
        var channelMetadata = Key("ToBotFromChannelOpenIdMetadataUrl");
        if (channelService.Length > 0 && !gov && (issuer is null || channelMetadata is null))
            throw new InvalidOperationException(
                $"ChannelService '{channelService}' is not a known cloud: set ToBotFromChannelTokenIssuer and ToBotFromChannelOpenIdMetadataUrl as well.");

        var appTypeText = Key("MicrosoftAppType");
        var appType = BotAppType.SingleTenant;
        if (appTypeText is not null && !Enum.TryParse(appTypeText, ignoreCase: true, out appType))
            throw new InvalidOperationException($"MicrosoftAppType '{appTypeText}' is not one of SingleTenant, MultiTenant, UserAssignedMSI.");

        return new BotAuthenticationOptions
        {
            AppId = Key("MicrosoftAppId") ?? "",
            AppPassword = Key("MicrosoftAppPassword"),
            AppType = appType,
            TenantId = Key("MicrosoftAppTenantId"),
            ChannelService = channelService,
            ChannelTokenIssuer = issuer ?? (gov ? "https://api.botframework.us" : "https://api.botframework.com"),
            ChannelOpenIdMetadataUrl = channelMetadata ?? (gov
                ? "https://login.botframework.azure.us/v1/.well-known/openidconfiguration"
                : "https://login.botframework.com/v1/.well-known/openidconfiguration"),
            EmulatorOpenIdMetadataUrl = Key("ToBotFromEmulatorOpenIdMetadataUrl") ?? (gov
                ? "https://login.microsoftonline.us/cab8a31a-1906-4287-a0d8-4eef66b95f6e/v2.0/.well-known/openid-configuration"
                : "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"),
            ToChannelFromBotLoginUrl = Key("ToChannelFromBotLoginUrl") ?? (gov ? "https://login.microsoftonline.us/{tenant}" : "https://login.microsoftonline.com/{tenant}"),
            ToChannelFromBotOAuthScope = Key("ToChannelFromBotOAuthScope") ?? (gov ? "https://api.botframework.us" : "https://api.botframework.com"),
            CallerId = Key("CallerId") ?? (gov ? "urn:botframework:azureusgov" : "urn:botframework:azure"),
            AllowEntraCallers = ReadList(config, "Bot:AllowEntraCallers"),
            AllowUnauthenticated = config.GetValue("Bot:AllowUnauthenticated", false),
        };
    }

    /// <summary>A list given either as a configuration array (<c>Key:0</c>, <c>Key:1</c>) or as one comma/semicolon separated value.</summary>
    public static IReadOnlyList<string> ReadList(IConfiguration config, string key)
    {
        var section = config.GetSection(key);
        var items = section.Value is { Length: > 0 } single ? single.Split([',', ';']) : section.GetChildren().Select(c => c.Value ?? "");
        return items.Select(s => s.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    /// <summary>Entra issuers accepted on the emulator/bot-to-bot path (protocol doc §2.4, §2.5); tenant issuers only for single-tenant apps.</summary>
    public IReadOnlySet<string> EntraIssuers()
    {
        var issuers = new HashSet<string>(StringComparer.Ordinal)
        {
            "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/",
            "https://login.microsoftonline.com/d6d49420-f39b-4df7-a1dc-d59a935871db/v2.0",
            "https://sts.windows.net/f8cdef31-a31e-4b4a-93e4-5f571e91255a/",
            "https://login.microsoftonline.com/f8cdef31-a31e-4b4a-93e4-5f571e91255a/v2.0",
            "https://sts.windows.net/cab8a31a-1906-4287-a0d8-4eef66b95f6e/",
            "https://login.microsoftonline.us/cab8a31a-1906-4287-a0d8-4eef66b95f6e/v2.0",
            "https://login.microsoftonline.us/f8cdef31-a31e-4b4a-93e4-5f571e91255a/",
            "https://login.microsoftonline.us/f8cdef31-a31e-4b4a-93e4-5f571e91255a/v2.0",
        };
        if (AppType != BotAppType.MultiTenant && !string.IsNullOrWhiteSpace(TenantId))
        {
            issuers.Add($"https://sts.windows.net/{TenantId}/");
            issuers.Add($"https://login.microsoftonline.com/{TenantId}/v2.0");
            issuers.Add($"https://login.microsoftonline.us/{TenantId}/");
            issuers.Add($"https://login.microsoftonline.us/{TenantId}/v2.0");
        }
        return issuers;
    }
}
