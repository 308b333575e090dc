using System.Data.Common;
using Stopwatch = System.Diagnostics.Stopwatch;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpsBot.Api;
using OpsBot.BotFramework.Schema;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Tests.Escalations;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Data;

/// <summary>
/// OpsBot on a real PostgreSQL server of its own that the tests restart (<c>pg_ctl restart -m fast|immediate</c>) or stop for a
/// while. The restart is triggered from inside the app's own database traffic (a command interceptor fires it just before a
/// chosen statement), so it lands in the middle of a card action or a message turn, not before or after it.
/// The app retries 3 times with at most 1 s between tries (about 2 s of waiting); the 10 s outage is several times that budget, so
/// requests during it are answered 503 (the shipped budget of about 10 s would need a 30 s outage to show the same thing).
/// </summary>
[Collection(PostgresOutageCollection.Name)]
public sealed class DatabaseOutageTests(PostgresServer server) : EscalationTestBase(DatabaseProvider.Postgres)
{
    private const string ApiKey = "outage-test-key";
    private readonly Trigger _trigger = new();
    private readonly CapturingLoggerProvider _logs = new();

    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();

    protected override void Configure(OpsBotFactory factory)
    {
        // The real clock: retries, Retry-After and the wait for an earlier delivery run on it.
        factory.Time = null;
        factory.Settings["Database:RetryCount"] = "3";
        factory.Settings["Database:MaxRetryDelay"] = "00:00:01";
        factory.Settings["Api:Keys:erp"] = ApiKeyHandler.Hash(ApiKey);
        // Background timers every second, so that they meet the outage.
        factory.Settings["Alerts:TimerInterval"] = "00:00:01";
        factory.Settings["Commitments:ScanInterval"] = "00:00:01";
        factory.TestServices = services =>
        {
            services.AddSingleton<IInterceptor>(_trigger);
            services.AddSingleton<ILoggerProvider>(_logs);
        };
    }

    public override async Task DisposeAsync()
    {
        _trigger.Disarm();
        await base.DisposeAsync();
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("immediate")]
    public async Task A_restart_in_the_middle_of_card_actions_answers_no_500_and_acknowledges_each_complaint_once(string mode)
    {
        var escalations = new List<Escalation>();
        for (var i = 0; i < 4; i++) escalations.Add(await EscalateAsync("ACME Corp"));
        var acks = escalations.Select(c => Execute("escalation.ack", Data(c.Id, c.Version), Ann)).ToList();

        // The second acknowledgement's event insert restarts the server; the others are in flight around it.
        _trigger.Arm("INSERT INTO \"EscalationEvents\"", skip: 1, () => server.RestartAsync(mode));
        var answers = await Task.WhenAll(acks.Select(a => DeliverLikeTeamsAsync(a)));
        Assert.True(_trigger.Fired, "the restart did not happen during the card actions");

        foreach (var (answer, escalation) in answers.Zip(escalations))
        {
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            Assert.Contains("Done: you acknowledged", answer.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("someone else", answer.Body, StringComparison.Ordinal);
            var events = await EventsAsync(escalation.Id);
            Assert.Single(events, e => e.Kind == EscalationEventKind.Acknowledged);
        }
        await AssertReadyAsync();
    }

    [Fact]
    public async Task A_restart_after_part_of_a_unit_of_work_was_saved_answers_503_and_the_redelivery_creates_the_complaint_once()
    {
        var form = ValidForm("ACME Corp");
        var submit = Execute("escalation.submit", form, Rep, replyToId: "form-" + form["formId"]);

        // The complaint row is saved; the restart breaks the connection before its events are (same transaction).
        _trigger.Arm("INSERT INTO \"EscalationEvents\"", skip: 0, () => server.RestartAsync("fast"));
        var first = await Client.PostActivityAsync(submit);
        Assert.True(_trigger.Fired, "the restart did not happen during the escalation");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.NotNull(first.Headers.RetryAfter);

        var redelivered = await DeliverLikeTeamsAsync(submit);
        Assert.Equal(HttpStatusCode.OK, redelivered.Status);
        Assert.Contains("ESC-", redelivered.Body, StringComparison.Ordinal);
        var key = "form:" + form["formId"]!.GetValue<string>();
        var escalation = await App.WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync(c => c.IdempotencyKey == key));
        var events = await EventsAsync(escalation.Id);
        Assert.Single(events, e => e.Kind == EscalationEventKind.Created);
        Assert.Single(events, e => e.Kind == EscalationEventKind.Assigned);
        Assert.Equal(1, await App.WithDbAsync(db => db.Escalations.CountAsync()));
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("immediate")]
    public async Task A_restart_under_inbound_message_load_answers_no_500_and_replies_to_every_message_once(string mode)
    {
        var messages = Enumerable.Range(0, 24)
            .Select(i => Activities.Message(Connector.ServiceUrl, "help", $"29:user-{i}", $"User {i}", $"a:personal-user-{i}")).ToList();

        _trigger.Arm("\"ConversationReferences\"", skip: 6, () => server.RestartAsync(mode));
        var answers = await Task.WhenAll(messages.Select(m => DeliverLikeTeamsAsync(m)));
        Assert.True(_trigger.Fired, "the restart did not happen during the message turns");

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        foreach (var m in messages) Assert.Equal(1, RepliesTo(m.Id!));
        Assert.Equal(messages.Count, await App.WithDbAsync(db => db.ProcessedActivities.CountAsync()));
        await AssertReadyAsync();
    }

    [Fact]
    public async Task During_an_outage_everything_answers_503_with_Retry_After_and_redeliveries_are_processed_once_afterwards()
    {
        var escalation = await EscalateAsync("ACME Corp");
        var alertsBefore = await App.WithDbAsync(db => db.Alerts.CountAsync());
        var api = App.CreateClient();
        api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);

        await server.StopAsync("fast");
        var down = Stopwatch.StartNew();
        var messages = Enumerable.Range(0, 3).Select(i => Activities.Message(Connector.ServiceUrl, "help", $"29:late-{i}", $"Late {i}", $"a:personal-late-{i}")).ToList();
        var ack = Execute("escalation.ack", Data(escalation.Id, escalation.Version), Ann);

        var ready = Stopwatch.StartNew();
        var readyz = await Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.True(ready.Elapsed < TimeSpan.FromSeconds(3), $"/readyz took {ready.Elapsed} to answer during the outage");

        // All at once, each answered within the retry budget (about 2 s here) plus a margin, not after a hang.
        async Task<HttpResponseMessage> Timed(Func<Task<HttpResponseMessage>> send)
        {
            var took = Stopwatch.StartNew();
            var response = await send();
            Assert.True(took.Elapsed < TimeSpan.FromSeconds(8), $"{response.RequestMessage?.RequestUri} took {took.Elapsed} to answer during the outage");
            return response;
        }
        var turns = messages.Append(ack).Select(a => Timed(() => Client.PostActivityAsync(a))).ToList();
        var calls = new[]
        {
            Timed(() => api.PostAsJsonAsync("/api/alerts", new { account = "ACME Corp", kind = "line-down", impact = "Line 2 stopped", severity = 2 })),
            Timed(() => api.GetAsync("/api/alerts/1")),
            Timed(() => api.GetAsync("/api/erp/commitments?since=0")),
            Timed(() => api.GetAsync("/api/escalations/report.csv?month=2026-11")),
        };
        foreach (var response in await Task.WhenAll(turns))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
        }
        foreach (var response in await Task.WhenAll(calls)) await AssertProblem503Async(response);
        Assert.DoesNotContain(Connector.Posts, p => messages.Any(m => IsReplyTo(p, m.Id!)));

        // The outage lasts 10 s in all.
        var left = TimeSpan.FromSeconds(10) - down.Elapsed;
        if (left > TimeSpan.Zero) await Task.Delay(left);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Client.GetAsync("/readyz")).StatusCode);
        await server.StartAsync();
        await AssertReadyAsync();

        // The timers met the outage: a warning per pass, no error (the outbox dispatcher, rewritten separately, is not judged here).
        var paused = _logs.Lines.Count(l => l.StartsWith("Warning OpsBot.Alerts.AlertTimers: Alert timers paused", StringComparison.Ordinal));
        Assert.InRange(paused, 1, 10);
        Assert.Contains(_logs.Lines, l => l.StartsWith("Warning OpsBot.Commitments.OverdueScheduler: Overdue scan paused", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Lines, l => l.StartsWith("Error OpsBot.", StringComparison.Ordinal) && !l.StartsWith("Error OpsBot.Messaging.", StringComparison.Ordinal));

        // Teams redelivers what was answered 503; each is processed once, and a second redelivery has no second effect.
        foreach (var activity in messages.Append(ack))
        {
            Assert.Equal(HttpStatusCode.OK, (await DeliverLikeTeamsAsync(activity)).Status);
            Assert.Equal(HttpStatusCode.OK, (await DeliverLikeTeamsAsync(activity)).Status);
        }
        foreach (var m in messages) Assert.Equal(1, RepliesTo(m.Id!));
        Assert.Single(await EventsAsync(escalation.Id), e => e.Kind == EscalationEventKind.Acknowledged);
        Assert.Equal(alertsBefore, await App.WithDbAsync(db => db.Alerts.CountAsync()));
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/erp/commitments?since=0")).StatusCode);

        // …and resumed by themselves: no new pause once the database is back.
        var pausedBefore = _logs.Lines.Count(l => l.Contains("paused: the database is unavailable", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(pausedBefore, _logs.Lines.Count(l => l.Contains("paused: the database is unavailable", StringComparison.Ordinal)));
    }

    private sealed record Answer(HttpStatusCode Status, string Body);

    /// <summary>Posts the activity and, like Teams, posts the same activity again after a 503 (never after a 500).</summary>
    private async Task<Answer> DeliverLikeTeamsAsync(Activity activity)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var response = await Client.PostActivityAsync(activity);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode < 500 || response.StatusCode == HttpStatusCode.ServiceUnavailable,
                $"{activity.Type} {activity.Id} answered {(int)response.StatusCode}: {body}");
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable) return new Answer(response.StatusCode, body);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(40), $"{activity.Id} still answered 503 after {deadline.Elapsed}");
            await Task.Delay(500);
        }
    }

    private int RepliesTo(string activityId) => Connector.Posts.Count(p => IsReplyTo(p, activityId));

    private static bool IsReplyTo(RecordedCall call, string activityId) =>
        call.Body?["type"]?.GetValue<string>() == ActivityTypes.Message && call.Body?["replyToId"]?.GetValue<string>() == activityId;

    private async Task AssertReadyAsync()
    {
        var since = Stopwatch.StartNew();
        while (true)
        {
            var response = await Client.GetAsync("/readyz");
            if (response.StatusCode == HttpStatusCode.OK) return;
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(5), $"/readyz still {(int)response.StatusCode} {since.Elapsed} after the server came back");
            await Task.Delay(100);
        }
    }

    private static async Task AssertProblem503Async(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("database", body, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Runs an action once, just before the (skip+1)-th command whose text contains a marker, and holds that command until it is done.</summary>
    private sealed class Trigger : DbCommandInterceptor
    {
        private readonly SemaphoreSlim _once = new(1, 1);
        private string? _marker;
        private int _skip;
        private Func<Task>? _action;

        public bool Fired { get; private set; }

        public void Arm(string marker, int skip, Func<Task> action) => (_marker, _skip, _action, Fired) = (marker, skip, action, false);

        public void Disarm() => _marker = null;

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            await FireAsync(command);
            return result;
        }

        public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            await FireAsync(command);
            return result;
        }

        private async Task FireAsync(DbCommand command)
        {
            if (_marker is not { } marker || Fired || !command.CommandText.Contains(marker, StringComparison.Ordinal)) return;
            await _once.WaitAsync();
            try
            {
                if (Fired || Interlocked.Decrement(ref _skip) >= 0) return;
                Fired = true;
                await _action!();
            }
            finally
            {
                _once.Release();
            }
        }
    }
}
