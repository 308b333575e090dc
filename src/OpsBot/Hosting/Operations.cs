using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OpsBot.Conversations;
using OpsBot.Settings;

namespace OpsBot.Hosting;

public sealed class OperationsOptions
{
    public const string Section = "Operations";

    /// <summary>How long shutdown waits for in-flight requests and background work to finish.</summary>
    [Positive]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

public static class OperationsExtensions
{
    /// <summary>
    /// OpenTelemetry traces and metrics (ASP.NET Core, HttpClient, EF Core and Npgsql meters, OpsBot's own source/meter), exported only
    /// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is configured; graceful shutdown with <see cref="OperationsOptions.ShutdownTimeout"/>.
    /// </summary>
    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<OperationsOptions>(builder.Configuration, OperationsOptions.Section);
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<OperationsOptions>>((host, o) => host.ShutdownTimeout = o.Value.ShutdownTimeout);

        var export = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(BotTelemetry.Name))
            .WithTracing(t => t
                // Without an exporter spans are created for context propagation only, never recorded.
                .SetSampler(export ? new ParentBasedSampler(new AlwaysOnSampler()) : new AlwaysOffSampler())
                .AddSource(BotTelemetry.Name, "Npgsql")
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/healthz") && !http.Request.Path.StartsWithSegments("/readyz"))
                .AddHttpClientInstrumentation())
            .WithMetrics(m => m
                .AddMeter(BotTelemetry.Name, "Microsoft.EntityFrameworkCore", "Npgsql", "System.Runtime")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());
        if (export) otel.UseOtlpExporter();
        return builder;
    }
}
