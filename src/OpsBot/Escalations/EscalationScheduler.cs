using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Data;
using OpsBot.People;
using OpsBot.Messaging;

namespace OpsBot.Escalations;

/// <summary>
/// Fires due SLA timers (rows in <c>EscalationTimers</c>): reminders to the executive before each deadline, then
/// re-escalation to a backup executive and a post to the escalations channel. Each timer fires once: it is claimed by
/// setting <c>FiredAt</c> under its version token, in the same transaction as the messages it produces.
/// </summary>
public sealed partial class EscalationSla(OpsBotDbContext db, EscalationService service, BusinessCalendar calendar, TimeProvider time,
    IOptions<EscalationOptions> options, ILogger<EscalationSla> log)
{
    private const string System = "OpsBot";

    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var due = await db.EscalationTimers.AsNoTracking().Where(t => t.FiredAt == null && t.DueAt <= now)
            .OrderBy(t => t.DueAt).ThenBy(t => t.Id).Select(t => t.Id).Take(100).ToListAsync(ct);
        var fired = 0;
        foreach (var id in due)
        {
            db.ChangeTracker.Clear();
            try
            {
                if (await FireAsync(id, now, ct)) fired++;
            }
            catch (DbUpdateException ex)
            {
                LogAlreadyFired(id, ex.GetType().Name);
            }
        }
        db.ChangeTracker.Clear();
        return fired;
    }

    private Task<bool> FireAsync(long timerId, DateTime now, CancellationToken ct) => db.InRetriedTransactionAsync(async () =>
    {
        var timer = await db.EscalationTimers.FirstOrDefaultAsync(t => t.Id == timerId && t.FiredAt == null, ct);
        if (timer is null || timer.DueAt > now) return false;
        timer.FiredAt = now;
        var c = await db.Escalations.FirstAsync(x => x.Id == timer.EscalationId, ct);
        var stillOpen = timer.Kind switch
        {
            SlaTimerKind.AcknowledgeReminder or SlaTimerKind.AcknowledgeDeadline => c.Status is EscalationStatus.Assigned or EscalationStatus.Unassigned,
            SlaTimerKind.ContactReminder or SlaTimerKind.ContactDeadline => c.IsOpen && c.FirstContactAt is null,
            _ => c.IsOpen,
        };
        if (!stillOpen)
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        var key = $"esc:{c.Id}:timer:{timer.Kind}:{timer.DueAt.Ticks.ToString(CultureInfo.InvariantCulture)}";
        var (step, deadline) = timer.Kind switch
        {
            SlaTimerKind.AcknowledgeReminder or SlaTimerKind.AcknowledgeDeadline => ("acknowledge", c.AcknowledgeDueAt),
            SlaTimerKind.ContactReminder or SlaTimerKind.ContactDeadline => ("first contact", c.ContactDueAt),
            _ => ("resolve", c.ResolveDueAt),
        };
        var assignee = c.AssigneeId is null ? null : await db.Executives.AsNoTracking().FirstOrDefaultAsync(e => e.Id == c.AssigneeId, ct);
        if (timer.Kind is SlaTimerKind.AcknowledgeReminder or SlaTimerKind.ContactReminder or SlaTimerKind.ResolveReminder)
        {
            if (assignee is not null)
            {
                service.Notify(c, assignee.UserId, $"Reminder: {c.Number} ({c.Account}) — {step} is due by {calendar.Format(deadline)}.", key);
                service.AddEvent(c, System, System, EscalationEventKind.Reminder, $"reminded {assignee.DisplayName}: {step} due {calendar.Format(deadline)}");
            }
            await db.SaveChangesAsync(ct);
            return true;
        }

        var backup = await BackupForAsync(assignee, c, ct);
        var missed = $"{step} deadline {calendar.Format(deadline)} missed";
        c.LastAction = backup is null ? $"{missed}; escalated to leadership" : $"{missed}; re-escalated to {backup.DisplayName}";
        c.LastActionAt = now;
        if (backup is not null) c.BackupExecutiveId = backup.Id;
        service.AddEvent(c, System, System, EscalationEventKind.ReEscalated, backup is null
            ? $"{missed} by {assignee?.DisplayName ?? "nobody"}; no backup executive, posted to the escalations channel"
            : $"{missed} by {assignee?.DisplayName ?? "nobody"} → re-escalated to {backup.DisplayName}");
        await db.SaveChangesAsync(ct);

        service.RefreshCards(c);
        if (backup is not null) await service.SendCardAsync(c, backup.UserId, $"{key}:backup:{backup.Id}", ct);
        else if (assignee?.ManagerAadObjectId is { } manager)
            service.Notify(c, manager, $"{c.Number} ({c.Account}): {assignee.DisplayName} missed the {step} deadline. Please follow up.", $"{key}:manager");
        if (!string.IsNullOrEmpty(options.Value.ChannelId)) await service.PostToChannelAsync(c, $"{key}:channel", ct);
        service.Notify(c, c.RepUserId, $"{c.Number} ({c.Account}): {c.LastAction}.", $"{key}:rep");
        await db.SaveChangesAsync(ct);
        LogReEscalated(c.Id, timer.Kind.ToString(), backup?.Id);
        return true;
    }, ct);

    private async Task<Executive?> BackupForAsync(Executive? assignee, Escalation c, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var candidates = new[] { c.BackupExecutiveId, assignee?.BackupExecutiveId, options.Value.BackupExecutiveId }.Where(x => !string.IsNullOrEmpty(x)).ToList();
        var customer = await EscalationAssigner.CustomerOfAsync(db, c, ct);
        var execs = (await db.Executives.AsNoTracking().Include(e => e.TimeOff).Where(e => e.Active).ToListAsync(ct)).Where(e => EscalationAssigner.MaySee(customer, e)).ToList();
        foreach (var id in candidates)
            if (execs.FirstOrDefault(e => e.Id == id && e.Id != c.AssigneeId && !e.IsAway(today)) is { } b) return b;
        return assignee?.ManagerAadObjectId is { } m ? execs.FirstOrDefault(e => e.AadObjectId == m && e.Id != c.AssigneeId && !e.IsAway(today)) : null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "SLA timer {TimerId} was fired by another instance ({Exception})")]
    private partial void LogAlreadyFired(long timerId, string exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Escalation {EscalationId}: {Timer} missed, re-escalated to {BackupId}")]
    private partial void LogReEscalated(long escalationId, string timer, string? backupId);
}

/// <summary>Runs <see cref="EscalationSla.RunDueAsync"/> every <c>Escalations:SchedulerInterval</c> of the injected clock.</summary>
public sealed partial class EscalationScheduler(IServiceScopeFactory scopes, TimeProvider time, IOptions<EscalationOptions> options, ILogger<EscalationScheduler> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.SchedulerEnabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<EscalationSla>().RunDueAsync(stoppingToken);
            }
            catch (Exception ex) when (StoreErrors.IsUnavailable(ex))
            {
                LogStoreUnavailable(ex.GetType().Name, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(ex);
            }
            await Task.Delay(options.Value.SchedulerInterval, time, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SLA scheduler paused: the database is unavailable ({Error}: {Message}); it runs again at the next interval")]
    private partial void LogStoreUnavailable(string error, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "SLA scheduler pass failed; it runs again at the next interval")]
    private partial void LogFailed(Exception ex);
}
