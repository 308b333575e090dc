using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OpsBot.Conversations;
using OpsBot.Settings;

namespace OpsBot.Boards;

public static class BoardsExtensions
{
    /// <summary>Live boards: the change feed, the chat commands, and Teams tab sign-in when <c>Boards:Tab</c> is configured.</summary>
    public static IServiceCollection AddBoards(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<BoardOptions>(configuration, "Boards");
        services.AddSingleton<BoardFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<BoardFeed>());
        services.AddSingleton<IInterceptor, BoardChangeSignal>();
        services.AddScoped<BoardQuery>();
        services.AddScoped<BoardHandlers>();
        services.AddBotRoutes(r => r
            .Command<BoardHandlers>("board", "Live boards for TV monitors and the Teams tab: board list (admins: add, remove, token)", (h, t, a, ct) => h.RunAsync(t, a, ct), usage: BoardHandlers.Usage));

        var tab = configuration.GetSection("Boards:Tab").Get<BoardTabOptions>() ?? new BoardTabOptions();
        var authentication = services.AddAuthentication();
        if (tab.Enabled)
        {
            authentication.AddJwtBearer(BoardAccess.TabScheme, o =>
            {
                o.MetadataAddress = tab.MetadataAddress ?? $"https://login.microsoftonline.com/{tab.TenantId}/v2.0/.well-known/openid-configuration";
                o.RequireHttpsMetadata = tab.RequireHttpsMetadata;
                o.MapInboundClaims = false;
                o.TokenValidationParameters.ValidAudiences = [tab.Audience!];
                o.TokenValidationParameters.ValidIssuers = [$"https://login.microsoftonline.com/{tab.TenantId}/v2.0", $"https://sts.windows.net/{tab.TenantId}/"];
                o.TokenValidationParameters.ValidAlgorithms = ["RS256"];
                o.TokenValidationParameters.RequireExpirationTime = true;
                o.TokenValidationParameters.ClockSkew = TimeSpan.FromMinutes(5);
            });
        }
        else
        {
            authentication.AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TabSignInOff>(BoardAccess.TabScheme, null);
        }
        return services;
    }

    /// <summary>With <c>Boards:Tab</c> unset every Teams SSO token is refused, with that reason.</summary>
    private sealed class TabSignInOff(Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions> options,
        ILoggerFactory logger, System.Text.Encodings.Web.UrlEncoder encoder)
        : Microsoft.AspNetCore.Authentication.AuthenticationHandler<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<Microsoft.AspNetCore.Authentication.AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(Microsoft.AspNetCore.Authentication.AuthenticateResult.Fail("Teams sign-in for boards is not configured on this server (Boards:Tab:TenantId and Boards:Tab:Audience)."));
    }
}
