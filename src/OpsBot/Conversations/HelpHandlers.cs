namespace OpsBot.Conversations;

public static class HelpHandlers
{
    /// <summary>The help card; <paramref name="unknown"/> is the text that matched no command, if any.</summary>
    public static Task SendHelpAsync(BotTurn turn, BotRoutes routes, string? unknown, CancellationToken ct)
    {
        var notice = string.IsNullOrWhiteSpace(unknown) ? "" : $"I don't know \"{Truncate(unknown, 60)}\". Here is what I can do:";
        var model = new HelpCardModel(notice, VisibleCommands(routes));
        return turn.SendCardAsync("help", model, "OpsBot help", ct);
    }

    public static IReadOnlyList<HelpCommand> VisibleCommands(BotRoutes routes) =>
        routes.Commands.Where(c => !c.Hidden).OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => new HelpCommand(c.Usage, c.Description)).ToList();

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}

public sealed record HelpCardModel(string Notice, IReadOnlyList<HelpCommand> Commands);
public sealed record HelpCommand(string Usage, string Description);
public sealed record WelcomeCardModel(string UserName, IReadOnlyList<HelpCommand> Commands);

public sealed record ErrorCardModel(string Title, string Message, string? Reference)
{
    public static ErrorCardModel Unexpected(string? reference) =>
        new("Something went wrong", "OpsBot could not finish that. Nothing was changed; please try again. If it keeps happening, give this reference to your admin.", reference);
}
