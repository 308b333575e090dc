using OpsBot.Conversations;

namespace OpsBot.Customers;

/// <summary>
/// The <c>customers</c> typeahead dataset: every card input for a customer is an <c>Input.ChoiceSet</c> whose
/// <c>choices.data</c> is <c>{"type":"Data.Query","dataset":"customers"}</c>. Restricted customers the viewer may not see are not offered.
/// </summary>
public sealed class CustomerSearch(CustomerResolver resolver)
{
    public const string Dataset = "customers";

    public async Task<IReadOnlyList<SearchResult>> SearchAsync(BotTurn turn, string query, int skip, int top, CancellationToken ct)
    {
        var found = await resolver.SearchAsync(query, Viewer.Of(turn), skip + top, ct);
        return found.Skip(skip).Take(top).Select(c => new SearchResult($"{c.Name} ({c.Number})", c.Number)).ToList();
    }
}
