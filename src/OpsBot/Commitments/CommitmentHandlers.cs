using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework.Schema;
using OpsBot.Conversations;
using OpsBot.Customers;
using OpsBot.People;

namespace OpsBot.Commitments;

/// <summary>Every command and card verb of the Commitments feature: reads the input, asks <see cref="CommitmentService"/> or <see cref="CommitmentQueries"/>, answers with a card.</summary>
public sealed class CommitmentHandlers(CommitmentService service, CommitmentQueries queries, CustomerAccess customers, IOptions<CommitmentOptions> options, AdminCheck admins, TimeProvider time)
{
    private CommitmentOptions Options => options.Value;
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    // ---- capture -------------------------------------------------------------------------------------------------

    /// <summary><c>commit</c> / <c>new commitment</c> [shortcut]: sends the capture form, pre-filled from the shortcut.</summary>
    public async Task StartAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var (input, unknown) = await service.NewCaptureAsync(args, viewer, ct);
        var notice = unknown.Count == 0 ? null
            : $"I didn't understand {string.Join(", ", unknown.Select(u => $"'{u}'"))} and left it out. Shortcut: {Shortcut.Usage}";
        await turn.SendCardAsync("commitment-form",
            CommitmentFormCard.Build(input, Guid.NewGuid().ToString("n"), null, null, notice, Options, viewer, viewer.Name), "New commitment", ct);
    }

    /// <summary><c>commitment.submit</c>: errors and unconfirmed warnings come back on the same card; otherwise the summary.</summary>
    public async Task<InvokeResponse> SubmitAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var formId = Str(data, "formId") is { Length: > 0 and <= 64 } f ? f : Guid.NewGuid().ToString("n");
        var input = CaptureInput.From(data);
        var accepted = (Str(data, "acceptWarnings") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var origin = new CaptureOrigin(turn.Activity.ServiceUrl ?? "", turn.TenantId ?? "", turn.ConversationId, turn.Activity.ReplyToId);
        return await service.CaptureAsync(input, formId, accepted, viewer, origin, ct) switch
        {
            CaptureOutcome.AlreadySaved saved => await SummaryResponseAsync(turn, saved.OpportunityId, viewer, null, ct),
            CaptureOutcome.Refused { Warnings: { } warnings } r => turn.CardResponse("commitment-form", CommitmentFormCard.Build(r.Input, formId, null, warnings,
                "Please check the warnings below: correct the fields and submit again, or confirm if they are right.", Options, viewer, r.OwnerName)),
            CaptureOutcome.Refused r => turn.CardResponse("commitment-form", CommitmentFormCard.Build(r.Input, formId, await WithFixAsync(r.Errors, turn, viewer, ct), null, null, Options, viewer, r.OwnerName)),
            CaptureOutcome.Saved { Commitment: var c } => turn.CardResponse("commitment-summary",
                CommitmentSummaryCard.Build(CommitmentView.Of(c), c.Forms, Now, "Saved. The downstream forms went to their owners.")),
            _ => throw new InvalidOperationException("Unknown capture outcome."),
        };
    }

    /// <summary>An unknown account (or one the person may not see: the same words) says who adds customers.</summary>
    private async Task<IReadOnlyDictionary<string, string>?> WithFixAsync(IReadOnlyDictionary<string, string>? errors, BotTurn turn, Viewer viewer, CancellationToken ct)
    {
        if (errors is null || !errors.TryGetValue("accountNumber", out var error) || !error.StartsWith("I couldn't find customer", StringComparison.Ordinal)) return errors;
        await admins.OfferSetupAsync(turn, "The customer is not in OpsBot yet.", ct);
        return new Dictionary<string, string>(errors, StringComparer.Ordinal) { ["accountNumber"] = error + " " + await admins.FixHintAsync("add customers", viewer.Id, viewer.AadId, ct) };
    }

    // ---- lookups -------------------------------------------------------------------------------------------------

    /// <summary><c>show &lt;opportunity&gt;</c></summary>
    public async Task ShowAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var opp = args.Trim();
        if (opp.Length == 0) { await turn.SendTextAsync("Which commitment? Usage: show <opportunity id>", ct); return; }
        var c = await queries.FindAsync(opp, Viewer.Of(turn), Now, "show", ct);
        if (c is null) { await turn.SendTextAsync(CustomerAccess.NotFound("commitment", opp), ct); return; }
        await turn.SendCardAsync("commitment-summary", CommitmentSummaryCard.Build(CommitmentView.Of(c), c.Forms, Now), $"Commitment {opp}", ct);
    }

    /// <summary><c>commitment.show</c> (card button / refresh)</summary>
    public Task<InvokeResponse> ShowVerbAsync(BotTurn turn, JsonObject data, CancellationToken ct) =>
        SummaryResponseAsync(turn, Str(data, "opportunityId") ?? "", Viewer.Of(turn), null, ct);

    private async Task<InvokeResponse> SummaryResponseAsync(BotTurn turn, string opp, Viewer viewer, string? notice, CancellationToken ct)
    {
        var c = await queries.FindAsync(opp, viewer, Now, "card", ct);
        return c is null ? AdaptiveCardInvoke.Message(CustomerAccess.NotFound("commitment", opp))
            : turn.CardResponse("commitment-summary", CommitmentSummaryCard.Build(CommitmentView.Of(c), c.Forms, Now, notice));
    }

    public async Task MyCommitmentsAsync(BotTurn turn, string args, CancellationToken ct) =>
        await turn.SendCardAsync("commitment-list", await ListAsync(Viewer.Of(turn), "mine", "", 1, ct), "My commitments", ct);

    public async Task ForAccountAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var number = args.Trim().ToUpperInvariant();
        if (number.Length == 0) { await turn.SendTextAsync("Which account? Usage: commitments for <account>", ct); return; }
        if (await customers.FindByNumberAsync(number, Viewer.Of(turn), Now, "commitments for", ct) is null)
        {
            await turn.SendTextAsync(CustomerAccess.NotFound("account", number), ct);
            return;
        }
        await turn.SendCardAsync("commitment-list", await ListAsync(Viewer.Of(turn), "account", number, 1, ct), $"Commitments for {number}", ct);
    }

    public async Task MyTasksAsync(BotTurn turn, string args, CancellationToken ct) =>
        await turn.SendCardAsync("commitment-list", await ListAsync(Viewer.Of(turn), "tasks", "", 1, ct), "My tasks", ct);

    /// <summary>Past any real list, and small enough that the row offset stays an <see cref="int"/>.</summary>
    private const int MaxPage = 1_000_000;

    /// <summary><c>commitment.page</c>: data <c>{list, key, page}</c>.</summary>
    public async Task<InvokeResponse> PageAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var list = Str(data, "list") ?? "mine";
        var key = Str(data, "key") ?? "";
        var page = int.TryParse(Str(data, "page"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? Math.Clamp(p, 1, MaxPage) : 1;
        if (list == "account" && await customers.FindByNumberAsync(key, viewer, Now, "commitment.page", ct) is null)
            return AdaptiveCardInvoke.Message(CustomerAccess.NotFound("account", key));
        return turn.CardResponse("commitment-list", await ListAsync(viewer, list, key, page, ct));
    }

    private async Task<CommitmentListCard> ListAsync(Viewer viewer, string list, string key, int page, CancellationToken ct)
    {
        var now = Now;
        if (list == "tasks")
        {
            var (totalForms, forms) = await queries.TasksAsync(viewer, page, ct);
            var taskItems = forms.Select(f =>
            {
                var v = CommitmentView.Of(f.Commitment);
                var line = CommitmentSummaryCard.Line(f, now);
                return new ListItem(v.OpportunityId, $"{CommitmentSummaryCard.FormLabel(f.Kind)} — {v.OpportunityId} ({v.CustomerName})",
                    $"{v.ValueDisplay} · delivery {Fields.Date(v.RequestedDeliveryDate)} · due {line.Due} · {line.Status}");
            }).ToList();
            return CommitmentListCard.Build("My tasks", list, key, page, totalForms, taskItems, "Nothing is waiting for you.");
        }

        var (total, rows) = await queries.ListAsync(viewer, list == "account" ? key : null, page, ct);
        var items = rows.Select(c =>
        {
            var v = CommitmentView.Of(c);
            var open = c.Forms.Count(f => f.Status == FormStatus.Open);
            return new ListItem(v.OpportunityId, $"{v.OpportunityId} — {v.CustomerName}",
                $"{v.ValueDisplay} · PO {v.CustomerPoNumber} · delivery {Fields.Date(v.RequestedDeliveryDate)} · {open} form(s) open");
        }).ToList();
        var title = list == "account" ? $"Commitments for {key}" : "My commitments";
        return CommitmentListCard.Build(title, list, key, page, total, items, "No commitments yet. Type 'commit' to capture one.");
    }

    // ---- history and enrichment ----------------------------------------------------------------------------------

    public async Task HistoryAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var opp = args.Trim();
        var c = opp.Length == 0 ? null : await queries.FindAsync(opp, Viewer.Of(turn), Now, "history", ct);
        if (c is null) { await turn.SendTextAsync(opp.Length == 0 ? "Usage: history <opportunity id>" : CustomerAccess.NotFound("commitment", opp), ct); return; }
        await turn.SendCardAsync("commitment-history", History(c), $"History of {opp}", ct);
    }

    public async Task<InvokeResponse> HistoryVerbAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var opp = Str(data, "opportunityId") ?? "";
        var c = await queries.FindAsync(opp, Viewer.Of(turn), Now, "commitment.history", ct);
        return c is null ? AdaptiveCardInvoke.Message(CustomerAccess.NotFound("commitment", opp)) : turn.CardResponse("commitment-history", History(c));
    }

    private static CommitmentHistoryCard History(Commitment c)
    {
        var items = new List<HistoryItem>
        {
            new(Fields.Time(c.CreatedAt), c.CreatedByName, $"Captured: {Fields.MoneyDisplay(c.CommittedValue, c.Currency)}, PO {c.CustomerPoNumber}, delivery {Fields.Date(c.RequestedDeliveryDate)}", "", false, "", false),
        };
        items.AddRange(c.Enrichments.OrderBy(e => e.Id).Select(e => new HistoryItem(
            Fields.Time(e.At), e.ByName, $"{Fields.Label(e.Field)}: {e.Value}",
            e.PreviousValue is null ? "" : $"was {e.PreviousValue}", e.PreviousValue is not null, e.Note ?? "", !string.IsNullOrEmpty(e.Note))));
        return new CommitmentHistoryCard($"History of {c.OpportunityId}", $"{c.CustomerName} · {items.Count} entries · version {c.Version}", c.OpportunityId, items);
    }

    /// <summary><c>enrich &lt;opportunity&gt; &lt;field&gt; &lt;value&gt; [note]</c>: appends a fact; never overwrites.</summary>
    public async Task EnrichAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var usage = $"Usage: enrich <opportunity id> <{string.Join("|", Fields.ByAlias.Keys)}> <value> [note]";
        var parts = args.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length < 3 || !Fields.ByAlias.TryGetValue(parts[1], out var field))
        {
            await turn.SendTextAsync(parts.Length >= 2 && !Fields.ByAlias.ContainsKey(parts[1]) ? $"I don't know the field '{parts[1]}'. {usage}" : usage, ct);
            return;
        }
        var rest = parts[2];
        string value = rest, note = "";
        if (field.Kind is not Fields.ValueKind.Text)
        {
            var split = rest.Split(' ', 2, StringSplitOptions.TrimEntries);
            value = split[0];
            note = split.Length > 1 ? split[1] : "";
        }
        switch (await service.EnrichAsync(parts[0], field, value, note, Viewer.Of(turn), ct))
        {
            case EnrichOutcome.Recorded { Commitment: var c, View: var view }:
                await turn.SendCardAsync("commitment-summary", CommitmentSummaryCard.Build(view, c.Forms, Now,
                    $"{field.Label} recorded. Type 'history {c.OpportunityId}' for the full trail."), $"Commitment {c.OpportunityId}", ct);
                break;
            case EnrichOutcome.Refused { Message: var message }:
                await turn.SendTextAsync(message, ct);
                break;
            default:
                await turn.SendTextAsync(CustomerAccess.NotFound("commitment", parts[0]), ct);
                break;
        }
    }

    // ---- edit with optimistic concurrency ------------------------------------------------------------------------

    public async Task EditAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var opp = args.Trim();
        var c = opp.Length == 0 ? null : await queries.FindAsync(opp, Viewer.Of(turn), Now, "edit", ct);
        if (c is null) { await turn.SendTextAsync(opp.Length == 0 ? "Usage: edit <opportunity id>" : CustomerAccess.NotFound("commitment", opp), ct); return; }
        await turn.SendCardAsync("commitment-edit", CommitmentEditCard.Build(CommitmentView.Of(c)), $"Edit {opp}", ct);
    }

    /// <summary><c>commitment.edit</c>: the edit card at the current version (also the "reload" of a conflict).</summary>
    public async Task<InvokeResponse> EditVerbAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var opp = Str(data, "opportunityId") ?? "";
        var c = await queries.FindAsync(opp, Viewer.Of(turn), Now, "commitment.edit", ct);
        return c is null ? AdaptiveCardInvoke.Message(CustomerAccess.NotFound("commitment", opp))
            : turn.CardResponse("commitment-edit", CommitmentEditCard.Build(CommitmentView.Of(c)));
    }

    /// <summary><c>commitment.save</c>: data carries the version the rep edited; a stale version gets "changed by X at T, reload".</summary>
    public async Task<InvokeResponse> SaveAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var opp = Str(data, "opportunityId") ?? "";
        int? version = int.TryParse(Str(data, "version"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
        return await service.SaveEditAsync(opp, version, key => Str(data, key), Str(data, "note"), Viewer.Of(turn), ct) switch
        {
            EditOutcome.OutOfDate => AdaptiveCardInvoke.Error(400, "BadRequest", "The card is out of date. Type 'edit " + opp + "' for a fresh one."),
            EditOutcome.Stale { Commitment: var c } => Conflict(turn, c),
            EditOutcome.Invalid i => turn.CardResponse("commitment-edit", CommitmentEditCard.Build(i.Current, i.Error) with { Version = i.Version }),
            EditOutcome.Unchanged u => turn.CardResponse("commitment-summary", CommitmentSummaryCard.Build(u.Current, u.Commitment.Forms, Now, "Nothing changed.")),
            EditOutcome.Saved s => turn.CardResponse("commitment-summary", CommitmentSummaryCard.Build(s.View, s.Commitment.Forms, Now, "Saved as version " + s.View.Version + ".")),
            _ => AdaptiveCardInvoke.Message(CustomerAccess.NotFound("commitment", opp)),
        };
    }

    private static InvokeResponse Conflict(BotTurn turn, Commitment c) =>
        turn.CardResponse("commitment-conflict", new CommitmentConflictCard(
            $"{c.OpportunityId} was changed",
            $"Changed by {c.UpdatedByName} at {Fields.Time(c.UpdatedAt)} (now version {c.Version}). Your edit was not saved — reload to see the current values and edit again.",
            c.OpportunityId, c.Version));

    // ---- downstream form confirmation ----------------------------------------------------------------------------

    /// <summary><c>commitment.form.confirm</c>: data <c>{opportunityId, kind, version}</c>; only the role's people may confirm.</summary>
    public async Task<InvokeResponse> ConfirmFormAsync(BotTurn turn, JsonObject data, CancellationToken ct)
    {
        var opp = Str(data, "opportunityId") ?? "";
        return await service.ConfirmFormAsync(opp, Str(data, "kind"), Viewer.Of(turn), ct) is { } answer
            ? turn.CardResponse("commitment-form-task", CommitmentFormTaskCard.Build(answer.Form, answer.View, Now, answer.Notice))
            : AdaptiveCardInvoke.Message(CustomerAccess.NotFound("commitment", opp));
    }

    internal static string? Str(JsonObject data, string key) => data[key] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => null,
    };
}
