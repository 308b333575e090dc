using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Alerts;

/// <summary>
/// Seeds routing rules from configuration, reminds owners of overdue plan steps and posts the daily digest. Timers are data:
/// due dates and <see cref="AlertPlanStep.RemindedAt"/> in the store, digest rows keyed by day, so restarts and several
/// instances neither skip nor repeat (the outbox dedupe key makes each reminder and digest unique).
/// </summary>
public sealed partial class AlertTimers(IServiceScopeFactory scopes, IOptions<AlertOptions> options, TimeProvider clock, ILogger<AlertTimers> log) : BackgroundService
{
    private readonly AlertOptions _options = options.Value;

    /// <summary>Hosted services start before the server listens: the routes exist before the first alert can arrive.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await SeedRoutesAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, _options.TimerSeconds)), clock);
            do
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (StoreErrors.IsUnavailable(ex))
                {
                    LogStoreUnavailable(ex.GetType().Name, ex.Message);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogTimerFailed(ex);
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    public async Task SeedRoutesAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        if (_options.Routes.Count == 0 || await db.AlertRoutes.AnyAsync(ct)) return;
        foreach (var r in _options.Routes)
            db.AlertRoutes.Add(new AlertRoute
            {
                Name = r.Name, Account = r.Account, Segment = r.Segment, Kind = r.Kind?.ToLowerInvariant(), MaxSeverity = r.MaxSeverity, People = [.. r.People],
                Channels = r.Channels.Select(c => new AlertRouteChannel { TeamId = c.TeamId, ChannelId = c.ChannelId, ServiceUrl = c.ServiceUrl, TenantId = c.TenantId }).ToList(),
            });
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { } // another instance seeded them first
    }

    public async Task RunOnceAsync(CancellationToken ct)
    {
        await RemindAsync(ct);
        await DigestAsync(ct);
    }

    /// <summary>Each overdue open step of an open alert reminds its owner once per <see cref="AlertOptions.RemindEveryHours"/>.</summary>
    public async Task<int> RemindAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;
        var again = now.AddHours(-_options.RemindEveryHours);
        var due = await db.AlertPlanSteps.Where(s => s.DoneAt == null && s.DueAt < now && (s.RemindedAt == null || s.RemindedAt < again))
            .Join(db.Alerts.Where(a => a.Status != AlertStatus.Resolved), s => s.AlertId, a => a.Id, (s, a) => new { Step = s, Alert = a })
            .OrderBy(x => x.Step.DueAt).Take(200).ToListAsync(ct);
        foreach (var d in due)
        {
            d.Step.Reminders++;
            d.Step.RemindedAt = now;
            var text = $"Reminder: your step \"{d.Step.Title}\" for alert #{d.Alert.Id} ({d.Alert.Account}) was due {d.Step.DueAt:yyyy-MM-dd HH:mm} UTC. Type \"alert plan {d.Alert.Id}\" to close it.";
            db.EnqueueSend(new DeliveryTarget.Person(d.Alert.ServiceUrl, d.Alert.TenantId ?? "", d.Step.OwnerId), Activity.CreateMessage(text),
                $"alert-step:{d.Step.Id}:reminder:{d.Step.Reminders}", now, AlertService.Correlation + "-reminder", d.Alert.Id.ToString(CultureInfo.InvariantCulture));
        }
        await db.SaveChangesAsync(ct);
        return due.Count;
    }

    /// <summary>Once a day after <see cref="AlertOptions.DigestHourUtc"/>: the open alerts card to every routed channel (one per channel per day).</summary>
    public async Task<int> DigestAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (now.Hour < _options.DigestHourUtc) return 0;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var cards = scope.ServiceProvider.GetRequiredService<CardTemplates>();
        var alerts = scope.ServiceProvider.GetRequiredService<AlertService>();
        var day = now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var channels = (await db.AlertRoutes.AsNoTracking().SelectMany(r => r.Channels).ToListAsync(ct))
            .GroupBy(c => c.ChannelId, StringComparer.Ordinal).Select(g => g.First()).ToList();
        var keys = channels.Select(c => $"alert-digest:{day}:{c.ChannelId}").ToList();
        var done = (await db.OutboxMessages.Where(m => keys.Contains(m.DedupeKey)).Select(m => m.DedupeKey).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var open = await db.Alerts.AsNoTracking().Where(a => a.Status != AlertStatus.Resolved).ToListAsync(ct);
        var count = 0;
        foreach (var c in channels)
        {
            var key = $"alert-digest:{day}:{c.ChannelId}";
            if (done.Contains(key)) continue;
            var visible = open.Where(a => !a.Restricted || (_options.Accounts.TryGetValue(a.Account, out var acc) && acc.AllowedChannels.Contains(c.ChannelId))).ToList();
            var card = cards.Render("alert-list", AlertHandlers.OverviewModel(visible, $"Daily alert digest · {day}", now));
            db.EnqueueSend(new DeliveryTarget.ChannelThread(c.ServiceUrl ?? alerts.DefaultServiceUrl, c.TenantId ?? _options.TenantId ?? "", c.ChannelId),
                new Activity { Type = ActivityTypes.Message, Summary = $"Alert digest {day}", Attachments = [Attachment.AdaptiveCard(card)] }, key, now, "alert-digest", day);
            count++;
        }
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return 0; } // another instance queued today's digest first
        return count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert timers paused: the database is unavailable ({Error}: {Message}); trying again at the next tick")]
    private partial void LogStoreUnavailable(string error, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert timers failed")]
    private partial void LogTimerFailed(Exception ex);
}
