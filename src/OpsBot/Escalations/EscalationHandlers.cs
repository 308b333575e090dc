using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework.Schema;
using OpsBot.Customers;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Escalations;

/// <summary>Chat commands, card verbs and the message-extension action of the escalation feature.</summary>
public sealed class EscalationHandlers(
    OpsBotDbContext db, EscalationService service, EscalationCards cards, ExecutiveDirectory directory, EscalationReports reports,
    IOptions<PeopleOptions> people, IOptions<BotOptions> bot, CustomerResolver resolver, AdminCheck admins,
    Metrics.DownloadLinks links)
{

    // ---- entry point 1: the escalate command
    public async Task StartAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var form = EscalationForm.Empty(EscalationOrigin.Command) with { Account = args.Trim() };
        var card = cards.Form(form, null, await directory.AllAsync(ct), false, null);
        await turn.Context.SendActivityAsync(new Activity { Type = ActivityTypes.Message, Summary = "Escalate a complaint", Attachments = [Attachment.AdaptiveCard(card)] }, ct);
    }

    // ---- entry point 2: the "Escalate" button on commitment and alert cards
    public async Task<InvokeResponse> StartFromCardAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var opportunity = EscalationService.Str(data, "opportunityId");
        var alert = EscalationService.Str(data, "alertId");
        var form = EscalationForm.Empty(EscalationOrigin.CardButton) with
        {
            Account = EscalationService.Str(data, "account"),
            OpportunityRef = opportunity,
            AlertId = alert,
            Summary = EscalationService.Str(data, "summary"),
        };
        return AdaptiveCardInvoke.Card(cards.Form(form, null, await directory.AllAsync(ct), false, null));
    }

    public async Task<InvokeResponse> SubmitAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var form = EscalationForm.FromData(data);
        var executives = await directory.AllAsync(ct);
        var errors = form.Validate(executives);
        if (errors.Any) return AdaptiveCardInvoke.Card(cards.Form(form, errors, executives, false, null));
        var (customer, notFound) = await ResolveCustomerAsync(form, turn, ct);
        if (customer is null) return AdaptiveCardInvoke.Card(cards.Form(form, new FormErrors { Account = notFound }, executives, false, null));
        var key = form.FormId.Length > 0 ? $"form:{form.FormId}" : $"activity:{turn.Activity.Id}";
        var result = await service.CreateAsync(form, customer, key, Requester(turn), turn.ConversationId, turn.Activity.ReplyToId, sendRepCopy: false, ct);
        var viewer = await service.ViewerAsync(result.Escalation, turn.UserId, turn.UserAadObjectId, turn.UserName, ct);
        return AdaptiveCardInvoke.Card(await cards.RenderAsync(result.Escalation, viewer, await ConfirmationAsync(result, turn, ct), ct));
    }

    // ---- entry point 3: message extension "Escalate to an executive"
    public async Task<InvokeResponse> FetchTaskAsync(BotTurn turn, JsonObject value, CancellationToken ct)
    {
        var form = EscalationForm.FromMessage(value["messagePayload"] as JsonObject);
        return Task(cards.Form(form, null, await directory.AllAsync(ct), true, null));
    }

    public async Task<InvokeResponse> SubmitActionAsync(BotTurn turn, JsonObject value, CancellationToken ct)
    {
        var preview = EscalationService.Str(value, "botMessagePreviewAction");
        var data = value["data"] as JsonObject ?? new JsonObject();
        var form = EscalationForm.FromData(data) with { Origin = EscalationOrigin.MessageAction };
        var executives = await directory.AllAsync(ct);
        if (preview == "edit") return Task(cards.Form(form, null, executives, true, null));
        if (preview == "send") return new InvokeResponse(200);

        var errors = form.Validate(executives);
        if (errors.Any) return Task(cards.Form(form, errors, executives, true, null));
        var (customer, hidden) = await ResolveCustomerAsync(form, turn, ct);
        if (customer is null) return Task(cards.Form(form, new FormErrors { Account = hidden }, executives, true, null));
        var messageId = value["messagePayload"]?["id"]?.GetValue<string>();
        var key = form.FormId.Length > 0 ? $"msg:{form.FormId}" : $"msg:{messageId ?? turn.Activity.Id}:{turn.UserId}";
        var result = await service.CreateAsync(form, customer, key, Requester(turn), null, null, sendRepCopy: true, ct);
        return new InvokeResponse(200, new JsonObject { ["task"] = new JsonObject { ["type"] = "message", ["value"] = await ConfirmationAsync(result, turn, ct) } });
    }

    /// <summary>
    /// The customer the form names (<see cref="CustomerResolver"/>): a restricted customer exists only for its members, so anyone
    /// else gets the same "not found" (with the same kind of suggestions) as for a customer that does not exist.
    /// </summary>
    private async Task<(Customer? Customer, string? Error)> ResolveCustomerAsync(EscalationForm form, BotTurn turn, CancellationToken ct)
    {
        var resolved = await resolver.ResolveAsync(form.Account, Customers.Viewer.Of(turn), ct);
        if (resolved.Customer is { } c) return (c, null);
        if (resolved.Suggestions.Count == 0) await admins.OfferSetupAsync(turn, $"There is no customer '{form.Account.Trim()}'.", ct);
        return resolved.Customer is { } found
            ? (found, null)
            : (null, CustomerResolver.NotFoundText(form.Account.Trim(), resolved.Suggestions) + " " + await admins.FixHintAsync("add customers", turn.UserId, turn.UserAadObjectId, ct));
    }

    // ---- executive and rep actions on the escalation card
    public async Task<InvokeResponse> ActAsync(string verb, BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var result = await service.ActAsync(verb, data, Requester(turn), ct);
        if (result.Error is not null) return AdaptiveCardInvoke.Error(404, "NotFound", result.Error);
        return AdaptiveCardInvoke.Card(result.Card!);
    }

    public async Task ShowAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var digits = new string(args.Where(char.IsDigit).ToArray());
        var c = long.TryParse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? await db.Escalations.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct) : null;
        var viewer = c is null ? EscalationViewer.Nobody : await service.ViewerAsync(c, turn.UserId, turn.UserAadObjectId, turn.UserName, ct);
        if (c is null || !viewer.CanSee)
        {
            await turn.SendTextAsync($"I can't find complaint \"{args.Trim()}\". Try `my escalations` for your list.", ct);
            return;
        }
        var card = await cards.RenderAsync(c, viewer, null, ct);
        await turn.Context.SendActivityAsync(EscalationService.CardActivity(card, c), ct);
    }

    public async Task MineAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var acting = (await directory.ActingForAsync(turn.UserId, turn.UserAadObjectId, ct)).Select(e => e.Id).ToList();
        var userId = turn.UserId;
        var mine = await db.Escalations.AsNoTracking()
            .Where(c => c.RepUserId == userId || (c.AssigneeId != null && acting.Contains(c.AssigneeId)) || (c.BackupExecutiveId != null && acting.Contains(c.BackupExecutiveId)))
            .OrderByDescending(c => c.Status != EscalationStatus.Resolved).ThenByDescending(c => c.LastActionAt).Take(15).ToListAsync(ct);
        var names = await db.Executives.AsNoTracking().ToDictionaryAsync(e => e.Id, e => e.DisplayName, ct);
        var items = mine.Select(c => new EscalationListItem(c.Id, $"{c.Number} · {c.Account} · {c.Severity}",
            $"{c.Status} · owner {(c.AssigneeId is null ? "none" : names.GetValueOrDefault(c.AssigneeId, c.AssigneeId))} · {(c.RepUserId == userId ? "you escalated" : $"from {c.RepName}")}",
            $"Last: {c.LastAction} ({c.LastActionAt:yyyy-MM-dd HH:mm} UTC)")).ToList();
        await turn.SendCardAsync("escalation-list", new EscalationListModel(
            items.Count == 0 ? "You have no escalations yet. Type `escalate` to raise one." : $"{items.Count} escalation(s), open first.", items),
            "My escalations", ct);
    }

    public async Task ReportAsync(BotTurn turn, string args, CancellationToken ct)
    {
        if (!people.Value.IsLeadership(turn.UserId, turn.UserAadObjectId))
        {
            await turn.SendTextAsync("The escalation report is for leadership only.", ct);
            return;
        }
        if (!EscalationReports.TryParseMonth(args, out var month, out var error))
        {
            await turn.SendTextAsync($"{error}\n\nUsage: `escalations report [yyyy-MM]`, e.g. `escalations report 2026-11`.", ct);
            return;
        }
        var viewer = Customers.Viewer.Of(turn);
        var report = await reports.BuildAsync(month, viewer, ct);
        // A short-lived link that works from Teams without an API key, for this person's view of this month only.
        var csv = await links.CreateAsync(Metrics.DownloadLinks.EscalationReport, new Metrics.DownloadQuery(Month: report.Month), viewer, ct);
        await turn.SendCardAsync("escalation-report", reports.CardModel(report, csv ?? ""), $"Escalations {report.Month}", ct);
    }

    private static InvokeResponse Task(JsonObject card) => new(200, new JsonObject
    {
        ["task"] = new JsonObject
        {
            ["type"] = "continue",
            ["value"] = new JsonObject
            {
                ["title"] = "Escalate to an executive",
                ["height"] = "large",
                ["width"] = "medium",
                ["card"] = new JsonObject { ["contentType"] = Attachment.AdaptiveCardContentType, ["content"] = card },
            },
        },
    });

    private Requester Requester(BotTurn turn) => new(turn.UserId, turn.UserAadObjectId, turn.UserName,
        turn.Activity.ServiceUrl ?? bot.Value.DefaultServiceUrl, turn.TenantId ?? "");

    private async Task<string> ConfirmationAsync(CreateResult r, BotTurn turn, CancellationToken ct)
    {
        var c = r.Escalation;
        var noExecutives = c.AssigneeId is null && await directory.AllAsync(ct) is { Count: 0 };
        if (noExecutives && r.Created) await admins.OfferSetupAsync(turn, $"{c.Number} has no executive: none are set up.", ct);
        var what = c.AssigneeId is null ? $"{c.Number} is logged but no executive is available ({c.AssignmentReason}); leadership has been told. "
                + (noExecutives ? "No executives are set up. " + await admins.FixHintAsync("pick executives", turn.UserId, turn.UserAadObjectId, ct) : "")
            : $"{c.Number} is with {r.AssigneeName ?? c.AssigneeId} ({c.AssignmentReason}).";
        return r.Created ? $"Escalated. {what}" : $"Already escalated as {c.Number}; nothing new was created.";
    }
}

public sealed record EscalationListItem(long EscalationId, string Title, string Status, string LastAction);
public sealed record EscalationListModel(string Intro, List<EscalationListItem> Items);
