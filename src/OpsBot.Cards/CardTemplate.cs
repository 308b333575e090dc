using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsBot.Cards;

/// <summary>One template file, compiled at load; a syntax error or unknown function throws <see cref="CardTemplateException"/>.</summary>
public sealed class CardTemplate
{
    private CardTemplate(string file, CompiledTemplate compiled)
    {
        File = file;
        Compiled = compiled;
    }

    /// <summary>Display name of the file in errors, e.g. <c>cards/alert.json</c>.</summary>
    public string File { get; }

    public CompiledTemplate Compiled { get; }

    public static CardTemplate Load(string path)
    {
        var display = $"{System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)))}/{System.IO.Path.GetFileName(path)}";
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(System.IO.File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new CardTemplateException($"{display}: invalid JSON: {ex.Message}", ex);
        }
        return Parse(display, root);
    }

    public static CardTemplate Parse(string file, JsonNode? root)
    {
        if (root is not JsonObject) throw new CardTemplateException($"{file} at $: the root is not a JSON object");
        return new CardTemplate(file, TemplateEngine.Compile(root, file));
    }

    /// <summary>Expands with <paramref name="data"/> as <c>$root</c>; the result must be one card object.</summary>
    public JsonObject Expand(JsonNode? data) => Expand(data, requireComplete: false);

    /// <summary>
    /// Expands; with <paramref name="requireComplete"/> a binding to missing data is an error instead of literal <c>${…}</c> text
    /// in the card (OpsBot's view models supply every field, so a gap is a bug, never something to show a user).
    /// </summary>
    public JsonObject Expand(JsonNode? data, bool requireComplete)
    {
        var output = ScratchJson.Rent();
        try
        {
            string? missing;
            try { missing = Compiled.WriteTo(output.Writer, data); }
            catch (Exception ex) when (ex is not (CardRenderException or OperationCanceledException)) { throw Failed(ex); }
            CheckComplete(requireComplete, missing);
            return Result(output.Buffer.WrittenSpan);
        }
        finally { ScratchJson.Return(output); }
    }

    /// <summary>
    /// Writes the card for <paramref name="data"/> to <paramref name="writer"/> (a writer from <see cref="TemplateEngine.CreateWriter"/>);
    /// errors as <see cref="Expand(JsonNode?, bool)"/>, after which the writer may hold part of the card. The written value is always one card object.
    /// </summary>
    public void WriteTo(Utf8JsonWriter writer, JsonElement data, bool requireComplete)
    {
        if (Compiled.AlwaysWritesObject)
        {
            CheckComplete(requireComplete, Write(writer, data));
            return;
        }
        var output = ScratchJson.Rent();
        try
        {
            CheckComplete(requireComplete, Write(output.Writer, data));
            var card = output.Buffer.WrittenSpan;
            if (card.Length == 0 || card[0] != (byte)'{') Result(card);
            writer.WriteRawValue(card, skipInputValidation: true);
            writer.Flush();
        }
        finally { ScratchJson.Return(output); }
    }

    private string? Write(Utf8JsonWriter writer, JsonElement data)
    {
        try { return Compiled.WriteTo(writer, data); }
        catch (Exception ex) when (ex is not (CardRenderException or OperationCanceledException)) { throw Failed(ex); }
    }

    private void CheckComplete(bool requireComplete, string? missing)
    {
        if (requireComplete && missing is not null)
            throw new CardRenderException($"{File}: the data has no value for '{missing}' (the view model must supply every field).");
    }

    private CardRenderException Failed(Exception ex) => new($"{File}: expansion failed: {ex.Message}", ex);

    private JsonObject Result(ReadOnlySpan<byte> card) => JsonNode.Parse(card) as JsonObject
        ?? throw new CardRenderException($"{File} at $: expansion produced {(card.SequenceEqual("null"u8) ? "null ($when false)" : "an array ($data bound to a list)")}, not a card");
}
