using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using OpsBot.Data;

namespace OpsBot.People;

/// <summary>
/// The whole executive directory with delegates (active or not, by name), shared by all requests: every escalation card render
/// and access check reads it, and it changes only through admin commands, seeding and the Graph sync. A save in this process
/// that touches the directory invalidates it at once (<see cref="Invalidation"/>); <see cref="DirectoryOptions.CacheDuration"/>
/// bounds how long a change made by another instance sharing the store goes unseen. Callers must not modify what it returns.
/// </summary>
public sealed class DirectoryCache(TimeProvider time, IOptions<PeopleOptions> options)
{
    private long _version;
    private Snapshot? _snapshot;

    private sealed record Snapshot(long Version, long LoadedAt, IReadOnlyList<Executive> Executives);

    private static readonly PerModel<Func<OpsBotDbContext, IAsyncEnumerable<Executive>>> Query = new(() => EF.CompileAsyncQuery<OpsBotDbContext, Executive>(
        (OpsBotDbContext db) => db.Executives.AsNoTracking().Include(e => e.Delegates).OrderBy(e => e.DisplayName)));

    public async Task<IReadOnlyList<Executive>> GetAsync(OpsBotDbContext db, CancellationToken ct)
    {
        var version = Volatile.Read(ref _version);
        if (_snapshot is { } s && s.Version == version && time.GetElapsedTime(s.LoadedAt) < options.Value.Directory.CacheDuration)
            return s.Executives;
        var loadedAt = time.GetTimestamp();
        var all = new List<Executive>();
        await foreach (var e in Query.For(db)(db).WithCancellation(ct)) all.Add(e);
        // Stamped with the version read before loading: a change saved meanwhile has moved the version on, so this copy is not reused.
        _snapshot = new Snapshot(version, loadedAt, all);
        return all;
    }

    public void Invalidate() => Interlocked.Increment(ref _version);

    /// <summary>
    /// Invalidates the cache after every save with a directory row among its tracked entities (after, so that a copy loaded while
    /// the save was under way is not reused either; conservatively, because a row may have been changed without EF having
    /// detected it yet).
    /// </summary>
    public sealed class Invalidation(DirectoryCache cache) : SaveChangesInterceptor
    {
        private readonly System.Runtime.CompilerServices.ConditionalWeakTable<DbContext, object> _saving = new();

        public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
        {
            Check(eventData.Context);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
            CancellationToken cancellationToken = default)
        {
            Check(eventData.Context);
            return ValueTask.FromResult(result);
        }

        public override int SavedChanges(SaveChangesCompletedEventData eventData, int result) => After(eventData.Context, result);

        public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(After(eventData.Context, result));

        public override void SaveChangesFailed(DbContextErrorEventData eventData) => After(eventData.Context, 0);

        public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
        {
            After(eventData.Context, 0);
            return Task.CompletedTask;
        }

        private void Check(DbContext? db)
        {
            if (db is null) return;
            var tracker = db.ChangeTracker;
            var detect = tracker.AutoDetectChangesEnabled;
            tracker.AutoDetectChangesEnabled = false; // the save detects changes itself right after this
            try
            {
                foreach (var entry in tracker.Entries())
                    if (entry.Entity is Executive or ExecutiveDelegate or ExecutiveSponsorship or ExecutiveTimeOff)
                    {
                        _saving.AddOrUpdate(db, this);
                        return;
                    }
            }
            finally { tracker.AutoDetectChangesEnabled = detect; }
        }

        private int After(DbContext? db, int result)
        {
            if (db is not null && _saving.Remove(db)) cache.Invalidate();
            return result;
        }
    }
}
