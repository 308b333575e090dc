using System.Text.Json.Nodes;

namespace OpsBot.Cards;

/// <summary>One parsed template file.</summary>
public sealed class CardTemplate(string file, JsonObject root)
{
    public string File { get; } = file;

    public static CardTemplate Load(string file)
    {
        try
        {
            var root = JsonNode.Parse(System.IO.File.ReadAllText(file)) as JsonObject
                ?? throw new InvalidOperationException("the root is not a JSON object");
            return new CardTemplate(file, root);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new InvalidOperationException($"Card template '{file}' is invalid: {ex.Message}", ex);
        }
    }

    public JsonObject Expand(JsonNode? data) => (JsonObject)TemplateEngine.Expand(root, data)!;
}
