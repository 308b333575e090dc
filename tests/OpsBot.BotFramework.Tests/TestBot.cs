using System.Text.Json.Nodes;
using OpsBot.BotFramework.Schema;

namespace OpsBot.BotFramework.Tests;

/// <summary>
/// The bot behind <see cref="BotHost"/>. Messages: <c>probe</c> (records, no reply), <c>echo …</c> (records, replies
/// "echo … #n"), <c>slow</c> (records, waits for <see cref="TurnProbe.Gate"/>, replies "slow done"); other text gets no answer.
/// Card actions: <c>test.count</c>, <c>test.slow</c>, <c>test.twice</c> (two replies), <c>test.ack</c> (a card); an unknown verb
/// gets a business error, as a bot answers an out-of-date card. Other invokes are left unanswered (the protocol's 501).
/// </summary>
public sealed class TestBot(TurnProbe probe) : IBot
{
    public async Task OnTurnAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        if (turn.Activity.Type == ActivityTypes.Message) await OnMessageAsync(turn, cancellationToken);
        else if (turn.Activity.Type == ActivityTypes.Invoke && turn.Activity.Name == "adaptiveCard/action")
            turn.InvokeResponse = await OnCardActionAsync(turn, cancellationToken);
    }

    private async Task OnMessageAsync(TurnContext turn, CancellationToken ct)
    {
        var text = turn.Activity.Text?.Trim() ?? "";
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var (command, args) = space < 0 ? (text, "") : (text[..space], text[(space + 1)..]);
        switch (command)
        {
            case "probe":
                probe.Record(turn);
                break;
            case "echo":
                var n = probe.Record(turn);
                await SendTextAsync(turn, $"echo {args} #{n}", ct);
                break;
            case "slow":
                probe.Record(turn);
                probe.SlowStarted.TrySetResult();
                await probe.Gate.Task.WaitAsync(ct);
                await SendTextAsync(turn, "slow done", ct);
                probe.SlowFinished = true;
                break;
        }
    }

    private async Task<InvokeResponse> OnCardActionAsync(TurnContext turn, CancellationToken ct)
    {
        var action = turn.Activity.Value?["action"];
        var verb = action?["verb"]?.GetValue<string>();
        switch (verb)
        {
            case "test.count":
                return AdaptiveCardInvoke.Message($"call {probe.Record(turn)}");
            case "test.slow":
                var n = probe.Record(turn);
                probe.SlowStarted.TrySetResult();
                await probe.Gate.Task.WaitAsync(ct);
                return AdaptiveCardInvoke.Message($"slow call {n}");
            case "test.twice":
                probe.Record(turn);
                await SendTextAsync(turn, "first", ct);
                await SendTextAsync(turn, "second", ct);
                return AdaptiveCardInvoke.Message("sent two");
            case "test.ack":
                probe.Record(turn);
                return AdaptiveCardInvoke.Card(new JsonObject
                {
                    ["type"] = "AdaptiveCard",
                    ["version"] = "1.5",
                    ["body"] = new JsonArray(new JsonObject { ["type"] = "TextBlock", ["text"] = $"Acknowledged {action?["data"]?["alertId"]}", ["wrap"] = true }),
                });
            default:
                return AdaptiveCardInvoke.Error(400, "BadRequest", $"The test bot does not know the action '{verb}'.");
        }
    }

    private static Task<ResourceResponse> SendTextAsync(TurnContext turn, string text, CancellationToken ct) =>
        turn.SendActivityAsync(Activity.CreateMessage(text), ct);
}
