using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Alerts;
using OpsBot.Api;
using OpsBot.BotFramework;
using OpsBot.Cards;
using OpsBot.Commitments;
using OpsBot.Conversations;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.People;
using OpsBot.Escalations;
using OpsBot.Messaging;

namespace OpsBot.Hosting;

public static class OpsBotHosting
{
    /// <summary>Registers every area of OpsBot. Each area has one <c>AddXxx</c> extension.</summary>
    public static WebApplicationBuilder AddOpsBot(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_HTTP_PORTS"]))
            builder.WebHost.UseUrls("http://localhost:3978");

        builder.AddStore();
        builder.AddOperations();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<StoreRefusalHandler>();
        builder.Services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor, StoreLimitGuard>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(_ => new CardTemplates(builder.Configuration["Cards:Folder"] ?? CardTemplates.DefaultFolder));
        builder.Services.AddBotFramework();
        builder.Services.AddConversations();
        builder.Services.AddApiAuthentication(builder.Configuration);
        builder.Services.AddPeople(builder.Configuration);
        builder.Services.AddCustomers(builder.Configuration);
        builder.Services.AddEscalations(builder.Configuration);
        builder.Services.AddCommitments(builder.Configuration);
        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddAlerts(builder.Configuration);
        return builder;
    }

    public static WebApplication MapOpsBot(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<CardTemplates>(); // a broken template stops start-up here
        MigrateIfConfigured(app);
        app.UseExceptionHandler();
        app.UseMiddleware<StoreUnavailableMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapBotMessages();
        app.MapEscalations();
        app.MapCommitments();
        app.MapAlertsApi();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        return app;
    }

    private static void MigrateIfConfigured(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        if (!(options.MigrateOnStartup ?? app.Environment.IsDevelopment())) return;
        using var scope = app.Services.CreateScope();
        scope.ServiceProvider.GetRequiredService<OpsBotDbContext>().Database.Migrate();
    }
}
