namespace OpsBot.BotFramework;

/// <summary>The one seam between the protocol layer and the application: called once per accepted inbound activity.</summary>
public interface IBot
{
    Task OnTurnAsync(TurnContext turn, CancellationToken cancellationToken);
}
