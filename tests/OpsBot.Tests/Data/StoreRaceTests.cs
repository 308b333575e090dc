using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpsBot.Alerts;
using OpsBot.Api;
using OpsBot.BotFramework;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Data;

/// <summary>
/// Expected races on one store: two instances seeding routes at start, first messages of a new conversation, concurrent KPI
/// readings. Each settles with correct rows, clear answers and no Error in the logs (EF Core's included).
/// </summary>
public abstract class StoreRaceTests(DatabaseProvider provider) : IAsyncLifetime
{
    private const string ApiKey = "kpi-secret-key";
    private readonly CapturingLoggerProvider _logs = new();
    private readonly List<OpsBotFactory> _apps = [];
    private FakeConnector _connector = null!;
    private string? _connectionString;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync()
    {
        _connector = await FakeConnector.StartAsync();
        // Every instance shares the first one's database (a SQLite file or a PostgreSQL database).
        _connectionString = await ConnectionStringAsync() ?? $"Data Source={Path.Combine(Path.GetTempPath(), "opsbot-tests", Guid.NewGuid().ToString("n") + ".db")}";
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "opsbot-tests"));
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        await _connector.DisposeAsync();
        if (provider == DatabaseProvider.Sqlite) File.Delete(_connectionString!["Data Source=".Length..]);
    }

    private OpsBotFactory NewApp(bool withRoutes = true)
    {
        var app = new OpsBotFactory(provider, _connectionString);
        var s = app.Settings;
        s["Api:Keys:kpi"] = ApiKeyHandler.Hash(ApiKey);
        s["Messaging:PollInterval"] = "00:00:00.050";
        s["Alerts:ServiceUrl"] = _connector.ServiceUrl;
        s["Alerts:TenantId"] = Activities.TenantId;
        s["Alerts:TimerInterval"] = "01:00:00";
        if (withRoutes)
        {
            for (var i = 0; i < 6; i++)
            {
                s[$"Alerts:Routes:{i}:Name"] = $"route-{i}";
                s[$"Alerts:Routes:{i}:Kind"] = "late-shipment";
                s[$"Alerts:Routes:{i}:Channels:0:TeamId"] = $"team-{i}";
                s[$"Alerts:Routes:{i}:Channels:0:ChannelId"] = $"19:route-{i}@thread.tacv2";
                s[$"Alerts:Routes:{i}:People:0"] = $"29:lead-{i}";
            }
        }
        s["Alerts:Kpis:on-time-delivery:Direction"] = "Below";
        s["Alerts:Kpis:on-time-delivery:Warning"] = "95";
        s["Alerts:Kpis:on-time-delivery:Critical"] = "90";
        s["Alerts:Kpis:on-time-delivery:Margin"] = "1";
        s["Alerts:Kpis:on-time-delivery:Kind"] = "late-shipment";
        s["Alerts:Kpis:on-time-delivery:Account"] = "Contoso";
        app.TestServices = services => services.AddSingleton<ILoggerProvider>(_logs);
        _apps.Add(app);
        return app;
    }

    private List<string> Errors() => _logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToList();

    private static void AssertNoErrors(List<string> errors) => Assert.True(errors.Count == 0, string.Join("\n\n", errors.Take(3)));

    [Fact]
    public async Task Two_instances_starting_at_once_seed_the_routes_once_without_logging_errors()
    {
        _ = NewApp(withRoutes: false).Services; // migrates the shared database
        _logs.Lines.Clear(); // EF Core logs the missing history table of a fresh PostgreSQL database as a failed command
        var a = NewApp();
        var b = NewApp();
        await Task.WhenAll(Task.Run(() => a.Services), Task.Run(() => b.Services));
        Assert.Equal(6, await a.WithDbAsync(db => db.AlertRoutes.CountAsync()));

        // The start-up race above is narrow; replay it many times against the empty table, both instances at once.
        for (var round = 0; round < 8; round++)
        {
            await a.WithDbAsync(db => db.AlertRoutes.ExecuteDeleteAsync());
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
                (i % 2 == 0 ? a : b).Services.GetRequiredService<AlertTimers>().SeedRoutesAsync(CancellationToken.None))));
            var routes = await b.WithDbAsync(db => db.AlertRoutes.Include(r => r.Channels).AsNoTracking().ToListAsync());
            Assert.Equal(Enumerable.Range(0, 6).Select(i => $"route-{i}"), routes.Select(r => r.Name).Order(StringComparer.Ordinal));
            Assert.All(routes, r => Assert.Single(r.Channels));
        }
        AssertNoErrors(Errors());
    }

    [Fact]
    public async Task Many_first_messages_of_a_new_conversation_store_one_reference_without_logging_errors()
    {
        var app = NewApp();
        var client = app.CreateClient();
        _logs.Lines.Clear(); // EF Core logs the missing history table of a fresh PostgreSQL database as a failed command
        for (var round = 0; round < 4; round++)
        {
            var conversation = $"a:new-conversation-{round}";
            var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
                client.PostActivityAsync(Activities.Message(_connector.ServiceUrl, "help", conversationId: conversation))));
            Assert.All(answers, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            var rows = await app.WithDbAsync(db => db.ConversationReferences.AsNoTracking().Where(r => r.ConversationId == conversation).ToListAsync());
            var row = Assert.Single(rows);
            Assert.Equal(_connector.ServiceUrl, row.ServiceUrl);
            Assert.Equal(Activities.TenantId, row.TenantId);
            Assert.Equal("29:rep-one", row.UserId);
        }
        Assert.Equal(64, _connector.Posts.Count(p => p.Body?["type"]?.GetValue<string>() == "message"));
        AssertNoErrors(Errors());
    }

    [Fact]
    public async Task Sixteen_concurrent_readings_of_one_KPI_are_all_stored_and_raise_one_alert()
    {
        var app = NewApp();
        var client = app.CreateClient();
        _logs.Lines.Clear(); // EF Core logs the missing history table of a fresh PostgreSQL database as a failed command
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var values = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? 93.5m : 89m).ToList();

        var answers = await Task.WhenAll(values.Select(v => client.PostAsJsonAsync("/api/kpis/on-time-delivery/readings", new { value = v })));

        var statuses = answers.Select(r => (int)r.StatusCode).ToList();
        Assert.True(statuses.All(s => s is >= 200 and < 300), "answers: " + string.Join(",", statuses));
        var readings = await app.WithDbAsync(db => db.KpiReadings.AsNoTracking().OrderBy(r => r.Id).ToListAsync());
        Assert.Equal(16, readings.Count);
        Assert.Equal(values.Order(), readings.Select(r => r.Value).Order());
        var alerts = await app.WithDbAsync(db => db.Alerts.AsNoTracking().Where(a => a.KpiName == "on-time-delivery").ToListAsync());
        var alert = Assert.Single(alerts);
        var state = await app.WithDbAsync(db => db.KpiStates.AsNoTracking().SingleAsync());
        Assert.Equal(readings[^1].Level, state.Level);
        Assert.Equal(alert.Id, state.AlertId);
        Assert.Equal(readings[^1].Value, state.LastValue);
        // The level history is a valid hysteresis path: each reading's level follows from the previous one.
        var kpi = new KpiOptions { Direction = KpiDirection.Below, Warning = 95, Critical = 90, Margin = 1 };
        var level = KpiLevel.Normal;
        foreach (var r in readings)
        {
            level = KpiMonitor.Evaluate(kpi, level, r.Value);
            Assert.Equal(level, r.Level);
        }
        AssertNoErrors(Errors());
    }
}

public sealed class SqliteStoreRaceTests() : StoreRaceTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreRaceTests(PostgresServer server) : StoreRaceTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
