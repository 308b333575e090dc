using Microsoft.EntityFrameworkCore;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Escalations;

/// <summary>Sponsor first, then rotation under monthly caps skipping time off; the rep may ask for someone; every decision says why.</summary>
public sealed class EscalationAssignmentTests() : EscalationTestBase(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);

    protected override void Configure(OpsBotFactory factory)
    {
        // Dan is away this week; Ann sponsors ACME Corp and has capacity 4; Bob and Cara have 2 each.
        AddExec(factory.Settings, 3, "dan", "Dan Wu", "29:dan", 5, sponsor: "Umbrella", awayFrom: "2026-11-20", awayTo: "2026-11-27");
    }

    [Fact]
    public async Task Rotation_fills_executives_under_their_cap_skips_those_away_and_then_reports_no_one_available()
    {
        var reasons = new List<(string? Assignee, string Reason)>();
        foreach (var account in new[] { "Globex", "Initech", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne", "Soylent" })
        {
            var c = await EscalateAsync(account);
            reasons.Add((c.AssigneeId, c.AssignmentReason));
        }
        Assert.Equal(
        [
            ("ann", "next in rotation, 1/4 this month"),
            ("bob", "next in rotation, 1/2 this month"),
            ("cara", "next in rotation, 1/2 this month"),
            ("ann", "next in rotation, 2/4 this month"),
            ("bob", "next in rotation, 2/2 this month"),
            ("cara", "next in rotation, 2/2 this month"),
            ("ann", "next in rotation, 3/4 this month"),
            ("ann", "next in rotation, 4/4 this month"),
            (null, "no executive available (all away or at their monthly cap)"),
        ], reasons);
        var unassigned = await App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync(c => c.AssigneeId == null));
        Assert.Equal(EscalationStatus.Unassigned, unassigned.Status);
        Assert.Contains(await OutboxAsync(), m => m.Kind == OutboxKind.CreateChannelThread && m.ChannelId == Channel);
    }

    [Fact]
    public async Task The_sponsor_gets_their_account_even_at_cap_and_an_away_sponsor_falls_back_to_rotation_with_the_reason()
    {
        var acme = await EscalateAsync("acme corp");
        Assert.Equal(("ann", "sponsor of ACME Corp"), (acme.AssigneeId, acme.AssignmentReason));

        var umbrella = await EscalateAsync("Umbrella");
        Assert.Equal("bob", umbrella.AssigneeId);
        Assert.Equal("next in rotation, 1/2 this month; sponsor Dan Wu is away until 2026-11-27", umbrella.AssignmentReason);

        Clock.SetUtcNow(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        var back = await EscalateAsync("Umbrella");
        Assert.Equal(("dan", "sponsor of Umbrella"), (back.AssigneeId, back.AssignmentReason));
    }

    [Fact]
    public async Task The_rep_can_request_an_executive_unless_they_are_away()
    {
        var requested = await EscalateAsync("Globex", executive: "cara");
        Assert.Equal(("cara", "requested by the rep"), (requested.AssigneeId, requested.AssignmentReason));

        var away = await EscalateAsync("Globex", executive: "dan");
        Assert.Equal("ann", away.AssigneeId);
        Assert.Equal("next in rotation, 1/4 this month; requested Dan Wu is away until 2026-11-27", away.AssignmentReason);
    }

    [Fact]
    public async Task Admin_commands_edit_the_directory_and_others_are_refused()
    {
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "exec add eve 29:eve 3 Eve Adams", "29:admin"));
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "exec sponsor eve Globex", "29:admin"));
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "exec away ann 2026-11-23 2026-11-24", "29:admin"));
        await Client.PostActivityAsync(Activities.Message(Connector.ServiceUrl, "exec add mallory 29:mallory 9 Mallory", Rep));
        var replies = Connector.Posts.Select(p => p.Body!["text"]?.GetValue<string>() ?? "").ToList();
        Assert.Equal(4, replies.Count);
        Assert.StartsWith("Added Eve Adams", replies[0], StringComparison.Ordinal);
        Assert.StartsWith("Only OpsBot admins can change executives; the admins are:", replies[3], StringComparison.Ordinal);
        Assert.False(await App.WithDbAsync(db => db.Executives.AnyAsync(e => e.Id == "mallory")));

        var globex = await EscalateAsync("Globex");
        Assert.Equal(("eve", "sponsor of Globex"), (globex.AssigneeId, globex.AssignmentReason));
        var acme = await EscalateAsync("ACME Corp");
        Assert.Equal("bob", acme.AssigneeId);
        Assert.Contains("sponsor Ann Lee is away until 2026-11-24", acme.AssignmentReason, StringComparison.Ordinal);
    }
}
