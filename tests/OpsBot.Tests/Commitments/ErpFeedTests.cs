using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Commitments;

/// <summary>The ERP hand-off: pull cursor across restarts and the webhook push with retries; SQLite and PostgreSQL.</summary>
public abstract class ErpFeedTests(DatabaseProvider provider) : CommitmentTestBase(provider)
{
    [Fact]
    public async Task The_cursor_returns_each_commitment_version_exactly_once_across_restarts()
    {
        var db = await NewDatabaseAsync();
        var seen = new List<string>();
        string next;
        var first = NewApp(db);
        try
        {
            Client = first.CreateClient();
            await CaptureAsync("OPP-F1", po: "F1");
            await CaptureAsync("OPP-F2", po: "F2");
            await CaptureAsync("OPP-F3", po: "F3");
            await SayAsync("enrich OPP-F1 ship-date 2027-01-10");
            var api = ApiClient(ErpKey, first);
            var page = await GetJsonAsync(api, "/api/erp/commitments?limit=3");
            next = page["next"]!.ToString();
            seen.AddRange(Keys(page));
            Assert.Equal(["OPP-F1 v1", "OPP-F2 v1", "OPP-F3 v1"], seen);
            Assert.Equal(1, await first.WithDbAsync(d => d.AuditEntries.CountAsync(a => a.Action == "erp-pull")));
        }
        finally
        {
            await first.DisposeAsync();
        }

        var second = NewApp(db);
        try
        {
            Client = second.CreateClient();
            await CaptureAsync("OPP-F4", po: "F4");
            var api = ApiClient(ErpKey, second);
            for (var guard = 0; guard < 10; guard++)
            {
                var page = await GetJsonAsync(api, $"/api/erp/commitments?since={next}&limit=1");
                var keys = Keys(page);
                if (keys.Count == 0)
                {
                    Assert.Equal(next, page["next"]!.ToString());
                    break;
                }
                seen.AddRange(keys);
                Assert.True(long.Parse(page["next"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture) > long.Parse(next, System.Globalization.CultureInfo.InvariantCulture));
                next = page["next"]!.ToString();
            }
            Assert.Equal(["OPP-F1 v1", "OPP-F2 v1", "OPP-F3 v1", "OPP-F1 v2", "OPP-F4 v1"], seen);
            var f1v2 = (await GetJsonAsync(api, "/api/erp/commitments?since=3&limit=1"))["items"]![0]!;
            Assert.Equal("2027-01-10", f1v2["commitment"]!["confirmedShipDate"]!.ToString());
            Assert.Equal(HttpStatusCode.Unauthorized, (await second.CreateClient().GetAsync("/api/erp/commitments")).StatusCode);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private static List<string> Keys(JsonObject page) =>
        page["items"]!.AsArray().Select(i => $"{i!["opportunityId"]} v{i["version"]}").ToList();

    [Fact]
    public async Task The_webhook_receives_entries_in_order_and_retries_after_a_failure()
    {
        await using var hook = await FakeWebhook.StartAsync();
        hook.FailNext(HttpStatusCode.ServiceUnavailable);
        var db = await NewDatabaseAsync();
        await using var app = NewApp(db, fakeClock: false);
        app.Settings["Commitments:ErpWebhook:Url"] = hook.Url;
        app.Settings["Commitments:ErpWebhook:PollInterval"] = "00:00:00.100";
        app.Settings["Commitments:ErpWebhook:RetryBase"] = "00:00:00.100";
        Client = app.CreateClient();
        await CaptureAsync("OPP-W1", po: "W1");
        await CaptureAsync("OPP-W2", po: "W2");
        await SayAsync("enrich OPP-W1 contact Jane Buyer");

        await WaitForAsync(() => Task.FromResult(hook.Delivered.Count(d => d.Ok) >= 3), "three webhook deliveries");
        var delivered = hook.Delivered.ToList();
        Assert.False(delivered[0].Ok);
        Assert.Equal(["OPP-W1:v1", "OPP-W1:v1", "OPP-W2:v1", "OPP-W1:v2"], delivered.Select(d => d.Key).Take(4).ToList());
        Assert.Equal(3, delivered.Count(d => d.Ok));
        await WaitForAsync(async () => await app.WithDbAsync(d => d.AuditEntries.CountAsync(a => a.Action == "erp-handoff")) == 3, "hand-off audit");
        Assert.Equal(3, await app.WithDbAsync(d => d.ErpCursors.Where(c => c.Name == "webhook").Select(c => c.Position).SingleAsync()));
    }
}

public sealed class SqliteErpFeedTests() : ErpFeedTests(DatabaseProvider.Sqlite)
{
    protected override Task<string> NewDatabaseAsync() => Task.FromResult(SqliteFiles.New());
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresErpFeedTests(PostgresServer server) : ErpFeedTests(DatabaseProvider.Postgres)
{
    protected override Task<string> NewDatabaseAsync() => server.CreateDatabaseAsync();
}

/// <summary>An ERP webhook receiver on loopback that records deliveries (by Idempotency-Key) and can fail on request.</summary>
public sealed class FakeWebhook : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<HttpStatusCode> _failures = new();

    public ConcurrentQueue<(string Key, bool Ok, JsonNode? Body)> Delivered { get; } = new();
    public string Url { get; private set; } = "";

    private FakeWebhook(WebApplication app) => _app = app;

    public static async Task<FakeWebhook> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var self = new FakeWebhook(app);
        app.MapPost("/erp/commitments", async (HttpContext ctx) =>
        {
            var body = JsonNode.Parse(await new StreamReader(ctx.Request.Body).ReadToEndAsync());
            var key = ctx.Request.Headers["Idempotency-Key"].ToString();
            if (self._failures.TryDequeue(out var status))
            {
                self.Delivered.Enqueue((key, false, body));
                return Results.StatusCode((int)status);
            }
            self.Delivered.Enqueue((key, true, body));
            return Results.Ok();
        });
        await app.StartAsync();
        self.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/erp/commitments";
        return self;
    }

    public void FailNext(HttpStatusCode status) => _failures.Enqueue(status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
