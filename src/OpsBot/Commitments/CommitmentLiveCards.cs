using Microsoft.EntityFrameworkCore;
using OpsBot.Cards;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Commitments;

/// <summary>
/// The commitment summary card in the rep's chat (live card <c>commitment:&lt;opportunity&gt;</c>) and the task cards of its
/// downstream forms (<c>commitment-form:&lt;opportunity&gt;:&lt;kind&gt;</c>), rendered from the current commitment when sent.
/// </summary>
public static class CommitmentLiveCards
{
    public static string SummaryKey(string opportunityId) => $"{CommitmentSummarySource.LivePrefix}:{opportunityId}";

    public static string FormKey(string opportunityId, FormKind kind) => $"{CommitmentFormTaskSource.LivePrefix}:{opportunityId}:{kind}";

    /// <summary>Every card of the commitment shows the state the next save commits.</summary>
    public static void RefreshCards(this OpsBotDbContext db, Commitment c)
    {
        db.RefreshLiveCard(SummaryKey(c.OpportunityId));
        foreach (var form in c.Forms) db.RefreshLiveCard(FormKey(c.OpportunityId, form.Kind));
    }

    internal static Task<Commitment?> LoadAsync(OpsBotDbContext db, string opportunityId, CancellationToken ct) =>
        db.Commitments.AsNoTracking().Include(x => x.Customer).Include(x => x.Enrichments).Include(x => x.Forms).AsSplitQuery()
            .FirstOrDefaultAsync(x => x.OpportunityId == opportunityId, ct);
}

public sealed class CommitmentSummarySource(CardTemplates cards, TimeProvider time) : ILiveCardSource
{
    public const string LivePrefix = "commitment";
    public string Prefix => LivePrefix;

    public async Task<string?> RenderAsync(OpsBotDbContext db, LiveCardCopy copy, CancellationToken ct) =>
        await CommitmentLiveCards.LoadAsync(db, copy.Id, ct) is { } c
            ? Outbox.SerializeCard(cards, "commitment-summary", CommitmentSummaryCard.Build(CommitmentView.Of(c), c.Forms, time.GetUtcNow().UtcDateTime))
            : null;
}

public sealed class CommitmentFormTaskSource(CardTemplates cards, TimeProvider time) : ILiveCardSource
{
    public const string LivePrefix = "commitment-form";
    public string Prefix => LivePrefix;

    public async Task<string?> RenderAsync(OpsBotDbContext db, LiveCardCopy copy, CancellationToken ct)
    {
        var colon = copy.Id.LastIndexOf(':');
        if (colon <= 0 || !Enum.TryParse<FormKind>(copy.Id[(colon + 1)..], out var kind)) return null;
        if (await CommitmentLiveCards.LoadAsync(db, copy.Id[..colon], ct) is not { } c || c.Forms.FirstOrDefault(f => f.Kind == kind) is not { } form) return null;
        var view = CommitmentView.Of(c);
        return Outbox.SerializeCard(cards, "commitment-form-task", CommitmentFormTaskCard.Build(form, view, time.GetUtcNow().UtcDateTime),
            $"{CommitmentSummaryCard.FormLabel(form.Kind)} for {view.OpportunityId} is yours");
    }
}
