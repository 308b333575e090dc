using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Alerts;
using OpsBot.Cards;
using OpsBot.Conversations;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Messaging;
using OpsBot.People;

namespace OpsBot.Metrics;

/// <summary>
/// Sends the configured digests (<c>Metrics:Digests</c>). Timers are data: every check computes each digest's latest period
/// from the clock and sends it when no <see cref="DigestRun"/> row exists for it. The row and one outbox message per
/// recipient are saved in one unit of work, and the unique (name, period) index lets exactly one instance win, so each
/// period goes out once across restarts and instances.
/// <para>
/// Missed periods: if the latest period is more than <see cref="DigestCheckInterval"/> + <see cref="Grace"/> old when it is
/// found unsent, OpsBot was down at its time; it is sent once, late and marked so — only the latest, never a backlog.
/// A digest that has never run (just configured) does not send an old period at all: it starts with the next one.
/// </para>
/// </summary>
public sealed partial class DigestScheduler(IServiceScopeFactory scopes, IOptionsMonitor<MetricsOptions> options, TimeProvider time,
    ILogger<DigestScheduler> log) : BackgroundService
{
    /// <summary>How much later than its time (beyond one check interval) a period still counts as on time.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CurrentValue.DigestCheckInterval, time);
        do
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception ex) when (StoreErrors.IsUnavailable(ex))
            {
                LogStoreUnavailable(ex.GetType().Name, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCheckFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One check of every digest; returns the number of digest periods this instance sent.</summary>
    public async Task<int> CheckAsync(CancellationToken ct)
    {
        var o = options.CurrentValue;
        var sent = 0;
        foreach (var (name, d) in o.Digests)
        {
            try
            {
                if (await CheckOneAsync(name, d, o, ct)) sent++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !StoreErrors.IsUnavailable(ex))
            {
                LogDigestFailed(ex, name); // one broken digest does not hold back the others; it is tried again at the next check
            }
        }
        return sent;
    }

    private async Task<bool> CheckOneAsync(string name, DigestOptions d, MetricsOptions o, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var zone = DigestSchedule.ZoneOf(d, o);
        if (DigestSchedule.Latest(d, zone, now) is not { } period) return false;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        if (await db.DigestRuns.AnyAsync(r => r.Name == name && r.PeriodKey == period.Key, ct)) return false;
        var late = now - period.DueAt > o.DigestCheckInterval + Grace;
        if (late && !await db.DigestRuns.AnyAsync(r => r.Name == name, ct))
            return false; // configured after that period's time: not missed, the next period is the first

        var instance = scope.ServiceProvider.GetService<OutboxDispatcher>()?.InstanceId ?? Environment.MachineName;
        var recipients = await RecipientsAsync(scope.ServiceProvider, d, ct);
        var run = new DigestRun
        {
            Name = name, PeriodKey = period.Key, DueAt = period.DueAt, ClaimedAt = now, ClaimedBy = instance.Length > 128 ? instance[..128] : instance,
            SentAt = now, Late = late, Recipients = recipients.Count,
        };
        db.DigestRuns.Add(run);
        var note = late ? $"Sent late: OpsBot was not running at {DigestSchedule.LocalTime(period.DueAt, zone)} ({zone.Id}) when this digest was due." : "";
        await EnqueueAsync(scope.ServiceProvider, db, name, d, period, recipients, note, now, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (StoreErrors.IsUniqueViolation(ex))
        {
            return false; // another instance claimed this period first
        }
        scope.ServiceProvider.GetService<OutboxDispatcher>()?.Wake();
        LogSent(name, period.Key, recipients.Count, late);
        return true;
    }

    /// <summary>One card per recipient, each with what that person may see, as outbox rows in <paramref name="db"/>'s unit of work.</summary>
    private static async Task EnqueueAsync(IServiceProvider sp, OpsBotDbContext db, string name, DigestOptions d, DigestPeriod period,
        List<string> recipients, string note, DateTime now, CancellationToken ct)
    {
        var builder = sp.GetRequiredService<DigestContentBuilder>();
        var cards = sp.GetRequiredService<CardTemplates>();
        var references = sp.GetRequiredService<ConversationReferences>();
        var alerts = sp.GetRequiredService<IOptions<AlertOptions>>().Value;
        var bot = sp.GetRequiredService<IOptions<BotOptions>>().Value;
        var access = sp.GetRequiredService<CustomerAccess>();
        // Recipients who may see the same customers get the same card: computed and serialized once for all of them.
        var byAccess = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var recipient in recipients)
        {
            var reference = await references.FindPersonalAsync(recipient, ct);
            var viewer = new Viewer(recipient, reference?.UserAadObjectId, recipient);
            var key = string.Join(',', (await access.HiddenFromAsync(viewer, ct)).Order());
            if (!byAccess.TryGetValue(key, out var json))
            {
                var model = await builder.BuildAsync(name, d, period, viewer, now, note, ct);
                byAccess[key] = json = Outbox.SerializeCard(cards, "digest", model, model.Title);
            }
            // A person OpsBot has talked to gets it in that chat; anyone else through a new 1:1 chat created from the id
            // (refused by Teams while the app is not installed for them: the outbox then records the recipient as unreachable).
            DeliveryTarget target = reference is not null
                ? new DeliveryTarget.Conversation(reference.ServiceUrl, reference.TenantId, reference.ConversationId)
                : new DeliveryTarget.Person(alerts.ServiceUrl ?? bot.DefaultServiceUrl, alerts.TenantId ?? "", recipient);
            db.EnqueueSend(target, json, $"digest:{name}:{period.Key}:{recipient}", now, "digest", $"{name}:{period.Key}");
        }
    }

    /// <summary>The audience's people: ids as given, and the words leadership, managers and executives for those groups.</summary>
    public static async Task<List<string>> RecipientsAsync(IServiceProvider sp, DigestOptions d, CancellationToken ct)
    {
        var metrics = sp.GetRequiredService<IOptions<MetricsOptions>>().Value;
        var people = sp.GetRequiredService<IOptions<PeopleOptions>>().Value;
        var result = new List<string>();
        foreach (var entry in d.Audience.Select(a => a.Trim()).Where(a => a.Length > 0))
        {
            switch (entry.ToLowerInvariant())
            {
                case "leadership": result.AddRange(people.Leadership); break;
                case "managers": result.AddRange(metrics.Teams.Values.Select(t => t.Manager)); break;
                case "executives":
                    result.AddRange(await sp.GetRequiredService<OpsBotDbContext>().Executives.AsNoTracking().OrderBy(x => x.Id).Select(x => x.UserId).ToListAsync(ct));
                    break;
                default: result.Add(entry); break;
            }
        }
        return result.Where(r => r.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Digest check paused: the database is unavailable ({Error}: {Message}); it runs again at the next interval")]
    private partial void LogStoreUnavailable(string error, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Digest {Name} for {Period} queued to {Count} recipient(s) (late: {Late})")]
    private partial void LogSent(string name, string period, int count, bool late);

    [LoggerMessage(Level = LogLevel.Error, Message = "Digest {Name} could not be sent; it is tried again at the next check")]
    private partial void LogDigestFailed(Exception ex, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Digest check failed")]
    private partial void LogCheckFailed(Exception ex);
}
