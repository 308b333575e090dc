using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Data;

/// <summary>
/// A unique-key collision that OpsBot expects and handles (two first activities of one conversation, two instances
/// claiming one row) is not an error: EF Core's own "failed executing DbCommand" / "exception while saving changes"
/// entries are not logged at Error, so an operator's error log shows only what needs them.
/// </summary>
public abstract class ExpectedRaceLoggingTests(DatabaseProvider provider) : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _logs = new();
    private OpsBotFactory _app = null!;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        _app = new OpsBotFactory(provider, await ConnectionStringAsync());
        _app.TestServices = s => s.AddLogging(l => l.AddProvider(new Capture(_logs)));
        _ = _app.Server;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_handled_unique_key_collision_logs_no_error()
    {
        var id = "a:race-" + Guid.NewGuid().ToString("n");
        ConversationReferenceRecord Row() => new() { ConversationId = id, ServiceUrl = "http://127.0.0.1:1/", ChannelId = "msteams", UpdatedAt = DateTime.UtcNow };
        await _app.WithDbAsync(async db => { db.ConversationReferences.Add(Row()); return await db.SaveChangesAsync(); });

        var collided = await _app.WithDbAsync(async db =>
        {
            db.ConversationReferences.Add(Row());
            try { await db.SaveChangesAsync(); return false; }
            catch (DbUpdateException) { return true; }
        });

        Assert.True(collided);
        Assert.DoesNotContain(_logs, l => l.Level >= LogLevel.Error && l.Category.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
    }

    private sealed class Capture(ConcurrentQueue<(string, LogLevel, string)> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, logs);
        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}

public sealed class SqliteExpectedRaceLoggingTests() : ExpectedRaceLoggingTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresExpectedRaceLoggingTests(PostgresServer server) : ExpectedRaceLoggingTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
