using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Audit;
using OpsBot.Data;

namespace OpsBot.Customers;

/// <summary>
/// The one access rule for customer facts, used by every feature: a restricted customer is visible only to its members
/// (a person by Teams user id or Entra object id, <see cref="Viewer.Is"/>; a channel by its conversation id) and to trusted
/// API clients. Everyone else gets the same answer as for a customer that does not exist (<see cref="NotFound"/>).
/// </summary>
public sealed class CustomerAccess(OpsBotDbContext db, IOptions<CustomerOptions> options)
{
    /// <summary>The one answer for a customer that does not exist or that the viewer may not see.</summary>
    public static string NotFound(string key) => NotFound("customer", key);

    /// <summary>The one answer for anything (a commitment, a complaint) that does not exist or is on a customer the viewer may not see.</summary>
    public static string NotFound(string what, string key) => $"I couldn't find {what} '{key}'. Check the spelling, or ask the account owner for access.";

    /// <summary>Requires <see cref="Customer.Members"/> loaded.</summary>
    public static bool CanSee(Customer customer, Viewer viewer) =>
        viewer.Trusted || !customer.Restricted || customer.Members.Any(m => m.Kind == MemberKind.Person && viewer.Is(m.Key));

    /// <summary>Whether a channel (conversation id) may receive the customer's details. Requires <see cref="Customer.Members"/> loaded.</summary>
    public static bool ChannelMaySee(Customer customer, string conversationId) =>
        !customer.Restricted || customer.Members.Any(m => m.Kind == MemberKind.Channel && SameChannel(m.Key, conversationId));

    /// <summary>A channel's posts are conversations <c>19:…@thread.tacv2;messageid=…</c>: the channel is the part before <c>;</c>.</summary>
    public static bool SameChannel(string member, string conversationId)
    {
        var semicolon = conversationId.IndexOf(';');
        var channel = semicolon < 0 ? conversationId : conversationId[..semicolon];
        return string.Equals(member, channel, StringComparison.Ordinal);
    }

    /// <summary><see cref="CanSee"/> as a query filter on customers.</summary>
    public static Expression<Func<Customer, bool>> Visible(Viewer viewer)
    {
        if (viewer.Trusted) return c => true;
        var keys = viewer.Keys;
        return c => !c.Restricted || c.Members.Any(m => m.Kind == MemberKind.Person && keys.Contains(m.Key.ToLower()));
    }

    /// <summary>The viewer for an API client: trusted clients (<see cref="CustomerOptions.TrustedApiClients"/>) see restricted customers.</summary>
    public Viewer ApiViewer(string client) =>
        new("api:" + client, null, client, options.Value.TrustedApiClients.Contains(client, StringComparer.Ordinal));

    /// <summary>The API client of an authenticated request (its <c>client</c> claim).</summary>
    public Viewer ApiViewer(System.Security.Claims.ClaimsPrincipal user) =>
        ApiViewer(user.FindFirst("client")?.Value ?? user.Identity?.Name ?? "api");

    private readonly Dictionary<string, HashSet<int>> _hidden = new(StringComparer.Ordinal);

    /// <summary>
    /// The restricted customers <paramref name="viewer"/> may not see (few: restricted customers are the strategic lane),
    /// read once per viewer and unit of work. Filter anything that carries a customer id with it.
    /// </summary>
    public async Task<IReadOnlySet<int>> HiddenFromAsync(Viewer viewer, CancellationToken ct)
    {
        if (viewer.Trusted) return new HashSet<int>();
        var key = string.Join('|', viewer.Keys);
        if (_hidden.TryGetValue(key, out var hidden)) return hidden;
        var keys = viewer.Keys;
        hidden = (await db.Customers.AsNoTracking()
            .Where(c => c.Restricted && !c.Members.Any(m => m.Kind == MemberKind.Person && keys.Contains(m.Key.ToLower())))
            .Select(c => c.Id).ToListAsync(ct)).ToHashSet();
        _hidden[key] = hidden;
        return hidden;
    }

    /// <summary>Whether <paramref name="viewer"/> may see what is filed under <paramref name="customerId"/> (null: no one customer, visible).</summary>
    public async Task<bool> MaySeeAsync(int? customerId, Viewer viewer, CancellationToken ct) =>
        customerId is not { } id || !(await HiddenFromAsync(viewer, ct)).Contains(id);

    /// <summary><see cref="MaySeeAsync(int?, Viewer, CancellationToken)"/> without a unit of work's cache (live card rendering).</summary>
    public static async Task<bool> MaySeeAsync(OpsBotDbContext db, int? customerId, Viewer viewer, CancellationToken ct)
    {
        if (customerId is not { } id || viewer.Trusted) return true;
        var customer = await db.Customers.AsNoTracking().Include(c => c.Members).FirstOrDefaultAsync(c => c.Id == id, ct);
        return customer is null || CanSee(customer, viewer);
    }

    // One round trip (a customer has a handful of sites and members, so their cross product stays small), compiled once.
    private static readonly PerModel<Func<OpsBotDbContext, string, CancellationToken, Task<Customer?>>> ByNumber = new(() => EF.CompileAsyncQuery(
        (OpsBotDbContext db, string number, CancellationToken ct) => db.Customers.Include(x => x.Members).Include(x => x.Sites).AsSingleQuery()
            .FirstOrDefault(x => x.Number == number)));

    /// <summary>The customer with its members and sites, if it exists and <paramref name="viewer"/> may see it; audits a refusal.</summary>
    public async Task<Customer?> FindByNumberAsync(string number, Viewer viewer, DateTime now, string path, CancellationToken ct)
    {
        var c = await ByNumber.For(db)(db, number.Trim().ToUpperInvariant(), ct);
        return await VisibleOrAuditedAsync(c, viewer, now, path, ct);
    }

    private async Task<Customer?> VisibleOrAuditedAsync(Customer? c, Viewer viewer, DateTime now, string path, CancellationToken ct)
    {
        if (c is null) return null;
        if (CanSee(c, viewer)) return c;
        await AuditDenialAsync(now, viewer, "Customer", c.Number, path, ct);
        return null;
    }

    /// <summary>Records that <paramref name="viewer"/> was refused <paramref name="entityType"/> <paramref name="entityId"/> (commits at once: a refusal changes nothing else).</summary>
    public async Task AuditDenialAsync(DateTime now, Viewer viewer, string entityType, string entityId, string path, CancellationToken ct)
    {
        db.Audit(now, viewer.Id, viewer.Name, "access-denied", entityType, entityId, note: path);
        await db.SaveChangesAsync(ct);
    }
}
