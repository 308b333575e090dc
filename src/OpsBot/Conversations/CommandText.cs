using System.Text.RegularExpressions;
using OpsBot.BotFramework.Schema;

namespace OpsBot.Conversations;

/// <summary>Turns a message's text into command text: bot mention removed, leading '/' dropped, whitespace collapsed.</summary>
public static partial class CommandText
{
    public static string Normalize(Activity activity)
    {
        var text = activity.Text ?? string.Empty;
        foreach (var mention in activity.Entities ?? [])
        {
            if (mention.Type != "mention" || mention.Mentioned?.Id is null || mention.Mentioned.Id != activity.Recipient?.Id) continue;
            var token = mention.Text ?? $"<at>{mention.Mentioned.Name}</at>";
            text = Regex.Replace(text, Regex.Escape(token), " ", RegexOptions.IgnoreCase);
        }
        text = Whitespace().Replace(text, " ").Trim();
        return text.StartsWith('/') ? text[1..].TrimStart() : text;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
