using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Alerts;

public sealed record KpiResult(string Kpi, KpiLevel Level, KpiLevel Previous, long? AlertId, string Outcome);

/// <summary>
/// Compares KPI readings with their levels. Hysteresis: a level is entered as soon as the value crosses it, but left only when
/// the value has recovered past the level by <see cref="KpiOptions.Margin"/>; so a value flapping around a level fires once.
/// Entering a worse level raises (or escalates) one alert; recovering to normal resolves it.
/// </summary>
public sealed class KpiMonitor(OpsBotDbContext db, AlertService alerts, IOptions<AlertOptions> options, TimeProvider clock, CustomerResolver resolver)
{
    /// <summary>The KPI's customer (<see cref="KpiOptions.Account"/>, any identifier); null for a KPI over all customers or one not found.</summary>
    private async Task<Customer?> CustomerOfAsync(KpiOptions kpi, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(kpi.Account) || kpi.Account.Equals(KpiOptions.AllCustomers, StringComparison.OrdinalIgnoreCase)) return null;
        return (await resolver.ResolveAsync(kpi.Account, Viewer.System, ct)).Customer;
    }

    public static KpiLevel Evaluate(KpiOptions kpi, KpiLevel current, decimal value)
    {
        var raw = LevelAt(kpi, value, 0);
        var recovered = LevelAt(kpi, value, kpi.Margin);
        var kept = (KpiLevel)Math.Min((int)current, (int)recovered);
        return (KpiLevel)Math.Max((int)raw, (int)kept);
    }

    /// <summary>The level of <paramref name="value"/> with every threshold moved <paramref name="margin"/> toward the good side.</summary>
    private static KpiLevel LevelAt(KpiOptions kpi, decimal value, decimal margin)
    {
        bool Bad(decimal? threshold) => threshold is { } t && (kpi.Direction == KpiDirection.Below ? value < t + margin : value > t - margin);
        return Bad(kpi.Critical) ? KpiLevel.Critical : Bad(kpi.Warning) ? KpiLevel.Warning : KpiLevel.Normal;
    }

    /// <summary>
    /// Readings of one KPI are applied one at a time (under a lock on the KPI, taken before its state is read): each starts
    /// from the level the previous one left, so concurrent readings are all stored and a crossed level raises one alert.
    /// </summary>
    public async Task<KpiResult?> RecordAsync(string name, decimal value, CancellationToken ct)
    {
        if (!options.Value.Kpis.TryGetValue(name, out var kpi)) return null;
        return await db.InLockedTransactionAsync("kpi:" + name.ToLowerInvariant(), () => RecordOnceAsync(name, kpi, value, ct), ct);
    }

    private async Task<KpiResult> RecordOnceAsync(string name, KpiOptions kpi, decimal value, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var customer = await CustomerOfAsync(kpi, ct);
        var state = await db.KpiStates.FirstOrDefaultAsync(k => k.Name == name, ct);
        if (state is null) db.KpiStates.Add(state = new KpiState { Name = name, Level = KpiLevel.Normal });
        state.CustomerId = customer?.Id;
        var previous = state.Level;
        var level = Evaluate(kpi, previous, value);
        state.Level = level;
        state.LastValue = value;
        state.LastAt = now;
        db.KpiReadings.Add(new KpiReading { Name = name, CustomerId = customer?.Id, Value = value, At = now, Level = level });
        var system = new Actor("kpi:" + name, "KPI monitor");
        var shown = $"{name} = {value.ToString("0.##", CultureInfo.InvariantCulture)}{kpi.Unit}";
        var outcome = "unchanged";

        await db.InRetriedTransactionAsync(async () =>
        {
            var open = state.AlertId is { } id ? await db.Alerts.FirstOrDefaultAsync(a => a.Id == id && a.Status != AlertStatus.Resolved, ct) : null;
            if (level > previous)
            {
                var severity = level == KpiLevel.Critical ? kpi.CriticalSeverity : kpi.WarningSeverity;
                if (open is null)
                {
                    await db.SaveChangesAsync(ct);
                    var threshold = level == KpiLevel.Critical ? kpi.Critical : kpi.Warning;
                    var alert = await alerts.RaiseAsync(new AlertInput(kpi.Account, name, kpi.Kind,
                            $"{shown} crossed the {level.ToString().ToLowerInvariant()} level ({threshold?.ToString("0.##", CultureInfo.InvariantCulture)}{kpi.Unit})", severity,
                            $"Raised automatically from KPI readings. It clears when {name} recovers past its level by {kpi.Margin.ToString("0.##", CultureInfo.InvariantCulture)}{kpi.Unit}."),
                        customer, AlertSource.Kpi, system, alerts.DefaultServiceUrl, null, kpiName: name, ct: ct);
                    state.AlertId = alert.Id;
                    outcome = "raised";
                }
                else
                {
                    open.Severity = Severities.Worst(open.Severity, Severities.FromNumber(severity));
                    await alerts.RecordAsync(open, system, "escalated", $"{shown}: now {level.ToString().ToLowerInvariant()} (severity {open.Severity.Number()})", now, ct);
                    outcome = "escalated";
                }
            }
            else if (level == KpiLevel.Normal && previous != KpiLevel.Normal && open is not null)
            {
                open.Status = AlertStatus.Resolved;
                open.ResolvedAt = now;
                open.Resolution = $"{shown}: recovered";
                await alerts.RecordAsync(open, system, "resolved", $"Resolved automatically: {shown} recovered", now, ct);
                state.AlertId = null;
                outcome = "cleared";
            }
            await db.SaveChangesAsync(ct);
        }, ct);
        return new KpiResult(name, level, previous, state.AlertId, outcome);
    }
}
