using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Cards;
using OpsBot.Data;
using OpsBot.People;
using OpsBot.Messaging;

namespace OpsBot.Escalations;

/// <summary>
/// Renders a copy of the escalation card (live card <c>escalation:&lt;id&gt;</c>) for whoever it was posted to, as the escalation is
/// when the copy is sent: a person's copy with what that person may do, the escalations channel's copy in the leadership view,
/// and the restricted card for someone no longer allowed to see the escalation.
/// </summary>
public sealed class EscalationCardSource(CardTemplates templates, BusinessCalendar calendar, DirectoryCache directory, TimeProvider time,
    IOptions<PeopleOptions> people) : ILiveCardSource
{
    public const string LivePrefix = "escalation";
    public string Prefix => LivePrefix;

    public async Task<string?> RenderAsync(OpsBotDbContext db, LiveCardCopy copy, CancellationToken ct)
    {
        if (!long.TryParse(copy.Id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)) return null;
        var c = await db.Escalations.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (c is null) return null;
        var cards = new EscalationCards(db, templates, calendar, new CustomerHistory(db), directory, time);
        var viewer = copy.UserId is { Length: > 0 } user
            ? EscalationService.ViewerOf(c, await cards.ExecutivesAsync(ct), people.Value, user, null, "")
            : EscalationViewer.Nobody with { IsLeadership = true };
        var card = viewer.CanSee ? await cards.RenderAsync(c, viewer, null, ct) : cards.Restricted(c);
        return Outbox.Serialize(EscalationService.CardActivity(card, c));
    }
}
