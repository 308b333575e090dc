using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Messaging;
using OpsBot.People;

namespace OpsBot.Alerts;

/// <summary>
/// Seeds routing rules from configuration, reminds owners of overdue plan steps, tells owners of copies that could not be
/// delivered and posts the daily digest. Timers are data:
/// due dates and <see cref="AlertPlanStep.RemindedAt"/> in the store, digest rows keyed by day, so restarts and several
/// instances neither skip nor repeat (the outbox dedupe key makes each reminder and digest unique).
/// </summary>
public sealed partial class AlertTimers(IServiceScopeFactory scopes, IOptions<AlertOptions> options, IOptions<PeopleOptions> people, TimeProvider clock, ILogger<AlertTimers> log) : BackgroundService
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
            using var timer = new PeriodicTimer(_options.TimerInterval, clock);
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
        // Instances starting together seed one after the other; the later ones find the rules already there.
        await db.InLockedTransactionAsync("alert-routes:seed", async () =>
        {
            if (await db.AlertRoutes.AnyAsync(ct)) return false;
            foreach (var r in _options.Routes)
            {
                int? customerId = null;
                if (!string.IsNullOrWhiteSpace(r.Account))
                {
                    var key = r.Account.Trim();
                    var (upper, lower) = (key.ToUpperInvariant(), key.ToLowerInvariant());
                    customerId = await db.Customers.Where(c => c.Number == upper || c.Name.ToLower() == lower).OrderBy(c => c.Number == upper ? 0 : 1)
                        .Select(c => (int?)c.Id).FirstOrDefaultAsync(ct);
                    if (customerId is null)
                    {
                        // Without its customer the rule would match every alert: it is left out until the customer exists.
                        LogRouteCustomerUnknown(r.Name, key);
                        continue;
                    }
                }
                db.AlertRoutes.Add(new AlertRoute
                {
                    Name = r.Name, CustomerId = customerId, Segment = r.Segment, Kind = r.Kind?.ToLowerInvariant(), MaxSeverity = Severities.FromNumber(r.MaxSeverity), People = [.. r.People],
                    Channels = r.Channels.Select(c => new AlertRouteChannel { TeamId = c.TeamId, ChannelId = c.ChannelId, ServiceUrl = c.ServiceUrl, TenantId = c.TenantId }).ToList(),
                });
            }
            await db.SaveChangesAsync(ct);
            return true;
        }, ct);
    }

    public async Task RunOnceAsync(CancellationToken ct)
    {
        await RemindAsync(ct);
        await NotifyFailuresAsync(ct);
        await DigestAsync(ct);
    }

    /// <summary>Each overdue open step of an open alert reminds its owner once per <see cref="AlertOptions.RemindAfter"/>.</summary>
    public async Task<int> RemindAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;
        var again = now - _options.RemindAfter;
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

    /// <summary>
    /// Copies of an alert that failed for good (never posted: the time budget ran out, or the connector refused for good) are told
    /// once, per alert, in a 1:1 message naming each recipient and the reason: to the alert's owner, or with no owner yet to the
    /// person who raised it in chat, else to the alert admins. <see cref="OutboxMessage.FailureNotifiedAt"/> is set in the same
    /// transaction; the rows' version check and the message's dedupe key let only one instance do it.
    /// </summary>
    public async Task<int> NotifyFailuresAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var failed = await db.OutboxMessages
            .Where(m => m.CorrelationType == AlertService.Correlation && m.Status == OutboxStatus.Failed && m.ResultActivityId == null
                        && m.FailureNotifiedAt == null && m.Kind != OutboxKind.Update)
            .OrderBy(m => m.Id).Take(500).ToListAsync(ct);
        if (failed.Count == 0) return 0;
        var ids = failed.Select(m => long.TryParse(m.CorrelationId, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : 0).Distinct().ToList();
        var alerts = await db.Alerts.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id.ToString(CultureInfo.InvariantCulture), ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var told = 0;
        foreach (var group in failed.GroupBy(m => m.CorrelationId!, StringComparer.Ordinal))
        {
            foreach (var m in group) m.FailureNotifiedAt = now;
            if (!alerts.TryGetValue(group.Key, out var alert)) continue;
            IReadOnlyList<string> recipients = alert.OwnerId is { } owner ? [owner] : alert.Source == AlertSource.Chat ? [alert.RaisedById] : people.Value.Admins;
            var lines = group.Take(10).Select(m => $"{AlertDeliveries.Recipient(m).ToLowerInvariant()} ({AlertService.Trim(m.Error ?? "unknown reason", 200)})").ToList();
            var more = group.Count() > lines.Count ? $" and {group.Count() - lines.Count} more" : "";
            var text = $"Alert #{alert.Id} ({alert.Account}, severity {alert.Severity.Number()}) could not be delivered to {string.Join("; ", lines)}{more}. "
                       + $"Nobody there has seen it: reach them another way. Type \"alert status {alert.Id}\" for the delivery status.";
            foreach (var person in recipients)
            {
                db.EnqueueSend(new DeliveryTarget.Person(alert.ServiceUrl, alert.TenantId ?? "", person), Activity.CreateMessage(text),
                    $"alert:{alert.Id}:failed:{group.Min(m => m.Id)}:{person}", now, AlertService.Correlation + "-failure", group.Key);
                told++;
            }
        }
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return 0; } // another instance told them first
        return told;
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
        if (keys.Count == 0 || await db.OutboxMessages.CountAsync(m => keys.Contains(m.DedupeKey), ct) == keys.Count) return 0;
        // Instances run this at the same moment (at start and on every tick): the one that queues the day's digest goes first.
        return await db.InLockedTransactionAsync("alert-digest:" + day, async () =>
        {
            var done = (await db.OutboxMessages.Where(m => keys.Contains(m.DedupeKey)).Select(m => m.DedupeKey).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
            if (done.Count == keys.Count) return 0;
            var open = await db.Alerts.AsNoTracking().Where(a => a.Status != AlertStatus.Resolved).ToListAsync(ct);
            var restrictedIds = open.Where(a => a.CustomerId is not null).Select(a => a.CustomerId!.Value).Distinct().ToList();
            var restricted = await db.Customers.AsNoTracking().Include(c => c.Members).Where(c => c.Restricted && restrictedIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
            var count = 0;
            foreach (var c in channels)
            {
                var key = $"alert-digest:{day}:{c.ChannelId}";
                if (done.Contains(key)) continue;
                var visible = open.Where(a => a.CustomerId is not { } id || !restricted.TryGetValue(id, out var customer) || CustomerAccess.ChannelMaySee(customer, c.ChannelId)).ToList();
                var card = cards.Render("alert-list", AlertHandlers.OverviewModel(visible, $"Daily alert digest · {day}", now));
                db.EnqueueSend(new DeliveryTarget.ChannelThread(c.ServiceUrl ?? alerts.DefaultServiceUrl, c.TenantId ?? _options.TenantId ?? "", c.ChannelId),
                    new Activity { Type = ActivityTypes.Message, Summary = $"Alert digest {day}", Attachments = [Attachment.AdaptiveCard(card)] }, key, now, "alert-digest", day);
                count++;
            }
            await db.SaveChangesAsync(ct);
            return count;
        }, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert timers paused: the database is unavailable ({Error}: {Message}); trying again at the next tick")]
    private partial void LogStoreUnavailable(string error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert route {Route} names customer '{Customer}', which does not exist; the route is not seeded. Add the customer, then the route (`alert route add`).")]
    private partial void LogRouteCustomerUnknown(string route, string customer);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert timers failed")]
    private partial void LogTimerFailed(Exception ex);
}
