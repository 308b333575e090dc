using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Audit;
using OpsBot.Cards;
using OpsBot.Data;
using OpsBot.Events;

namespace OpsBot.Commitments;

/// <summary>
/// Accountability timers, kept as data: every scan compares the stored due dates with the clock, so nothing is lost on a
/// restart. An open form past its due date gets one reminder to its owners; past <see cref="CommitmentOptions.AlertAfterOverdue"/>
/// more, one interruption alert is requested for the account (see <see cref="OverdueFormAlert"/>).
/// </summary>
public sealed partial class OverdueScheduler(IServiceScopeFactory scopes, IOptions<CommitmentOptions> options, TimeProvider time,
    ILogger<OverdueScheduler> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ScanInterval, time);
        do
        {
            try
            {
                await ScanAsync(stoppingToken);
            }
            catch (Exception ex) when (StoreErrors.IsUnavailable(ex))
            {
                LogStoreUnavailable(ex.GetType().Name, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogScanFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> ScanAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var cards = scope.ServiceProvider.GetRequiredService<CardTemplates>();
        var o = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var alertBefore = now - o.AlertAfterOverdue;
        var due = await db.DownstreamForms
            .Where(f => f.Status == FormStatus.Open && f.DueAt <= now && (f.ReminderSentAt == null || (f.AlertRaisedAt == null && f.DueAt <= alertBefore)))
            .OrderBy(f => f.DueAt).Take(200)
            .Include(f => f.Commitment).ThenInclude(c => c.Customer).ThenInclude(a => a.Members)
            .Include(f => f.Commitment).ThenInclude(c => c.Enrichments)
            .AsSplitQuery().ToListAsync(ct);
        if (due.Count == 0) return 0;
        var roles = await db.RoleAssignments.AsNoTracking().ToListAsync(ct);
        foreach (var form in due)
        {
            var view = CommitmentView.Of(form.Commitment);
            if (form.ReminderSentAt is null) CommitmentNotifications.RemindOwners(db, cards, form, view, roles, now);
            if (form.AlertRaisedAt is null && form.DueAt <= alertBefore)
            {
                form.AlertRaisedAt = now;
                OverdueFormAlert.Request(db, o, form, view, now);
            }
        }
        try
        {
            // One unit of work: reminders, form marks and the requested alerts (raised and routed by their handler) commit together.
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return 0; // a form was confirmed (or another instance scanned) meanwhile; the next scan sees the new state
        }
        LogScanned(due.Count);
        return due.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Overdue scan paused: the database is unavailable ({Error}: {Message}); it runs again at the next interval")]
    private partial void LogStoreUnavailable(string error, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Overdue scan handled {Count} downstream forms")]
    private partial void LogScanned(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Overdue scan failed")]
    private partial void LogScanFailed(Exception ex);
}

/// <summary>
/// The hand-over point to the Alerts feature: an overdue downstream form past the second threshold publishes one
/// <see cref="AlertRequested"/> for its account (raising, routing, delivery and cards are the Alerts feature's), idempotent
/// per form, and audits <c>overdue-alert-raised</c>. Alerts of restricted accounts are restricted to the account's members.
/// </summary>
public static class OverdueFormAlert
{
    public const string ApiClient = "commitments";

    public static void Request(OpsBotDbContext db, CommitmentOptions o, DownstreamForm form, CommitmentView view, DateTime now)
    {
        var correlation = CommitmentNotifications.FormCorrelation(view.OpportunityId, form.Kind);
        var message = $"{CommitmentSummaryCard.FormLabel(form.Kind)} for {view.OpportunityId} ({view.CustomerName}, {view.ValueDisplay}) " +
                      $"is overdue since {Fields.Time(form.DueAt)}; owner: {CommitmentSummaryCard.RoleLabel(form.Role)}.";
        db.Audit(now, "opsbot", "OpsBot", "overdue-alert-raised", "Account", view.AccountNumber, after: new { view.OpportunityId, form = form.Kind.ToString(), form.DueAt }, note: message);
        var c = form.Commitment;
        db.Publish(new AlertRequested(c.Customer.Name, view.OpportunityId, o.OverdueAlertKind,
            $"Order flow stalled: {CommitmentSummaryCard.FormLabel(form.Kind)} overdue since {Fields.Time(form.DueAt)}", o.OverdueAlertSeverity, message,
            ApiClient, "overdue:" + correlation, c.ServiceUrl.Length > 0 ? c.ServiceUrl : null, c.TenantId, c.CustomerId));
    }
}
