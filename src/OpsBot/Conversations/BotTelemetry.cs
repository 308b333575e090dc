using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpsBot.Conversations;

/// <summary>OpsBot's own trace source and meter (exported by Hosting's OpenTelemetry set-up) and the turn metrics.</summary>
public static class BotTelemetry
{
    public const string Name = "OpsBot";
    public static readonly ActivitySource ActivitySource = new(Name);
    public static readonly Meter Meter = new(Name);
    public static readonly Counter<long> Turns = Meter.CreateCounter<long>("opsbot.bot.turns", "{activity}", "Inbound activities handled, by activity type.");
    public static readonly Histogram<double> TurnDuration = Meter.CreateHistogram<double>("opsbot.bot.turn.duration", "s", "Time to handle one inbound activity.");
}
