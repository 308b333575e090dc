namespace OpsBot.BotFramework;

/// <summary>
/// Which exceptions mean that something the bot depends on (its store) is unavailable for now. An activity that meets one,
/// while it is claimed or during its turn, is forgotten and answered 503 with <c>Retry-After</c>, so the channel redelivers it
/// later instead of getting a 500 or a half-finished turn. The app supplies the rule; by default nothing matches.
/// </summary>
public sealed class UnavailableErrors(Func<Exception, bool> matches, TimeSpan retryAfter)
{
    public static readonly UnavailableErrors None = new(_ => false, TimeSpan.FromSeconds(10));

    public bool Matches(Exception exception) => matches(exception);

    public TimeSpan RetryAfter => retryAfter;
}
