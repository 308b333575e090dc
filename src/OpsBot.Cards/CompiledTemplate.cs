using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsBot.Cards;

/// <summary>A template compiled once; <see cref="WriteTo(Utf8JsonWriter, JsonElement, JsonNode?)"/> expands it for one data object.</summary>
public sealed class CompiledTemplate
{
    private readonly TNode _root;

    internal CompiledTemplate(string file, TNode root)
    {
        File = file;
        _root = root;
    }

    public string File { get; }

    /// <summary>Data given as a JsonNode is written and parsed once per expansion; as deep as a JsonNode can be written.</summary>
    private static readonly JsonDocumentOptions DataOptions = new() { MaxDepth = 1000 };

    /// <summary>True when every expansion is one JSON object (the root is an object without <c>$data</c> or <c>$when</c>).</summary>
    public bool AlwaysWritesObject => _root is TObject { IsPlain: true } || (_root is TLiteral { IsNull: false } literal && literal.IsObject);

    /// <summary>Expands into a JSON node (null when the root is removed by <c>$when</c>).</summary>
    public JsonNode? Expand(JsonNode? data, JsonNode? host = null) => Expand(data, host, out _);

    /// <summary>As <see cref="Expand(JsonNode?, JsonNode?)"/>; <paramref name="missingPath"/> is the first binding whose data was missing.</summary>
    public JsonNode? Expand(JsonNode? data, JsonNode? host, out string? missingPath)
    {
        var output = ScratchJson.Rent();
        try
        {
            missingPath = WriteTo(output.Writer, data, host);
            return JsonNode.Parse(output.Buffer.WrittenSpan);
        }
        finally { ScratchJson.Return(output); }
    }

    /// <summary>
    /// Streams the expansion of <paramref name="data"/> (the reference's <c>$root</c>) to <paramref name="writer"/>;
    /// returns the first path that was missing from the data (left as <c>${path}</c> text, as the reference does), if any.
    /// </summary>
    public string? WriteTo(Utf8JsonWriter writer, JsonNode? data, JsonNode? host = null)
    {
        if (data is null) return Write(writer, null, host);
        var scratch = ScratchJson.Rent();
        try
        {
            data.WriteTo(scratch.Writer);
            scratch.Writer.Flush();
            using var document = JsonDocument.Parse(scratch.Buffer.WrittenMemory, DataOptions);
            return WriteTo(writer, document.RootElement, host);
        }
        finally { ScratchJson.Return(scratch); }
    }

    /// <summary>As <see cref="WriteTo(Utf8JsonWriter, JsonNode?, JsonNode?)"/> with the data already parsed (read in place, not copied).</summary>
    public string? WriteTo(Utf8JsonWriter writer, JsonElement data, JsonNode? host = null) => Write(writer, Js.FromElement(data), host);

    private string? Write(Utf8JsonWriter writer, object? root, JsonNode? host)
    {
        var context = new EvalContext(root, host is null ? Undefined.Value : Js.FromNode(host));
        new Expander(File, context, writer).WriteRoot(_root);
        writer.Flush();
        return context.FirstMissingPath;
    }
}
