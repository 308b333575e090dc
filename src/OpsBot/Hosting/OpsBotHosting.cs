using OpsBot.Boards;
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
using OpsBot.Settings;
using OpsBot.Setup;
using OpsBot.Metrics;

namespace OpsBot.Hosting;

public static class OpsBotHosting
{
    /// <summary>Registers every area of OpsBot. Each area has one <c>AddXxx</c> extension.</summary>
    public static WebApplicationBuilder AddOpsBot(this WebApplicationBuilder builder)
    {
        var renamed = RenamedKeys.Apply(builder.Configuration);
        builder.Services.AddHostedService(sp => new RenamedKeys.Warnings(renamed, sp.GetRequiredService<ILogger<RenamedKeys.Warnings>>()));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_HTTP_PORTS"]))
            builder.WebHost.UseUrls("http://localhost:3978");

        builder.AddStore();
        builder.AddOperations();
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(_ => new CardTemplates(builder.Configuration["Cards:Folder"] ?? CardTemplates.DefaultFolder));
        builder.Services.AddBotFramework();
        builder.Services.AddConversations();
        builder.Services.AddHttpApi(builder.Configuration);
        builder.Services.AddCustomers(builder.Configuration);
        builder.Services.AddPeople(builder.Configuration);
        builder.Services.AddEscalations(builder.Configuration);
        builder.Services.AddCommitments(builder.Configuration);
        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddAlerts(builder.Configuration);
        builder.Services.AddSetup(builder.Environment);
        builder.Services.AddBoards(builder.Configuration);
        builder.Services.AddMetrics(builder.Configuration);
        return builder;
    }

    public static WebApplication MapOpsBot(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<CardTemplates>(); // a broken template stops start-up here
        MigrateIfConfigured(app);
        app.UseExceptionHandler();
        app.UseApiProblems();
        app.UseMiddleware<StoreUnavailableMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapBotMessages();
        var api = app.MapHttpApi();
        api.MapAlertsApi();
        api.MapCommitmentsApi();
        api.MapEscalationsApi();
        api.MapCustomersApi();
        api.MapBoardsApi();
        app.MapBoards();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        return app;
    }

    private static void MigrateIfConfigured(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        if (options.MigrateOnStartup ?? app.Environment.IsDevelopment()) db.MigrateStoreAsync(CancellationToken.None).GetAwaiter().GetResult();
        else RefuseUnmigratedStore(db);
    }

    /// <summary>
    /// A store without OpsBot's tables (or with an older schema) would fail every request and background job: the start stops
    /// with what to do instead. An unreachable store is left to <c>/readyz</c> and the jobs that wait for it.
    /// </summary>
    private static void RefuseUnmigratedStore(OpsBotDbContext db)
    {
        List<string> pending;
        try
        {
            using var timeout = new CancellationTokenSource(StoreHealthCheck.Timeout);
            pending = db.Database.GetPendingMigrationsAsync(timeout.Token).GetAwaiter().GetResult().ToList();
        }
        catch (Exception ex) when (ex is OperationCanceledException || StoreErrors.IsUnavailable(ex))
        {
            return;
        }
        if (pending.Count > 0)
            throw new InvalidOperationException($"The database lacks {pending.Count} migration(s) ({string.Join(", ", pending)}) and Database:MigrateOnStartup is off. "
                + "Apply them with `OpsBot migrate` (dotnet run --project src/OpsBot -- migrate), or set Database:MigrateOnStartup=true, and start again.");
    }
}
