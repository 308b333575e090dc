using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Commitments;

/// <summary>
/// Accountability timers, kept as data: every scan compares the stored due dates with the clock, so nothing is lost on a
/// restart. An open form past its due date gets one reminder to its owners; past <see cref="CommitmentOptions.AlertAfterOverdue"/>
/// more, one interruption alert for the account goes to the alerts channel (see <see cref="OverdueEscalation"/>).
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
        var config = scope.ServiceProvider.GetRequiredService<IConfiguration>();
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
                OverdueEscalation.Raise(db, cards, config, o, form, view, now);
                form.AlertRaisedAt = now;
            }
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return 0; // a form was confirmed (or another instance scanned) meanwhile; the next scan sees the new state
        }
        LogScanned(due.Count);
        return due.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Overdue scan handled {Count} downstream forms")]
    private partial void LogScanned(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Overdue scan failed")]
    private partial void LogScanFailed(Exception ex);
}

/// <summary>
/// The hand-over point to the Alerts feature: an overdue downstream form past the second threshold raises an interruption
/// alert for its account. Today it posts an alert card to <c>Commitments:AlertsChannelId</c> through the outbox and audits
/// <c>overdue-alert-raised</c>; when the Alerts feature is merged, replace the body of <see cref="Raise"/> with its
/// "raise alert" call (same unit of work, same dedupe key).
/// </summary>
public static class OverdueEscalation
{
    public static void Raise(OpsBotDbContext db, CardTemplates cards, IConfiguration config, CommitmentOptions o, DownstreamForm form, CommitmentView view, DateTime now)
    {
        var correlation = CommitmentHandlers.FormCorrelation(view.OpportunityId, form.Kind);
        var message = $"{CommitmentSummaryCard.FormLabel(form.Kind)} for {view.OpportunityId} ({view.CustomerName}, {view.ValueDisplay}) " +
                      $"is overdue since {Fields.Time(form.DueAt)}; owner: {CommitmentSummaryCard.RoleLabel(form.Role)}.";
        var restricted = form.Commitment.Account.Restricted;
        if (!string.IsNullOrWhiteSpace(o.AlertsChannelId))
        {
            var card = new Activity
            {
                Type = ActivityTypes.Message,
                Summary = $"Interruption: {view.AccountNumber} order flow is stalled",
                Attachments = [Attachment.AdaptiveCard(cards.Render("commitment-overdue-alert", new OverdueAlertCard(
                    $"Order flow stalled — {view.AccountNumber}",
                    // Restricted accounts: the channel only learns that something is stalled, not what.
                    restricted ? $"A downstream form of a restricted account ({view.AccountNumber}) is overdue. Its owners have been reminded." : message,
                    view.AccountNumber, restricted ? "" : view.OpportunityId, !restricted)))],
            };
            var serviceUrl = form.Commitment.ServiceUrl.Length > 0 ? form.Commitment.ServiceUrl : config["Bot:DefaultServiceUrl"] ?? "https://smba.trafficmanager.net/teams/";
            db.EnqueueSend(new DeliveryTarget.ChannelThread(serviceUrl, form.Commitment.TenantId, o.AlertsChannelId), card,
                $"cmt:{correlation}:overdue-alert", now, "commitment-overdue-alert", correlation);
        }
        db.Audit(now, "opsbot", "OpsBot", "overdue-alert-raised", "Account", view.AccountNumber, after: new { view.OpportunityId, form = form.Kind.ToString(), form.DueAt }, note: message);
    }
}

/// <summary>Model of <c>cards/commitment-overdue-alert.json</c>.</summary>
public sealed record OverdueAlertCard(string Title, string Message, string AccountNumber, string OpportunityId, bool ShowOpen);
