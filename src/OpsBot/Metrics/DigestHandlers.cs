using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Conversations;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Setup;

namespace OpsBot.Metrics;

/// <summary><c>digest list</c> (configured digests, next send time, last run) and <c>digest preview &lt;name&gt;</c> (the asker's card for the next period).</summary>
public sealed class DigestHandlers(OpsBotDbContext db, DigestContentBuilder builder, IOptionsMonitor<MetricsOptions> options, TimeProvider time)
{
    public const string Usage = "digest list · digest preview <name>";

    public async Task RunAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var verb = words.FirstOrDefault()?.ToLowerInvariant() ?? "list";
        switch (verb)
        {
            case "list" when words.Length <= 1:
                await turn.SendTextAsync(await ListAsync(ct), ct);
                return;
            case "preview" when words.Length == 2:
                await PreviewAsync(turn, words[1], ct);
                return;
            default:
                await turn.SendTextAsync($"I didn't understand that. Usage: {Usage}", ct);
                return;
        }
    }

    private string Configured() => options.CurrentValue.Digests.Count == 0
        ? "No digests are configured (Metrics:Digests)."
        : "Configured digests: " + string.Join(", ", options.CurrentValue.Digests.Keys.Order(StringComparer.OrdinalIgnoreCase)) + ".";

    private async Task<string> ListAsync(CancellationToken ct)
    {
        var o = options.CurrentValue;
        if (o.Digests.Count == 0) return Configured();
        var now = time.GetUtcNow().UtcDateTime;
        var lines = new List<string>();
        foreach (var (name, d) in o.Digests.OrderBy(x => x.Key, StringComparer.OrdinalIgnoreCase))
        {
            var zone = DigestSchedule.ZoneOf(d, o);
            var next = DigestSchedule.Next(d, zone, now);
            var last = await db.DigestRuns.AsNoTracking().Where(r => r.Name == name).OrderByDescending(r => r.DueAt).FirstOrDefaultAsync(ct);
            var lastText = last is null ? "never run" : $"last {last.PeriodKey} sent {DigestSchedule.LocalDateTime(last.SentAt ?? last.ClaimedAt, zone)} to {last.Recipients}{(last.Late ? " (late)" : "")}";
            lines.Add($"- **{name}**: {d.Content}, {d.Cadence.ToString().ToLowerInvariant()} at {d.At:hh\\:mm}{(d.BusinessDaysOnly ? " (business days)" : "")} to {string.Join(", ", d.Audience)}; " +
                      $"next {(next is null ? "—" : DigestSchedule.LocalDateTime(next.DueAt, zone))}; {lastText}");
        }
        return "Digests:\n\n" + string.Join("\n\n", lines);
    }

    private async Task PreviewAsync(BotTurn turn, string name, CancellationToken ct)
    {
        var o = options.CurrentValue;
        if (!o.Digests.TryGetValue(name, out var d))
        {
            await turn.SendTextAsync($"There is no digest '{name.Truncate(64)}'. {Configured()}", ct);
            return;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var zone = DigestSchedule.ZoneOf(d, o);
        if (DigestSchedule.Next(d, zone, now) is not { } next)
        {
            await turn.SendTextAsync($"Digest '{name}' has no next period.", ct);
            return;
        }
        var key = o.Digests.Keys.First(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
        var model = await builder.BuildAsync(key, d, next, Viewer.Of(turn), now,
            $"Preview: the next digest goes out {DigestSchedule.LocalDateTime(next.DueAt, zone)}; this is what it would contain for you now.", ct);
        await turn.SendCardAsync("digest", model with { Title = "Preview · " + model.Title }, "Preview of " + model.Title, ct);
    }
}
