using System.Text.Json;

namespace OpsBot.Cards;

internal abstract class TNode
{
    public string Path { get; init; } = "$";
}

/// <summary>Template JSON with nothing to expand, pre-rendered (null = JSON null, dropped in arrays).</summary>
internal sealed class TLiteral(byte[]? raw) : TNode
{
    public bool IsNull { get; } = raw is null || raw.AsSpan().SequenceEqual("null"u8);
    public bool IsObject { get; } = raw is [(byte)'{', ..];
    public byte[] Bytes { get; } = raw ?? "null"u8.ToArray();

    public void WriteTo(Utf8JsonWriter w)
    {
        if (raw is null) w.WriteNullValue();
        else w.WriteRawValue(raw, skipInputValidation: true);
    }
}

internal sealed class TText(Expr expr) : TNode
{
    public Expr Expr { get; } = expr;
}

internal sealed class TArray(TNode[] items) : TNode
{
    /// <summary>The items to expand; consecutive literals are merged into one fragment after <see cref="Raw"/> is made.</summary>
    public TNode[] Items { get; set; } = items;

    /// <summary>Pre-rendered JSON when every item is a non-null literal (used where the array is a value, not spliced).</summary>
    public byte[]? Raw { get; set; }
}

internal enum OpKind : byte { Raw, StartObject, StartArray, EndObject, EndArray, Name, Property, Item }

/// <summary>One step of an object's output plan: a pre-rendered fragment, a structural token for the writer, or a part to expand.</summary>
internal readonly record struct TOp(OpKind Kind, byte[]? Raw, JsonEncodedText Key, TNode? Node);

internal sealed class TObject : TNode
{
    public (JsonEncodedText Key, TNode Value)[] Properties { get; set; } = [];

    /// <summary>What <see cref="Expander"/> writes for one copy of the object, braces included.</summary>
    public TOp[] Plan { get; set; } = [];
    public bool IsPlain => !HasData && WhenExpr is null && !WhenAlwaysDrops;
    public bool HasData { get; set; }
    public Expr? DataExpr { get; set; }
    public object? DataLiteral { get; set; }
    public Expr? WhenExpr { get; set; }
    public bool WhenAlwaysDrops { get; set; }
}
