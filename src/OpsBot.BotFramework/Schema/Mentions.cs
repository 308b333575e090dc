using System.Text;
using System.Text.Json.Nodes;

namespace OpsBot.BotFramework.Schema;

/// <summary>Someone to @-mention: Teams accepts the <c>29:</c> id, the Entra object id or the UPN (protocol doc §7).</summary>
public sealed record MentionTarget(string Id, string Name);

/// <summary>Outgoing mentions (protocol doc §7, vector M3).</summary>
public static class Mentions
{
    public const string EntityType = "mention";

    /// <summary><c>&lt;at&gt;Name&lt;/at&gt;</c> with the name XML-escaped.</summary>
    public static string Tag(string name) => "<at>" + XmlEscape(name) + "</at>";

    public static Entity Entity(MentionTarget target) => new()
    {
        Type = EntityType,
        Text = Tag(target.Name),
        Mentioned = new ChannelAccount { Id = target.Id, Name = target.Name },
    };

    /// <summary>
    /// A text message where <c>{0}</c>, <c>{1}</c>… in <paramref name="format"/> become mentions of <paramref name="people"/>,
    /// e.g. <c>Message("{0}, please review escalation E-12", exec)</c>. Other text is taken as is.
    /// </summary>
    public static Activity Message(string format, params MentionTarget[] people)
    {
        var text = new StringBuilder(format.Length + 32 * people.Length);
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] == '{' && TryReadIndex(format, i, out var index, out var end))
            {
                if (index >= people.Length) throw new ArgumentException($"The format refers to mention {{{index}}} but only {people.Length} were given.", nameof(format));
                text.Append(Tag(people[index].Name));
                i = end;
            }
            else text.Append(format[i]);
        }
        var activity = Activity.CreateMessage(text.ToString());
        activity.Entities = people.Distinct().Select(Entity).ToList();
        return activity;
    }

    /// <summary>
    /// Throws when a mention entity's text does not occur verbatim in the message text (Teams would silently drop it),
    /// also for mentions in Adaptive Cards (<c>msteams.entities</c> against the card's strings).
    /// </summary>
    public static void EnsureResolvable(Activity activity)
    {
        foreach (var entity in activity.Entities ?? [])
        {
            if (!string.Equals(entity.Type, EntityType, StringComparison.OrdinalIgnoreCase)) continue;
            if (string.IsNullOrEmpty(entity.Text) || activity.Text is null || !activity.Text.Contains(entity.Text, StringComparison.Ordinal))
                throw new InvalidMentionException(entity.Text, entity.Mentioned?.Id);
        }
        foreach (var attachment in activity.Attachments ?? [])
        {
            if (attachment.Content is not JsonObject card || card["msteams"]?["entities"] is not JsonArray entities) continue;
            var strings = new List<string>();
            CollectStrings(card["body"], strings);
            foreach (var entity in entities.OfType<JsonObject>())
            {
                if (!string.Equals((entity["type"] as JsonValue)?.ToString(), EntityType, StringComparison.OrdinalIgnoreCase)) continue;
                var text = entity["text"] is JsonValue v && v.TryGetValue<string>(out var t) ? t : null;
                if (string.IsNullOrEmpty(text) || !strings.Any(s => s.Contains(text, StringComparison.Ordinal)))
                    throw new InvalidMentionException(text, entity["mentioned"]?["id"]?.ToString());
            }
        }
    }

    private static void CollectStrings(JsonNode? node, List<string> into)
    {
        switch (node)
        {
            case JsonObject o: foreach (var (_, child) in o) CollectStrings(child, into); break;
            case JsonArray a: foreach (var child in a) CollectStrings(child, into); break;
            case JsonValue v when v.TryGetValue<string>(out var s): into.Add(s); break;
        }
    }

    private static bool TryReadIndex(string format, int start, out int index, out int end)
    {
        index = 0;
        end = format.IndexOf('}', start + 1);
        return end > start + 1 && int.TryParse(format.AsSpan(start + 1, end - start - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index);
    }

    private static string XmlEscape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}

/// <summary>A mention whose <c>&lt;at&gt;</c> text is not in the message: refused before sending (vector M3).</summary>
public sealed class InvalidMentionException(string? mentionText, string? mentionedId)
    : ArgumentException($"The mention entity '{mentionText}' (id {mentionedId}) does not occur in the message text; Teams would ignore it.")
{
    public string? MentionText { get; } = mentionText;
}
