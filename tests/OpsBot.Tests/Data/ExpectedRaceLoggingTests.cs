using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
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
    private readonly CapturingLoggerProvider _logs = new();
    private OpsBotFactory _app = null!;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        _app = new OpsBotFactory(provider, await ConnectionStringAsync());
        _app.TestServices = s => s.AddLogging(l => l.AddProvider(_logs));
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
        Assert.DoesNotContain(_logs.Lines, l => l.StartsWith("Error Microsoft.EntityFrameworkCore", StringComparison.Ordinal) || l.StartsWith("Critical Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
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
