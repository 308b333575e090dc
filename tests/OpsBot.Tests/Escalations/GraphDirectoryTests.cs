using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Data;
using OpsBot.Messaging;
using OpsBot.People;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Escalations;

/// <summary>The Graph directory source against a loopback Graph + token endpoint (Azure.Identity and the Graph SDK unchanged).</summary>
public sealed class GraphDirectoryTests() : EscalationTestBase(DatabaseProvider.Sqlite)
{
    private FakeGraph _graph = null!;

    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);

    public override async Task InitializeAsync()
    {
        _graph = await FakeGraph.StartAsync();
        _graph.Members.AddRange([("aad-ann", "Ann Graph", "ann@contoso.com"), ("aad-bob", "Bob Graph", "bob@contoso.com"), ("aad-cara", "Cara Graph", "cara@contoso.com")]);
        _graph.Managers["aad-cara"] = ("aad-ann", "Ann Graph");
        _graph.Managers["aad-bob"] = ("aad-ceo", "Outside Group");
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _graph.DisposeAsync();
    }

    protected override void Configure(OpsBotFactory factory)
    {
        foreach (var key in factory.Settings.Keys.Where(k => k.StartsWith("People:Executives", StringComparison.Ordinal)).ToList()) factory.Settings.Remove(key);
        factory.Settings["People:Directory:Source"] = "Graph";
        factory.Settings["People:Directory:Graph:TenantId"] = Activities.TenantId;
        factory.Settings["People:Directory:Graph:ClientId"] = "00000000-0000-0000-0000-0000000000c1";
        factory.Settings["People:Directory:Graph:ClientSecret"] = "test-secret";
        factory.Settings["People:Directory:Graph:GroupId"] = "grp-executives";
        factory.Settings["People:Directory:Graph:BaseUrl"] = _graph.GraphBaseUrl;
        factory.Settings["People:Directory:Graph:DefaultMonthlyCapacity"] = "3";
        factory.TestServices = services => services.AddHttpClient(GraphDirectorySync.IdentityClient).ConfigurePrimaryHttpMessageHandler(() => _graph.LoopbackHandler());
    }

    [Fact]
    public async Task Group_members_across_pages_become_executives_with_their_manager_as_backup()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        List<Executive> execs = [];
        while (DateTime.UtcNow < deadline && execs.Count < 3)
        {
            execs = await App.WithDbAsync(db => db.Executives.AsNoTracking().OrderBy(e => e.Id).ToListAsync());
            if (execs.Count < 3) await Task.Delay(100);
        }
        Assert.Equal(["aad-ann", "aad-bob", "aad-cara"], execs.Select(e => e.Id));
        Assert.All(execs, e => Assert.Equal((DirectorySource.Graph, 3, e.Id), (e.Source, e.MonthlyCapacity, e.UserId)));
        var cara = execs.Single(e => e.Id == "aad-cara");
        Assert.Equal(("aad-ann", "Ann Graph", "cara@contoso.com"), (cara.BackupExecutiveId, cara.ManagerName, cara.Email));
        var bob = execs.Single(e => e.Id == "aad-bob");
        Assert.Equal(("aad-ceo", (string?)null), (bob.ManagerAadObjectId, bob.BackupExecutiveId));

        var requests = _graph.Requests.ToList();
        var token = Assert.Single(requests, r => r.Path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal));
        Assert.Equal($"/{Activities.TenantId}/oauth2/v2.0/token", token.Path);
        Assert.Contains("grant_type=client_credentials", token.Body, StringComparison.Ordinal);
        Assert.Contains("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default", token.Body, StringComparison.Ordinal);
        var pages = requests.Where(r => r.Path.Contains("/transitiveMembers/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, pages.Count);
        Assert.Contains("$skiptoken=2", pages[1].Path, StringComparison.Ordinal);
        Assert.All(requests.Where(r => r.Path.StartsWith("/v1.0/", StringComparison.Ordinal)), r => Assert.Equal("Bearer fake-graph-token", r.Authorization));

        var c = await EscalateAsync("Globex");
        Assert.Equal("aad-ann", c.AssigneeId);
        Assert.Contains(await OutboxAsync(), m => m.Kind == OutboxKind.CreatePersonal && m.UserId == "aad-ann");

        _graph.Members.RemoveAt(1);
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "exec sync", "29:admin"));
        Assert.Contains(Connector.Posts, p => p.Body!["text"]?.GetValue<string>() == "Synced from Microsoft Graph: 2 members, 0 added, 1 deactivated.");
        Assert.False(await App.WithDbAsync(db => db.Executives.Where(e => e.Id == "aad-bob").Select(e => e.Active).SingleAsync()));
    }
}
