using Microsoft.Extensions.Options;
using OpsBot.Conversations;

namespace OpsBot.Metrics;

public static class DigestExtensions
{
    /// <summary>Scheduled digests: the scheduler, their content and <c>digest list | preview</c>.</summary>
    public static IServiceCollection AddDigests(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<MetricsOptions>, DigestOptionsValidation>();
        services.AddScoped<DigestContentBuilder>();
        services.AddScoped<DigestHandlers>();
        services.AddSingleton<DigestScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<DigestScheduler>());
        services.AddBotRoutes(r => r
            .Command<DigestHandlers>("digest", "Scheduled digests: digest list, digest preview <name>", (h, t, a, ct) => h.RunAsync(t, a, ct), usage: DigestHandlers.Usage));
        return services;
    }
}

/// <summary>Stops the start on a digest that could never be sent: unknown time zone, time outside the day, no audience, a name that cannot be typed.</summary>
public sealed class DigestOptionsValidation : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions o)
    {
        var failures = new List<string>();
        if (o.DigestCheckInterval <= TimeSpan.Zero) failures.Add("Metrics:DigestCheckInterval must be greater than zero.");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(o.TimeZone, out _)) failures.Add($"Metrics:TimeZone '{o.TimeZone}' is not a known IANA or Windows time zone id.");
        foreach (var (digest, d) in o.Digests)
        {
            var key = $"Metrics:Digests:{digest}";
            if (digest.Length > 64 || digest.Any(char.IsWhiteSpace)) failures.Add($"{key}: a digest name is one word of at most 64 characters.");
            if (d.TimeZone is { Length: > 0 } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
                failures.Add($"{key}:TimeZone '{zone}' is not a known IANA or Windows time zone id.");
            if (d.At < TimeSpan.Zero || d.At >= TimeSpan.FromDays(1)) failures.Add($"{key}:At must be a time of day (00:00 to 23:59).");
            if (!d.Audience.Any(a => !string.IsNullOrWhiteSpace(a))) failures.Add($"{key}:Audience names nobody (people ids, or leadership, managers, executives).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
