using OpsBot.Conversations;
using OpsBot.People;

namespace OpsBot.Customers;

/// <summary>Who is asking: a Teams user (id + Entra object id) or an API client (<see cref="Trusted"/> sees restricted accounts).</summary>
public sealed record Viewer(string Id, string? AadId, string Name, bool Trusted = false)
{
    /// <summary>OpsBot itself (seeding, KPI readings): sees every customer.</summary>
    public static readonly Viewer System = new("opsbot", null, "OpsBot", Trusted: true);

    public static Viewer Of(BotTurn turn) => new(turn.UserId, turn.UserAadObjectId, turn.UserName);

    /// <summary>A person stored by id only (a route's person, a live card copy's recipient).</summary>
    public static Viewer Person(string userId) => new(userId, null, userId);

    public PersonRef Person() => new(Id, AadId);

    /// <summary>A stored person id (an account member, an allowed user, a role's person) names this viewer: <see cref="PersonRef"/>'s one rule.</summary>
    public bool Is(string? userId) => Person().Matches(userId, null);

    /// <summary><see cref="Is"/> in a query: a stored id names this viewer when its lower case is one of these (<c>Keys.Contains(x.UserId.ToLower())</c>).</summary>
    public string[] Keys => AadId is { Length: > 0 } aad ? [Id.ToLowerInvariant(), aad.ToLowerInvariant()] : [Id.ToLowerInvariant()];
}
