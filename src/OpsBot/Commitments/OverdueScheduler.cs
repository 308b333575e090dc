using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Audit;
using OpsBot.Alerts;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Commitments;

/// <summary>
/// Accountability timers, kept as data: every scan compares the stored due dates with the clock, so nothing is lost on a
/// restart. An open form past its due date gets one reminder to its owners; past <see cref="CommitmentOptions.AlertAfterOverdue"/>
/// more, one interruption alert is raised for the account through the Alerts feature (see <see cref="OverdueFormAlert"/>).
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
        var alerts = scope.ServiceProvider.GetRequiredService<AlertService>();
        var o = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var alertBefore = now - o.AlertAfterOverdue;
        var due = await db.DownstreamForms
            .Where(f => f.Status == FormStatus.Open && f.DueAt <= now && (f.ReminderSentAt == null || (f.AlertRaisedAt == null && f.DueAt <= alertBefore)))
            .OrderBy(f => f.DueAt).Take(200)
            .Include(f => f.Commitment).ThenInclude(c => c.Account).ThenInclude(a => a.Members)
            .Include(f => f.Commitment).ThenInclude(c => c.Enrichments)
            .AsSplitQuery().ToListAsync(ct);
        if (due.Count == 0) return 0;
        var roles = await db.RoleAssignments.AsNoTracking().ToListAsync(ct);
        var raise = new List<(DownstreamForm Form, CommitmentView View)>();
        foreach (var form in due)
        {
            var c = form.Commitment;
            var view = CommitmentView.Of(c);
            if (form.ReminderSentAt is null)
            {
                var card = new Activity
                {
                    Type = ActivityTypes.Message,
                    Summary = $"Overdue: {CommitmentSummaryCard.FormLabel(form.Kind)} for {c.OpportunityId}",
                    Attachments = [Attachment.AdaptiveCard(cards.Render("commitment-form-task", CommitmentFormTaskCard.Build(form, view, now,
                        $"Reminder: this form was due {Fields.Time(form.DueAt)}. Please confirm it.")))],
                };
                foreach (var user in roles.Where(r => r.Role == form.Role && r.UserId is not null).Select(r => r.UserId!)
                             .Where(u => !c.Account.Restricted || c.Account.Members.Any(m => m.UserId == u)))
                    db.EnqueueSend(new DeliveryTarget.Person(c.ServiceUrl, c.TenantId, user), card,
                        $"cmt:{c.OpportunityId}:{form.Kind}:reminder:{user}", now, "commitment-form-reminder", CommitmentHandlers.FormCorrelation(c.OpportunityId, form.Kind));
                form.ReminderSentAt = now;
                db.Audit(now, "opsbot", "OpsBot", "overdue-reminder-sent", "DownstreamForm", CommitmentHandlers.FormCorrelation(c.OpportunityId, form.Kind));
            }
            if (form.AlertRaisedAt is null && form.DueAt <= alertBefore)
            {
                form.AlertRaisedAt = now;
                raise.Add((form, view));
            }
        }
        try
        {
            // One unit of work: reminders, form marks and the raised alerts (with their deliveries) commit together.
            await alerts.InTransactionAsync(async () =>
            {
                await db.SaveChangesAsync(ct);
                foreach (var (form, view) in raise) await OverdueFormAlert.RaiseAsync(db, alerts, o, form, view, now, ct);
                await db.SaveChangesAsync(ct);
            }, ct);
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
/// The hand-over point to the Alerts feature: an overdue downstream form past the second threshold raises one interruption
/// alert for its account through <see cref="AlertService"/> (routing, delivery and cards are the Alerts feature's), idempotent
/// per form, and audits <c>overdue-alert-raised</c>. Alerts of restricted accounts are restricted to the account's members.
/// </summary>
public static class OverdueFormAlert
{
    public const string ApiClient = "commitments";

    public static async Task RaiseAsync(OpsBotDbContext db, AlertService alerts, CommitmentOptions o, DownstreamForm form, CommitmentView view, DateTime now, CancellationToken ct)
    {
        var correlation = CommitmentHandlers.FormCorrelation(view.OpportunityId, form.Kind);
        var key = "overdue:" + correlation;
        var message = $"{CommitmentSummaryCard.FormLabel(form.Kind)} for {view.OpportunityId} ({view.CustomerName}, {view.ValueDisplay}) " +
                      $"is overdue since {Fields.Time(form.DueAt)}; owner: {CommitmentSummaryCard.RoleLabel(form.Role)}.";
        db.Audit(now, "opsbot", "OpsBot", "overdue-alert-raised", "Account", view.AccountNumber, after: new { view.OpportunityId, form = form.Kind.ToString(), form.DueAt }, note: message);
        if (await db.Alerts.AnyAsync(a => a.ApiClient == ApiClient && a.IdempotencyKey == key, ct)) return;
        var account = form.Commitment.Account;
        var input = new AlertInput(account.Name, view.OpportunityId, o.OverdueAlertKind,
            $"Order flow stalled: {CommitmentSummaryCard.FormLabel(form.Kind)} overdue since {Fields.Time(form.DueAt)}", o.OverdueAlertSeverity, message);
        var serviceUrl = form.Commitment.ServiceUrl.Length > 0 ? form.Commitment.ServiceUrl : alerts.DefaultServiceUrl;
        await alerts.RaiseAsync(input, AlertSource.Api, new Actor("opsbot", "OpsBot"), serviceUrl, form.Commitment.TenantId, ApiClient, key,
            restricted: account.Restricted, ct: ct);
    }
}
