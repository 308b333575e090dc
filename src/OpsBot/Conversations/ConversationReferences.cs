using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;
using OpsBot.Messaging;

namespace OpsBot.Conversations;

public enum ReferenceEvent { Seen, Installed, Uninstalled }

/// <summary>
/// Stores the conversation reference of every inbound activity (protocol doc §8) and finds them again for proactive sends.
/// An unchanged reference costs no database round trip: the last stored snapshot per conversation is kept in memory.
/// </summary>
public sealed partial class ConversationReferences(IServiceProvider services, ConversationReferenceCache cache, TimeProvider time, ILogger<ConversationReferences> log)
{
    // Resolved on first use: a turn whose reference is unchanged never creates a DbContext.
    private OpsBotDbContext? _db;
    private OpsBotDbContext Db => _db ??= services.GetRequiredService<OpsBotDbContext>();

    public const string Personal = "personal";

    /// <summary>Records <paramref name="activity"/>'s reference; returns true when a welcome is due (first install in personal scope).</summary>
    public async Task<bool> CaptureAsync(Activity activity, ReferenceEvent evt, CancellationToken ct)
    {
        if (ReferenceSnapshot.From(activity) is not { } snapshot) return false;
        if (evt == ReferenceEvent.Seen && cache.Matches(snapshot)) return false;
        try
        {
            return await SaveAsync(snapshot, evt, ct);
        }
        catch (DbUpdateException)
        {
            // Another request inserted the same conversation first; apply this one on top of it.
            Db.ChangeTracker.Clear();
            return await SaveAsync(snapshot, evt, ct);
        }
    }

    private async Task<bool> SaveAsync(ReferenceSnapshot snapshot, ReferenceEvent evt, CancellationToken ct)
    {
        var (welcome, active) = await Db.ConversationReferences.FindAsync([snapshot.ConversationId], ct) is not null
            ? await ApplyAsync(snapshot, evt, ct)
            // The first activities of a new conversation often arrive together: one inserts the row while the others wait for
            // it and then update that row, instead of colliding on its key.
            : await Db.InLockedTransactionAsync("conversation-reference:" + snapshot.ConversationId, () => ApplyAsync(snapshot, evt, ct), ct);
        if (active) cache.Remember(snapshot);
        else cache.Forget(snapshot.ConversationId);
        return welcome;
    }

    private async Task<(bool Welcome, bool Active)> ApplyAsync(ReferenceSnapshot snapshot, ReferenceEvent evt, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var row = await Db.ConversationReferences.FindAsync([snapshot.ConversationId], ct);
        if (row is null)
        {
            row = new ConversationReferenceRecord
            {
                ConversationId = snapshot.ConversationId, ServiceUrl = snapshot.ServiceUrl, ChannelId = snapshot.ChannelId, CreatedAt = now,
            };
            Db.ConversationReferences.Add(row);
        }
        snapshot.ApplyTo(row);

        var welcome = false;
        if (evt == ReferenceEvent.Uninstalled)
        {
            if (row.IsActive) (row.IsActive, row.DeactivatedAt, row.WelcomedAt) = (false, now, null);
        }
        else
        {
            if (!row.IsActive) (row.IsActive, row.DeactivatedAt) = (true, null);
            if (evt == ReferenceEvent.Installed && row.ConversationType == Personal && row.WelcomedAt is null)
            {
                row.WelcomedAt = now;
                welcome = true;
            }
        }

        Db.ChangeTracker.DetectChanges();
        if (Db.Entry(row).State != EntityState.Unchanged)
        {
            row.UpdatedAt = now;
            await Db.SaveChangesAsync(ct);
            if (evt == ReferenceEvent.Uninstalled) LogDeactivated(row.ConversationId, row.ConversationType);
        }
        if (evt == ReferenceEvent.Uninstalled && row.TeamId is { } teamId)
        {
            // Removed from a team: every channel of that team is unreachable now.
            await Db.ConversationReferences.Where(r => r.TeamId == teamId && r.IsActive)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.IsActive, false).SetProperty(r => r.DeactivatedAt, now).SetProperty(r => r.UpdatedAt, now), ct);
            cache.ForgetTeam(teamId);
        }
        return (welcome, row.IsActive);
    }

    /// <summary>The active personal chat of a user, by Teams user id (<c>29:…</c>) or Entra object id.</summary>
    public Task<ConversationReferenceRecord?> FindPersonalAsync(string userIdOrAadObjectId, CancellationToken ct = default) =>
        Db.ConversationReferences.AsNoTracking()
            .Where(r => r.IsActive && r.ConversationType == Personal && (r.UserId == userIdOrAadObjectId || r.UserAadObjectId == userIdOrAadObjectId))
            .OrderByDescending(r => r.UpdatedAt)
            .FirstOrDefaultAsync(ct);

    public Task<ConversationReferenceRecord?> FindAsync(string conversationId, CancellationToken ct = default) =>
        Db.ConversationReferences.AsNoTracking().FirstOrDefaultAsync(r => r.ConversationId == ReferenceSnapshot.BaseConversationId(conversationId), ct);

    /// <summary>Marks a conversation unreachable (uninstalled, blocked, bot removed); it is reactivated by the next inbound activity.</summary>
    public async Task DeactivateAsync(string conversationId, CancellationToken ct = default)
    {
        var id = ReferenceSnapshot.BaseConversationId(conversationId);
        cache.Forget(id);
        var now = time.GetUtcNow().UtcDateTime;
        await Db.ConversationReferences.Where(r => r.ConversationId == id && r.IsActive)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.IsActive, false).SetProperty(r => r.DeactivatedAt, now).SetProperty(r => r.UpdatedAt, now), ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} ({ConversationType}) is now inactive")]
    private partial void LogDeactivated(string conversationId, string? conversationType);
}

public static class ConversationReferenceExtensions
{
    /// <summary>The outbox target for a stored personal chat.</summary>
    public static DeliveryTarget.Conversation ToDeliveryTarget(this ConversationReferenceRecord r) => new(r.ServiceUrl, r.TenantId, r.ConversationId);
}

/// <summary>The reference fields one activity carries.</summary>
internal sealed record ReferenceSnapshot(
    string ConversationId, string ServiceUrl, string ChannelId, string? ConversationType, string? TenantId, string? BotId,
    string? UserId, string? UserAadObjectId, string? TeamId, string? TeamAadGroupId, string? TeamsChannelId, string? SelectedChannelId)
{
    public static ReferenceSnapshot? From(Activity a)
    {
        if (string.IsNullOrEmpty(a.Conversation?.Id) || string.IsNullOrEmpty(a.ServiceUrl)) return null;
        var type = a.Conversation.ConversationType ?? (a.Conversation.IsGroup == true ? null : ConversationReferences.Personal);
        var personal = type == ConversationReferences.Personal;
        var teams = a.TeamsData;
        return new ReferenceSnapshot(
            BaseConversationId(a.Conversation.Id), a.ServiceUrl, a.ChannelId ?? "msteams", type, a.Conversation.TenantId ?? teams?.Tenant?.Id,
            a.Recipient?.Id, personal ? a.From?.Id : null, personal ? a.From?.AadObjectId : null,
            teams?.Team?.Id, teams?.Team?.AadGroupId, teams?.Channel?.Id, teams?.Settings?.SelectedChannel?.Id);
    }

    /// <summary>A channel thread (<c>19:…;messageid=…</c>) is stored under its channel.</summary>
    public static string BaseConversationId(string conversationId)
    {
        var i = conversationId.IndexOf(";messageid=", StringComparison.OrdinalIgnoreCase);
        return i < 0 ? conversationId : conversationId[..i];
    }

    /// <summary>Copies what this activity knows; fields it does not carry keep their stored values.</summary>
    public void ApplyTo(ConversationReferenceRecord r)
    {
        r.ServiceUrl = ServiceUrl;
        r.ChannelId = ChannelId;
        r.ConversationType = ConversationType ?? r.ConversationType;
        r.TenantId = TenantId ?? r.TenantId;
        r.BotId = BotId ?? r.BotId;
        r.UserId = UserId ?? r.UserId;
        r.UserAadObjectId = UserAadObjectId ?? r.UserAadObjectId;
        r.TeamId = TeamId ?? r.TeamId;
        r.TeamAadGroupId = TeamAadGroupId ?? r.TeamAadGroupId;
        r.TeamsChannelId = TeamsChannelId ?? r.TeamsChannelId;
        r.SelectedChannelId = SelectedChannelId ?? r.SelectedChannelId;
    }
}

/// <summary>The last snapshot written per conversation (active references only), shared by all requests of this process.</summary>
public sealed class ConversationReferenceCache
{
    private const int MaxEntries = 50_000;
    private readonly ConcurrentDictionary<string, ReferenceSnapshot> _seen = new(StringComparer.Ordinal);

    internal bool Matches(ReferenceSnapshot s) => _seen.TryGetValue(s.ConversationId, out var known) && known == s;

    internal void Remember(ReferenceSnapshot s)
    {
        if (_seen.Count >= MaxEntries) _seen.Clear();
        _seen[s.ConversationId] = s;
    }

    internal void Forget(string conversationId) => _seen.TryRemove(conversationId, out _);

    internal void ForgetTeam(string teamId)
    {
        foreach (var (id, s) in _seen)
        {
            if (s.TeamId == teamId) _seen.TryRemove(id, out _);
        }
    }
}
