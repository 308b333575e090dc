using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpsBot.BotFramework.Schema;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.BotFramework;

/// <summary>
/// <see cref="OpsBotFactory"/> plus test routes, for protocol behaviour that rests on the app (its durable redelivery log):
/// <c>probe</c> (records, no reply), <c>echo</c> (records, replies), <c>slow</c> (records, waits for <see cref="TurnProbe.Gate"/>,
/// replies), verbs <c>test.count</c> and <c>test.slow</c>.
/// </summary>
public sealed class InboundFactory : OpsBotFactory
{
    public InboundFactory(DatabaseProvider provider = DatabaseProvider.Sqlite, string? connectionString = null) : base(provider, connectionString) { }

    public TurnProbe Probe { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(Probe);
            services.AddBotRoutes(r => r
                .Command("probe", "Test: record the turn", (turn, _, _) =>
                {
                    Probe.Record(turn.Context);
                    return Task.CompletedTask;
                }, hidden: true)
                .Command("echo", "Test: record and reply", async (turn, args, ct) =>
                {
                    var n = Probe.Record(turn.Context);
                    await turn.SendTextAsync($"echo {args} #{n}", ct);
                }, hidden: true)
                .Command("slow", "Test: wait for the gate", async (turn, _, ct) =>
                {
                    Probe.Record(turn.Context);
                    Probe.SlowStarted.TrySetResult();
                    await Probe.Gate.Task.WaitAsync(ct);
                    await turn.SendTextAsync("slow done", ct);
                    Probe.SlowFinished = true;
                }, hidden: true)
                .Verb("test.count", (turn, _, _) => Task.FromResult(AdaptiveCardInvoke.Message($"call {Probe.Record(turn.Context)}")))
                .Verb("test.slow", async (turn, _, ct) =>
                {
                    var n = Probe.Record(turn.Context);
                    Probe.SlowStarted.TrySetResult();
                    await Probe.Gate.Task.WaitAsync(ct);
                    return AdaptiveCardInvoke.Message($"slow call {n}");
                }));
        });
    }
}
