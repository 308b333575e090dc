using Microsoft.EntityFrameworkCore;
using Npgsql;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Data;

/// <summary>
/// OpsBot's Npgsql defaults: recurring statements are prepared once per pooled connection, planned once, and survive the
/// connection's return to the pool; whatever the connection string sets itself is kept.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresConnectionTests(PostgresServer server)
{
    [Fact]
    public void Defaults_apply_only_where_the_connection_string_is_silent()
    {
        var defaults = new NpgsqlConnectionStringBuilder(DataExtensions.WithNpgsqlDefaults("Host=127.0.0.1;Database=opsbot"));
        Assert.Equal(100, defaults.MaxAutoPrepare);
        Assert.Equal(2, defaults.AutoPrepareMinUsages);
        Assert.True(defaults.NoResetOnClose);
        Assert.Equal("-c plan_cache_mode=force_generic_plan", defaults.Options);

        var own = new NpgsqlConnectionStringBuilder(DataExtensions.WithNpgsqlDefaults(
            "Host=127.0.0.1;Database=opsbot;MaxAutoPrepare=0;Auto Prepare Min Usages=5;No Reset On Close=false;Options=-c plan_cache_mode=auto"));
        Assert.Equal(0, own.MaxAutoPrepare);
        Assert.Equal(5, own.AutoPrepareMinUsages);
        Assert.False(own.NoResetOnClose);
        Assert.Equal("-c plan_cache_mode=auto", own.Options);

        var options = new NpgsqlConnectionStringBuilder(DataExtensions.WithNpgsqlDefaults("Host=127.0.0.1;Options=-c statement_timeout=5000"));
        Assert.Equal("-c statement_timeout=5000 -c plan_cache_mode=force_generic_plan", options.Options);
    }

    [Fact]
    public async Task A_recurring_query_is_prepared_on_its_pooled_connection_and_stays_prepared_after_going_back_to_the_pool()
    {
        await using var app = new OpsBotFactory(DatabaseProvider.Postgres, await server.CreateDatabaseAsync());
        var (backend, prepared, mode) = await app.WithDbAsync(async db =>
        {
            await db.Database.OpenConnectionAsync();
            for (var id = 0; id < 3; id++) await db.Escalations.Where(c => c.Id == id).CountAsync();
            return (((NpgsqlConnection)db.Database.GetDbConnection()).ProcessID, await PreparedAsync(db), await ScalarAsync(db, "SHOW plan_cache_mode"));
        });
        Assert.Equal(1, prepared);
        Assert.Equal("force_generic_plan", mode);

        // Later requests get pooled connections; the one that served the query above still has it prepared (no reset on return).
        for (var request = 0; ; request++)
        {
            var (pid, stillPrepared) = await app.WithDbAsync(async db =>
            {
                await db.Database.OpenConnectionAsync();
                return (((NpgsqlConnection)db.Database.GetDbConnection()).ProcessID, await PreparedAsync(db));
            });
            if (pid != backend)
            {
                Assert.True(request < 20, "the pool never handed the first connection back");
                continue;
            }
            Assert.Equal(1, stillPrepared);
            break;
        }
    }

    [Fact]
    public async Task A_transaction_whose_connection_the_server_dropped_counts_as_the_store_being_unavailable()
    {
        await using var app = new OpsBotFactory(DatabaseProvider.Postgres, await server.CreateDatabaseAsync());
        var (first, second) = await app.WithDbAsync(db => db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await db.Database.OpenConnectionAsync();
            await using var tx = await db.Database.BeginTransactionAsync();
            var backend = ((NpgsqlConnection)db.Database.GetDbConnection()).ProcessID;
            await using (var admin = new NpgsqlConnection(db.Database.GetConnectionString()))
            {
                await admin.OpenAsync();
                await using var kill = new NpgsqlCommand($"SELECT pg_terminate_backend({backend})", admin);
                await kill.ExecuteScalarAsync();
            }
            // The first statement finds the connection gone; the next one in the same transaction is refused before it is sent.
            var first = await Record.ExceptionAsync(() => db.Escalations.CountAsync());
            var second = await Record.ExceptionAsync(() => db.Escalations.Where(c => c.Id == 1).ExecuteUpdateAsync(u => u.SetProperty(c => c.Version, 2)));
            return (first, second);
        }));
        Assert.True(StoreErrors.IsUnavailable(first), first?.ToString());
        Assert.IsType<InvalidOperationException>(second);
        Assert.True(StoreErrors.IsUnavailable(second), second.ToString());
        Assert.False(StoreErrors.IsUnavailable(new InvalidOperationException("Transaction is already completed")), "only Npgsql's own refusal counts");
    }

    private static async Task<int> PreparedAsync(OpsBotDbContext db) => Convert.ToInt32(
        await ScalarAsync(db, """
            SELECT count(*) FROM pg_prepared_statements
            WHERE statement LIKE '%FROM "Escalations"%' AND statement NOT LIKE '%pg_prepared_statements%'
            """),
        System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> ScalarAsync(OpsBotDbContext db, string sql)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
