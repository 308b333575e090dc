using OpsBot.Audit;
using OpsBot.BotFramework.Schema;
using OpsBot.Cards;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Commitments;

/// <summary>
/// What Commitments sends, as outbox rows in the caller's unit of work: the task card of each downstream form to its role's
/// owners, the reminder of an overdue form, and the summary card kept current in the rep's chat.
/// </summary>
public static class CommitmentNotifications
{
    public static string FormCorrelation(string opp, FormKind kind) => $"{opp}:{kind}";

    public static string TargetKey(DeliveryTarget t) => t switch
    {
        DeliveryTarget.Person p => p.UserId,
        DeliveryTarget.ChannelThread ch => ch.ChannelId,
        DeliveryTarget.Conversation cv => cv.ConversationId,
        _ => "?",
    };

    /// <summary>A task card per owner of the form's role: a live card, rendered with the commitment as it is when it is sent.</summary>
    public static void NotifyOwners(OpsBotDbContext db, DownstreamForm form, CommitmentView view, List<RoleAssignment> roles, DateTime now)
    {
        var fallback = Outbox.Serialize(Activity.CreateMessage($"{CommitmentSummaryCard.FormLabel(form.Kind)} for {view.OpportunityId} is yours"));
        var correlation = FormCorrelation(view.OpportunityId, form.Kind);
        var live = CommitmentLiveCards.FormKey(view.OpportunityId, form.Kind);
        foreach (var target in RoleTargets(roles, form.Role, form.Commitment))
            db.EnqueueSend(target, fallback, $"cmt:{view.OpportunityId}:{form.Kind}:assign:{TargetKey(target)}", now, "commitment-form", correlation, live);
    }

    /// <summary>Where a role's notices go: each person's 1:1 chat and/or a new thread in the role's channel.</summary>
    private static IEnumerable<DeliveryTarget> RoleTargets(List<RoleAssignment> roles, OwnerRole role, Commitment c)
    {
        foreach (var a in roles.Where(r => r.Role == role))
        {
            // A restricted account's forms go only to role members who may see the account, never to a channel.
            if (a.UserId is { Length: > 0 } user && CustomerAccess.CanSee(c.Customer, Viewer.Person(user)))
                yield return new DeliveryTarget.Person(c.ServiceUrl, c.TenantId, user);
            else if (a.ChannelId is { Length: > 0 } channel && !c.Customer.Restricted)
                yield return new DeliveryTarget.ChannelThread(c.ServiceUrl, c.TenantId, channel);
        }
    }

    /// <summary>The reminder of an overdue form, to each person of its role who may see the account (once: the form is marked).</summary>
    public static void RemindOwners(OpsBotDbContext db, CardTemplates cards, DownstreamForm form, CommitmentView view, List<RoleAssignment> roles, DateTime now)
    {
        var c = form.Commitment;
        var correlation = FormCorrelation(c.OpportunityId, form.Kind);
        var card = new Activity
        {
            Type = ActivityTypes.Message,
            Summary = $"Overdue: {CommitmentSummaryCard.FormLabel(form.Kind)} for {c.OpportunityId}",
            Attachments = [Attachment.AdaptiveCard(cards.Render("commitment-form-task", CommitmentFormTaskCard.Build(form, view, now,
                $"Reminder: this form was due {Fields.Time(form.DueAt)}. Please confirm it.")))],
        };
        foreach (var user in roles.Where(r => r.Role == form.Role && r.UserId is not null).Select(r => r.UserId!)
                     .Where(u => CustomerAccess.CanSee(c.Customer, Viewer.Person(u))))
            db.EnqueueSend(new DeliveryTarget.Person(c.ServiceUrl, c.TenantId, user), card,
                $"cmt:{c.OpportunityId}:{form.Kind}:reminder:{user}", now, "commitment-form-reminder", correlation);
        form.ReminderSentAt = now;
        db.Audit(now, "opsbot", "OpsBot", "overdue-reminder-sent", "DownstreamForm", correlation);
    }

    /// <summary>The capture form, replaced by the summary (the invoke answer), is from now on kept current like the task cards.</summary>
    public static void TrackSummary(OpsBotDbContext db, Commitment c, string activityId, string userId, DateTime now)
    {
        var copy = db.TrackLiveCard(new DeliveryTarget.Conversation(c.ServiceUrl, c.TenantId, c.SummaryConversationId!), activityId,
            CommitmentLiveCards.SummaryKey(c.OpportunityId), now, userId);
        copy.CorrelationType = "commitment";
        copy.CorrelationId = c.OpportunityId;
    }
}
