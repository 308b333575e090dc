using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsBot.Audit;
using OpsBot.Customers;
using OpsBot.Data;

namespace OpsBot.Commitments;

/// <summary>
/// The ERP hand-off. Feed rows are written with the commitment (same transaction) and numbered later, in commit order, by
/// <see cref="SequencePendingAsync"/>: a row only gets a sequence once it is visible, so a reader's cursor never skips a row
/// that committed late. Rows are immutable snapshots keyed (commitment, version).
/// </summary>
public static class ErpFeed
{
    public const string WebhookCursor = "webhook";

    private static readonly JsonSerializerOptions Snapshot = new(JsonSerializerDefaults.Web);

    /// <summary>Adds the snapshot of version <see cref="CommitmentView.Version"/> of the commitment to the caller's unit of work.</summary>
    public static void Append(OpsBotDbContext db, Commitment c, CommitmentView view, DateTime now) =>
        db.ErpFeed.Add(new ErpFeedEntry
        {
            Commitment = c, OpportunityId = c.OpportunityId, CustomerId = c.CustomerId, Version = view.Version, CreatedAt = now,
            PayloadJson = JsonSerializer.Serialize(view, Snapshot),
        });

    /// <summary>
    /// Numbers the visible unnumbered entries, in id order, in one transaction. Each entry is numbered only while it still has no
    /// sequence, so when several readers number at once exactly one wins each entry: a loser finds an entry already numbered (or
    /// its number taken, the unique index) and rolls back, and an entry never gets a second number.
    /// </summary>
    public static async Task SequencePendingAsync(OpsBotDbContext db, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var pending = await db.ErpFeed.Where(e => e.Sequence == null).OrderBy(e => e.Id).Take(500).Select(e => e.Id).ToListAsync(ct);
            if (pending.Count == 0) return;
            try
            {
                var numberedAll = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
                {
                    await using var transaction = await db.Database.BeginTransactionAsync(ct);
                    var next = (await db.ErpFeed.MaxAsync(e => e.Sequence, ct) ?? 0) + 1;
                    var numbered = 0;
                    foreach (var id in pending)
                    {
                        var sequence = next + numbered;
                        if (await db.ErpFeed.Where(e => e.Id == id && e.Sequence == null).ExecuteUpdateAsync(s => s.SetProperty(e => e.Sequence, sequence), ct) == 0) break;
                        numbered++;
                    }
                    if (numbered < pending.Count)
                    {
                        await transaction.RollbackAsync(ct);
                        return false;
                    }
                    await transaction.CommitAsync(ct);
                    return true;
                });
                if (!numberedAll) continue; // another reader numbered them at the same moment; read again
                if (pending.Count < 500) return;
            }
            catch (Exception ex) when (StoreErrors.IsUniqueViolation(ex))
            {
                // Another reader took these numbers at the same moment; read again.
            }
        }
    }

    public sealed record FeedItem(long Sequence, string OpportunityId, string AccountNumber, int Version, DateTime PublishedAt, JsonNode? Commitment);

    public sealed record FeedPage(IReadOnlyList<FeedItem> Items, string Next);

    /// <summary>Entries after <paramref name="since"/> in order; entries of accounts the client may not see are skipped (the cursor still moves past them).</summary>
    public static async Task<FeedPage> ReadAsync(OpsBotDbContext db, long since, int limit, Viewer viewer, CancellationToken ct)
    {
        await SequencePendingAsync(db, ct);
        var rows = await db.ErpFeed.AsNoTracking().Where(e => e.Sequence > since).OrderBy(e => e.Sequence).Take(limit)
            .Select(e => new { e.Sequence, e.OpportunityId, e.Version, e.CreatedAt, e.PayloadJson, e.CustomerId }).ToListAsync(ct);
        var accountIds = rows.Select(r => r.CustomerId).Distinct().ToList();
        var accounts = await db.Customers.AsNoTracking().Include(a => a.Members).Where(a => accountIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);
        var items = rows.Where(r => CustomerAccess.CanSee(accounts[r.CustomerId], viewer))
            .Select(r => new FeedItem(r.Sequence!.Value, r.OpportunityId, accounts[r.CustomerId].Number, r.Version, r.CreatedAt, JsonNode.Parse(r.PayloadJson)))
            .ToList();
        var next = rows.Count > 0 ? rows[^1].Sequence!.Value : since;
        return new FeedPage(items, next.ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// Pushes feed entries, in order, to <c>Commitments:ErpWebhook:Url</c>; the delivered position is a row in the store, so a
/// restart resumes where it stopped. A failed POST is retried with exponential backoff and nothing after it is sent first.
/// </summary>
public sealed partial class ErpWebhookPusher(IServiceScopeFactory scopes, IHttpClientFactory http, IOptions<CommitmentOptions> options,
    TimeProvider time, ILogger<ErpWebhookPusher> log) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value.ErpWebhook;
        if (string.IsNullOrWhiteSpace(o.Url)) return;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var (sent, failed) = await PushOnceAsync(o, stoppingToken);
                failures = failed ? failures + 1 : 0;
                wait = failed ? Backoff(o, failures) : sent > 0 ? TimeSpan.Zero : o.PollInterval;
            }
            catch (Exception ex) when (StoreErrors.IsUnavailable(ex))
            {
                failures++;
                LogStoreUnavailable(ex.GetType().Name, ex.Message);
                wait = Backoff(o, failures);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures++;
                LogPushFailed(ex);
                wait = Backoff(o, failures);
            }
            if (wait > TimeSpan.Zero)
            {
                try { await Task.Delay(wait, time, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private static TimeSpan Backoff(ErpWebhookOptions o, int failures) =>
        TimeSpan.FromTicks(Math.Min(o.RetryMax.Ticks, o.RetryBase.Ticks * (1L << Math.Min(failures - 1, 20))));

    /// <summary>Delivers the next batch; returns how many were delivered and whether a POST failed.</summary>
    public async Task<(int Sent, bool Failed)> PushOnceAsync(ErpWebhookOptions o, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var cursor = await db.ErpCursors.FirstOrDefaultAsync(c => c.Name == ErpFeed.WebhookCursor, ct);
        if (cursor is null)
        {
            cursor = new ErpCursor { Name = ErpFeed.WebhookCursor, UpdatedAt = time.GetUtcNow().UtcDateTime };
            db.ErpCursors.Add(cursor);
            await db.SaveChangesAsync(ct);
        }
        var page = await ErpFeed.ReadAsync(db, cursor.Position, o.BatchSize, new Viewer("erp-webhook", null, "ERP webhook", Trusted: true), ct);
        var client = http.CreateClient(nameof(ErpWebhookPusher));
        var sent = 0;
        foreach (var item in page.Items)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, o.Url)
            {
                Content = new StringContent(JsonSerializer.Serialize(item, Json), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            request.Headers.Add("Idempotency-Key", $"{item.OpportunityId}:v{item.Version}");
            if (!string.IsNullOrEmpty(o.ApiKey)) request.Headers.Add("X-Api-Key", o.ApiKey);
            var now = time.GetUtcNow().UtcDateTime;
            string? error = null;
            try
            {
                using var response = await client.SendAsync(request, ct);
                if (!response.IsSuccessStatusCode) error = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (HttpRequestException ex)
            {
                error = ex.Message;
            }
            catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
            {
                error = "timeout: " + ex.Message;
            }
            if (error is not null)
            {
                cursor.Attempts++;
                cursor.LastError = error.Length > 1000 ? error[..1000] : error;
                cursor.UpdatedAt = now;
                await db.SaveChangesAsync(ct);
                LogDeliveryFailed(item.Sequence, item.OpportunityId, cursor.Attempts, error);
                return (sent, true);
            }
            cursor.Position = item.Sequence;
            cursor.Attempts = 0;
            cursor.LastError = null;
            cursor.UpdatedAt = now;
            db.Audit(now, "erp-webhook", "ERP webhook", "erp-handoff", "Commitment", item.OpportunityId, note: $"v{item.Version} sequence {item.Sequence}");
            await db.SaveChangesAsync(ct);
            sent++;
        }
        if (page.Items.Count == 0 && long.Parse(page.Next, CultureInfo.InvariantCulture) > cursor.Position)
        {
            cursor.Position = long.Parse(page.Next, CultureInfo.InvariantCulture);
            await db.SaveChangesAsync(ct);
        }
        return (sent, false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "ERP webhook paused: the database is unavailable ({Error}: {Message}); retrying with back-off")]
    private partial void LogStoreUnavailable(string error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ERP webhook delivery of sequence {Sequence} ({OpportunityId}) failed, attempt {Attempt}: {Error}")]
    private partial void LogDeliveryFailed(long sequence, string opportunityId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "ERP webhook push failed")]
    private partial void LogPushFailed(Exception ex);
}
