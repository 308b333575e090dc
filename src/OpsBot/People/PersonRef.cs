namespace OpsBot.People;

/// <summary>
/// A person as Teams identifies them: the Teams user id (29:…) and, when known, the Entra object id. Configuration and
/// stored lists name a person by either one, so two references are the same person when any id of one equals any id of the
/// other, ignoring case (ordinal). This is the one rule for checking a person against admins, leadership, executives,
/// delegates and members.
/// </summary>
public readonly record struct PersonRef(string? UserId, string? AadObjectId = null)
{
    public bool Matches(string? userId, string? aadObjectId) =>
        Same(UserId, userId) || Same(UserId, aadObjectId) || Same(AadObjectId, userId) || Same(AadObjectId, aadObjectId);

    public bool Matches(PersonRef other) => Matches(other.UserId, other.AadObjectId);

    /// <summary>True when one of <paramref name="people"/> (each a Teams user id or an Entra object id) is this person.</summary>
    public bool IsAnyOf(IEnumerable<string> people)
    {
        var self = this;
        return people.Any(p => self.Matches(p, null));
    }

    private static bool Same(string? a, string? b) =>
        !string.IsNullOrWhiteSpace(a) && !string.IsNullOrWhiteSpace(b) && string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}
