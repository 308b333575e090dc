using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using OpsBot.BotFramework;
using OpsBot.Data;

namespace OpsBot.Conversations;

/// <summary>
/// Group commit for the <see cref="ProcessedActivity"/> log on SQLite and PostgreSQL: claims, answers and forgets queue here and
/// one writer commits everything pending in one transaction, so 20 concurrent messages cost one commit instead of 20 serialized
/// ones. A caller's task completes only after its batch is committed, so the record is as durable as with one transaction per
/// activity. At shutdown it commits whatever is still queued once every hosted service has stopped (<see cref="StoppedAsync"/>),
/// that is after Kestrel has drained its requests and <see cref="BackgroundTurns"/> has finished the running turns.
/// </summary>
public sealed partial class InboundActivityWriter : IHostedLifecycleService
{
    private const int MaxBatch = 256;
    private const string Where = """ WHERE "ChannelId" = @channel AND "ConversationId" = @conversation AND "ActivityId" = @activity""";
    private const string ClaimSql = """
        INSERT INTO "ProcessedActivities" ("ChannelId", "ConversationId", "ActivityId", "CreatedAt") VALUES (@channel, @conversation, @activity, @now)
        ON CONFLICT ("ChannelId", "ConversationId", "ActivityId") DO NOTHING
        """;
    private const string CompleteSql = """UPDATE "ProcessedActivities" SET "CompletedAt" = @now, "ResponseStatus" = @status, "ResponseBody" = @body""" + Where;
    private const string ForgetSql = """DELETE FROM "ProcessedActivities" """ + Where;
    private const string ClaimedAtSql = """SELECT "CreatedAt" FROM "ProcessedActivities" """ + Where;

    private readonly Channel<Write> _queue = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<InboundActivityWriter> _log;
    private readonly Lazy<Task> _loop;
    private AsyncServiceScope? _connectionScope;
    private readonly int _retryCount;
    private readonly TimeSpan _maxRetryDelay;

    public InboundActivityWriter(IServiceScopeFactory scopes, IOptions<DatabaseOptions> database, ILogger<InboundActivityWriter> log)
    {
        _scopes = scopes;
        _log = log;
        // SQL Server has no INSERT … ON CONFLICT DO NOTHING; it keeps one EF transaction per record (StoredInboundActivityLog).
        Enabled = database.Value.Provider is DatabaseProvider.Sqlite or DatabaseProvider.Postgres;
        _retryCount = database.Value.RetryCount;
        _maxRetryDelay = database.Value.MaxRetryDelay;
        _loop = new Lazy<Task>(() => Task.Run(RunAsync));
    }

    public bool Enabled { get; }

    /// <summary>Inserts the record unless one exists; true when this caller now owns the activity.</summary>
    public Task<bool> ClaimAsync(InboundActivityKey key, DateTime now) => Enqueue(new Write(WriteKind.Claim, key, now, null, null));

    public Task CompleteAsync(InboundActivityKey key, DateTime now, int? status, string? body) =>
        Enqueue(new Write(WriteKind.Complete, key, now, status, body));

    public Task ForgetAsync(InboundActivityKey key) => Enqueue(new Write(WriteKind.Forget, key, default, null, null));

    private Task<bool> Enqueue(Write write)
    {
        if (!Enabled) throw new InvalidOperationException("The batched inbound activity writer serves SQLite and PostgreSQL only.");
        _ = _loop.Value;
        if (!_queue.Writer.TryWrite(write)) throw new ObjectDisposedException(nameof(InboundActivityWriter), "The host is shutting down.");
        return write.Done.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<Write>(MaxBatch);
        while (batch.Count > 0 || await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var write)) batch.Add(write);
            try
            {
                await CommitAsync(batch);
                foreach (var w in batch) w.Done.TrySetResult(w.Applied);
            }
            catch (Exception ex) when (!StoreErrors.IsUnavailable(ex) && batch.Count > 1)
            {
                // One bad record must not fail its neighbours: each is written alone, and only the bad one fails.
                LogBatchSplit(ex.GetType().Name, batch.Count);
                foreach (var w in batch) await CommitAloneAsync(w);
            }
            catch (Exception ex)
            {
                if (StoreErrors.IsUnavailable(ex)) LogBatchUnavailable(batch.Count, ex.GetType().Name, ex.Message);
                else LogBatchFailed(ex, batch.Count);
                foreach (var w in batch) w.Done.TrySetException(ex);
                batch.Clear();
                if (StoreErrors.IsUnavailable(ex)) FailWaitingClaims(ex, batch);
                continue;
            }
            batch.Clear();
        }
    }

    private async Task CommitAloneAsync(Write write)
    {
        try
        {
            await CommitAsync([write]);
            write.Done.TrySetResult(write.Applied);
        }
        catch (Exception ex)
        {
            LogBatchFailed(ex, 1);
            write.Done.TrySetException(ex);
        }
    }

    /// <summary>
    /// Claims queued while a batch spent the retry budget on an unavailable store fail at once (their requests are answered 503
    /// and redelivered) instead of waiting out a second budget; completes and forgets stay queued for the next batch.
    /// </summary>
    private void FailWaitingClaims(Exception ex, List<Write> next)
    {
        while (next.Count < MaxBatch && _queue.Reader.TryRead(out var write))
        {
            if (write.Kind == WriteKind.Claim) write.Done.TrySetException(ex);
            else next.Add(write);
        }
    }

    /// <summary>
    /// Commits the batch, retrying on a new connection: once after any failure before the commit, and with back-off up to
    /// <c>Database:RetryCount</c> times while the store is unavailable. When a commit's outcome is unknown (the connection
    /// broke during it), the next try tells a claim that committed then (its row carries this claim's time) from an earlier
    /// delivery's; completes and forgets are idempotent.
    /// </summary>
    private async Task CommitAsync(List<Write> batch)
    {
        var commitUnknown = false;
        for (var attempt = 1; ; attempt++)
        {
            var committing = false;
            try
            {
                await CommitOnceAsync(batch, commitUnknown, () => committing = true);
                return;
            }
            catch (Exception ex)
            {
                // A broken connection is not reused.
                await CloseConnectionAsync();
                var unavailable = StoreErrors.IsUnavailable(ex) && ex is not RetryLimitExceededException;
                if (!unavailable && (committing || commitUnknown || attempt > 1)) throw;
                if (unavailable && attempt > _retryCount) throw;
                commitUnknown |= committing;
                LogRetrying(ex.GetType().Name, batch.Count, attempt);
                if (unavailable) await Task.Delay(Backoff(attempt));
            }
        }
    }

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(_maxRetryDelay.TotalMilliseconds, 250 * Math.Pow(2, attempt - 1) * (1 + Random.Shared.NextDouble() * 0.1)));

    private async Task CommitOnceAsync(List<Write> batch, bool commitUnknown, Action committing)
    {
        var db = await ContextAsync();
        var connection = db.Database.GetDbConnection();
        DbCommand? claim = null, complete = null, forget = null, claimedAt = null;
        try
        {
            // Through EF so that SQLite's in-process write gate (SqliteWriteGate) orders this transaction with the others.
            await using var transaction = await db.Database.BeginTransactionAsync();
            var tx = transaction.GetDbTransaction();
            foreach (var w in batch)
            {
                var cmd = w.Kind switch
                {
                    WriteKind.Claim => claim ??= Command(connection, ClaimSql, withNow: true),
                    WriteKind.Complete => complete ??= Command(connection, CompleteSql, withNow: true, "status", "body"),
                    _ => forget ??= Command(connection, ForgetSql, withNow: false),
                };
                Bind(cmd, tx, w);
                w.Applied = await cmd.ExecuteNonQueryAsync() > 0;
                if (w is { Kind: WriteKind.Claim, Applied: false } && commitUnknown)
                {
                    claimedAt ??= Command(connection, ClaimedAtSql, withNow: false);
                    Bind(claimedAt, tx, w);
                    w.Applied = await claimedAt.ExecuteScalarAsync() is { } at and not DBNull && IsSameInstant(at, w.Now);
                }
            }
            committing();
            await transaction.CommitAsync();
        }
        finally
        {
            if (claim is not null) await claim.DisposeAsync();
            if (complete is not null) await complete.DisposeAsync();
            if (forget is not null) await forget.DisposeAsync();
            if (claimedAt is not null) await claimedAt.DisposeAsync();
        }
    }

    private static void Bind(DbCommand cmd, DbTransaction tx, Write w)
    {
        cmd.Transaction = tx;
        cmd.Parameters["channel"].Value = w.Key.ChannelId;
        cmd.Parameters["conversation"].Value = w.Key.ConversationId;
        cmd.Parameters["activity"].Value = w.Key.ActivityId;
        if (cmd.Parameters.Contains("now")) cmd.Parameters["now"].Value = w.Now;
        if (w.Kind == WriteKind.Complete)
        {
            cmd.Parameters["status"].Value = (object?)w.Status ?? DBNull.Value;
            cmd.Parameters["body"].Value = (object?)w.Body ?? DBNull.Value;
        }
    }

    /// <summary>The stored claim time against this claim's (PostgreSQL keeps microseconds, SQLite text).</summary>
    private static bool IsSameInstant(object stored, DateTime now)
    {
        var at = stored is DateTime d ? d : DateTime.Parse(Convert.ToString(stored, System.Globalization.CultureInfo.InvariantCulture)!, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
        return Math.Abs((at.ToUniversalTime() - now).TotalMilliseconds) < 1;
    }

    /// <summary>The writer's own DbContext with its connection opened once and kept across batches.</summary>
    private async Task<OpsBotDbContext> ContextAsync()
    {
        if (_connectionScope is { } open) return open.ServiceProvider.GetRequiredService<OpsBotDbContext>();
        var scope = _scopes.CreateAsyncScope();
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>();
            // Not through the execution strategy (DatabaseFacade.OpenConnectionAsync): CommitAsync retries itself.
            await db.GetService<IRelationalConnection>().OpenAsync(CancellationToken.None);
            _connectionScope = scope;
            return db;
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }
    }

    private async Task CloseConnectionAsync()
    {
        if (_connectionScope is not { } scope) return;
        _connectionScope = null;
        await scope.DisposeAsync();
    }

    private static DbCommand Command(DbConnection connection, string sql, bool withNow, params string[] nullable)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var name in (string[])["channel", "conversation", "activity"]) Add(cmd, name, System.Data.DbType.String);
        // No DbType for the timestamp: each provider maps a UTC DateTime the way EF stores it (SQLite text, PostgreSQL timestamptz).
        if (withNow) Add(cmd, "now", null);
        foreach (var name in nullable) Add(cmd, name, name == "status" ? System.Data.DbType.Int32 : System.Data.DbType.String);
        return cmd;
    }

    private static void Add(DbCommand cmd, string name, System.Data.DbType? type)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        if (type is { } t) p.DbType = t;
        cmd.Parameters.Add(p);
    }

    /// <summary>Stops taking writes and commits the queued ones.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (!_loop.IsValueCreated) return;
        try
        {
            await _loop.Value.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            LogShutdownTimeout();
            return;
        }
        await CloseConnectionAsync();
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private enum WriteKind { Claim, Complete, Forget }

    private sealed record Write(WriteKind Kind, InboundActivityKey Key, DateTime Now, int? Status, string? Body)
    {
        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Applied { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} inbound activity records failed ({Error}, try {Attempt}); retrying on a new connection")]
    private partial void LogRetrying(string error, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown timeout: inbound activity records still queued were not committed")]
    private partial void LogShutdownTimeout();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing {Count} inbound activity records failed: the database is unavailable ({Error}: {Message})")]
    private partial void LogBatchUnavailable(int count, string error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing {Count} inbound activity records failed ({Error}); writing each alone")]
    private partial void LogBatchSplit(string error, int count);
    [LoggerMessage(Level = LogLevel.Error, Message = "Committing {Count} inbound activity records failed")]
    private partial void LogBatchFailed(Exception ex, int count);
}
