using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace OpsBot.Cards;

/// <summary>
/// Adaptive Card templating (adaptive-cards.md §7) reproducing adaptivecards-templating 2.3.1 + adaptive-expressions 4.23.3.
/// A template is compiled once (<see cref="Compile"/>); expansion streams JSON to a <see cref="Utf8JsonWriter"/>.
/// </summary>
public static class TemplateEngine
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Compiles a template; syntax errors and unknown functions throw <see cref="CardTemplateException"/> naming file and JSON path.</summary>
    public static CompiledTemplate Compile(JsonNode? template, string file) => new(file, new Compiler(file).Compile(template, "$"));

    /// <summary>Compiles and expands in one go (tests and tools; the app compiles once at start-up).</summary>
    public static JsonNode? Expand(JsonNode? template, JsonNode? data, JsonNode? host = null) => Compile(template, "template").Expand(data, host);

    internal static Utf8JsonWriter CreateWriter(IBufferWriter<byte> output) => new(output, WriterOptions);

    private sealed class Compiler(string file)
    {
        private static readonly HashSet<string> Reserved = ["$data", "$when", "$root", "$index", "$host", "$_acTemplateVersion"];

        public TNode Compile(JsonNode? node, string path)
        {
            switch (node)
            {
                case JsonObject o:
                    var props = new List<(JsonEncodedText, TNode)>();
                    var obj = new TObject { Path = path };
                    foreach (var (key, value) in o)
                    {
                        var childPath = path + JsonPathSegment(key);
                        if (key == "$data") CompileData(obj, value, childPath);
                        else if (key == "$when") CompileWhen(obj, value, childPath);
                        else if (Reserved.Contains(key)) Compile(value, childPath);
                        else props.Add((JsonEncodedText.Encode(key, JavaScriptEncoder.UnsafeRelaxedJsonEscaping), Compile(value, childPath)));
                    }
                    obj.Properties = [.. props];
                    if (obj.IsPlain && props.All(p => IsLiteral(p.Item2)))
                        return new TLiteral(Raw(w => Write(w, obj))) { Path = path };
                    PlanObject(obj);
                    return obj;
                case JsonArray a:
                    var items = new TNode[a.Count];
                    for (var i = 0; i < a.Count; i++) items[i] = Compile(a[i], $"{path}[{i}]");
                    var array = new TArray(items) { Path = path };
                    if (items.All(i => i is TLiteral { IsNull: false })) array.Raw = Raw(w => Write(w, array));
                    array.Items = MergeLiteralItems(items);
                    return array;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is var s && s.Contains("${", StringComparison.Ordinal):
                    var expr = Parse(s, path);
                    return expr is ConstExpr { Value: string constant } ? new TLiteral(Raw(w => w.WriteStringValue(constant))) { Path = path } : new TText(expr) { Path = path };
                default:
                    return node is null ? new TLiteral(null) { Path = path } : new TLiteral(Raw(w => node.WriteTo(w))) { Path = path };
            }
        }

        /// <summary>
        /// The reference's <c>parseInterpolatedString</c>: one non-constant part → that expression (keeps its type);
        /// anything else → a concat producing a string. All-constant text is folded.
        /// </summary>
        private Expr Parse(string s, string path)
        {
            try
            {
                var children = TemplateParser.ParseInterpolation(s);
                if (children.Count == 2 && children[1] is not ConstExpr) return children[1];
                if (children.All(ch => ch is ConstExpr { Value: not (null or Undefined) }))
                    return new ConstExpr(string.Concat(children.Select(ch => Js.ToJsString(((ConstExpr)ch).Value))));
                return Functions.Make("concat", [.. children]);
            }
            catch (TemplateSyntaxException ex)
            {
                throw new CardTemplateException($"{file} at {path}: {ex.Message}", ex);
            }
        }

        private void CompileData(TObject obj, JsonNode? value, string path)
        {
            obj.HasData = true;
            if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is var s && s.Contains("${", StringComparison.Ordinal))
            {
                var expr = Parse(s, path);
                if (expr is ConstExpr k) obj.DataLiteral = k.Value;
                else obj.DataExpr = expr;
            }
            else
            {
                Compile(value, path);
                obj.DataLiteral = Js.FromNode(value?.DeepClone());
            }
        }

        private void CompileWhen(TObject obj, JsonNode? value, string path)
        {
            if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is var s && s.Contains("${", StringComparison.Ordinal))
            {
                var expr = Parse(s, path);
                if (expr is ConstExpr) obj.WhenAlwaysDrops = true;
                else obj.WhenExpr = expr;
                return;
            }
            // A $when that is not an expression drops the element when it is truthy (the reference warns and drops it).
            obj.WhenAlwaysDrops = !Js.IsFalsy(Js.FromNode(value)) || value is JsonObject or JsonArray;
        }

        private static bool IsLiteral(TNode node) => node is TLiteral or TArray { Raw: not null };

        private enum Tok : byte { OpenObject, OpenArray, CloseObject, CloseArray, Name, Value, Property, Item }

        /// <summary>
        /// Output plan of an object: its JSON as a sequence of pre-rendered fragments and the parts to expand (properties and
        /// array items with bindings, <c>$data</c> or <c>$when</c>). Plain nested objects and arrays are flattened into the plan,
        /// so everything between two bindings is one fragment. The fragments rely on Utf8JsonWriter's separator rule: a comma
        /// goes before a value, property name or start when anything was written since the last start of an object or array.
        /// Hence a fragment never begins with a closing bracket nor ends with an opening one or a property name: those are
        /// written by the writer itself, which keeps the commas right whatever the expanded parts wrote (or left out).
        /// </summary>
        private static void PlanObject(TObject obj)
        {
            var tokens = new List<(Tok Kind, JsonEncodedText Key, byte[]? Raw, TNode? Node)>();
            EmitObject(obj, tokens);
            var plan = new List<TOp>();
            var start = 0;
            for (var i = 0; i <= tokens.Count; i++)
            {
                if (i < tokens.Count && tokens[i].Kind is not (Tok.Property or Tok.Item)) continue;
                FlushStatic(tokens, start, i, plan);
                if (i < tokens.Count) plan.Add(new(tokens[i].Kind == Tok.Property ? OpKind.Property : OpKind.Item, null, tokens[i].Key, tokens[i].Node));
                start = i + 1;
            }
            obj.Plan = [.. plan];
        }

        private static void FlushStatic(List<(Tok Kind, JsonEncodedText Key, byte[]? Raw, TNode? Node)> tokens, int start, int end, List<TOp> plan)
        {
            while (start < end && tokens[start].Kind is Tok.CloseObject or Tok.CloseArray)
                plan.Add(new(tokens[start++].Kind == Tok.CloseObject ? OpKind.EndObject : OpKind.EndArray, null, default, null));
            var rawEnd = end;
            while (rawEnd > start && tokens[rawEnd - 1].Kind is Tok.OpenObject or Tok.OpenArray or Tok.Name) rawEnd--;
            if (rawEnd > start)
            {
                plan.Add(new(OpKind.Raw, Raw(w =>
                {
                    for (var k = start; k < rawEnd; k++)
                    {
                        var t = tokens[k];
                        switch (t.Kind)
                        {
                            case Tok.OpenObject: w.WriteStartObject(); break;
                            case Tok.OpenArray: w.WriteStartArray(); break;
                            case Tok.CloseObject: w.WriteEndObject(); break;
                            case Tok.CloseArray: w.WriteEndArray(); break;
                            case Tok.Name: w.WritePropertyName(t.Key); break;
                            default: w.WriteRawValue(t.Raw!, skipInputValidation: true); break;
                        }
                    }
                }), default, null));
            }
            for (var k = rawEnd; k < end; k++)
            {
                var t = tokens[k];
                plan.Add(new(t.Kind switch { Tok.OpenObject => OpKind.StartObject, Tok.OpenArray => OpKind.StartArray, _ => OpKind.Name }, null, t.Key, null));
            }
        }

        private static void EmitObject(TObject obj, List<(Tok, JsonEncodedText, byte[]?, TNode?)> tokens)
        {
            tokens.Add((Tok.OpenObject, default, null, null));
            foreach (var (key, value) in obj.Properties)
            {
                switch (value)
                {
                    case TLiteral l:
                        tokens.Add((Tok.Name, key, null, null));
                        tokens.Add((Tok.Value, default, l.Bytes, null));
                        break;
                    case TArray { Raw: { } raw }:
                        tokens.Add((Tok.Name, key, null, null));
                        tokens.Add((Tok.Value, default, raw, null));
                        break;
                    case TArray array:
                        tokens.Add((Tok.Name, key, null, null));
                        tokens.Add((Tok.OpenArray, default, null, null));
                        EmitItems(array, tokens);
                        tokens.Add((Tok.CloseArray, default, null, null));
                        break;
                    case TObject { IsPlain: true } inner:
                        tokens.Add((Tok.Name, key, null, null));
                        EmitObject(inner, tokens);
                        break;
                    default:
                        tokens.Add((Tok.Property, key, null, value));
                        break;
                }
            }
            tokens.Add((Tok.CloseObject, default, null, null));
        }

        /// <summary>Array items as the expansion writes them: nulls dropped, nested arrays spliced.</summary>
        private static void EmitItems(TArray array, List<(Tok, JsonEncodedText, byte[]?, TNode?)> tokens)
        {
            foreach (var item in array.Items)
            {
                switch (item)
                {
                    case TLiteral { IsNull: true }: break;
                    case TLiteral l: tokens.Add((Tok.Value, default, l.Bytes, null)); break;
                    case TArray inner: EmitItems(inner, tokens); break;
                    case TObject { IsPlain: true } o: EmitObject(o, tokens); break;
                    default: tokens.Add((Tok.Item, default, null, item)); break;
                }
            }
        }

        /// <summary>Consecutive literal items of an array as one pre-rendered fragment (nulls are dropped from arrays anyway).</summary>
        private static TNode[] MergeLiteralItems(TNode[] items)
        {
            var merged = new List<TNode>();
            for (var i = 0; i < items.Length;)
            {
                if (items[i] is not TLiteral)
                {
                    merged.Add(items[i++]);
                    continue;
                }
                var end = i;
                while (end < items.Length && items[end] is TLiteral) end++;
                var run = items[i..end].Where(l => l is TLiteral { IsNull: false }).ToArray();
                if (run.Length == 1) merged.Add(run[0]);
                else if (run.Length > 1) merged.Add(new TLiteral(Raw(w => { foreach (var l in run) Write(w, l); })) { Path = run[0].Path });
                i = end;
            }
            return [.. merged];
        }

        /// <summary>Pre-rendered JSON of a part of the template that has nothing to expand.</summary>
        private static byte[] Raw(Action<Utf8JsonWriter> write)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = CreateWriter(buffer)) write(writer);
            return buffer.WrittenSpan.ToArray();
        }

        private static void Write(Utf8JsonWriter w, TNode node)
        {
            switch (node)
            {
                case TLiteral l: l.WriteTo(w); break;
                case TArray { Raw: { } raw }: w.WriteRawValue(raw, skipInputValidation: true); break;
                case TArray a:
                    w.WriteStartArray();
                    foreach (var item in a.Items) Write(w, item);
                    w.WriteEndArray();
                    break;
                case TObject o:
                    w.WriteStartObject();
                    foreach (var (key, value) in o.Properties)
                    {
                        w.WritePropertyName(key);
                        Write(w, value);
                    }
                    w.WriteEndObject();
                    break;
            }
        }

        private static string JsonPathSegment(string key)
        {
            foreach (var c in key) if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '$' or '-')) return $"['{key}']";
            return key.Length == 0 ? "['']" : "." + key;
        }
    }
}

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

/// <summary>Per-thread reusable output buffers and writers, so an expansion allocates no buffer of its own.</summary>
public sealed class ScratchJson
{
    [ThreadStatic] private static ScratchJson?[]? _free;

    private ScratchJson()
    {
        Writer = TemplateEngine.CreateWriter(Buffer);
    }

    public ArrayBufferWriter<byte> Buffer { get; } = new(16 * 1024);
    public Utf8JsonWriter Writer { get; }

    public static ScratchJson Rent()
    {
        var free = _free ??= new ScratchJson?[4];
        for (var i = 0; i < free.Length; i++)
        {
            if (free[i] is not { } scratch) continue;
            free[i] = null;
            scratch.Buffer.ResetWrittenCount();
            scratch.Writer.Reset(scratch.Buffer);
            return scratch;
        }
        return new ScratchJson();
    }

    public static void Return(ScratchJson scratch)
    {
        if (scratch.Buffer.Capacity > 1024 * 1024) return;
        var free = _free ??= new ScratchJson?[4];
        for (var i = 0; i < free.Length; i++)
        {
            if (free[i] is not null) continue;
            free[i] = scratch;
            return;
        }
    }
}

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

/// <summary>One expansion: the reference's <c>internalExpand</c> writing straight to JSON.</summary>
internal readonly struct Expander(string file, EvalContext context, Utf8JsonWriter w)
{
    [ThreadStatic] private static StringBuilder? _cachedBuilder;
    [ThreadStatic] private static byte[]? _cachedUtf8;

    public void WriteRoot(TNode node)
    {
        switch (node)
        {
            case TObject o: ExpandObject(o, null, root: true); break;
            case TArray a: WriteArray(a); break;
            case TText t: Js.Write(w, Evaluate(t.Expr, t.Path)); break;
            case TLiteral l: WriteLiteral(l); break;
        }
    }

    private void WriteLiteral(TLiteral l) => l.WriteTo(w);

    private void WriteArray(TArray a)
    {
        if (a.Raw is not null)
        {
            w.WriteRawValue(a.Raw, skipInputValidation: true);
            return;
        }
        w.WriteStartArray();
        WriteArrayItems(a);
        w.WriteEndArray();
    }

    /// <summary>Array items: nulls dropped, arrays spliced, repeated objects inlined.</summary>
    private void WriteArrayItems(TArray a)
    {
        foreach (var item in a.Items) WriteItem(item);
    }

    /// <summary>One array item: null dropped, arrays spliced, repeated objects inlined.</summary>
    private void WriteItem(TNode item)
    {
        switch (item)
        {
            case TLiteral { IsNull: true }: break;
            case TLiteral l: WriteLiteral(l); break;
            case TArray inner: WriteArrayItems(inner); break;
            case TObject o: ExpandObject(o, null, root: false); break;
            case TText { Expr: AccessorExpr path } when path.TryWriteDataString(context, w, null): break;
            case TText { Expr: CallExpr { IsConcat: true } concat } t when TryWriteText(concat, t.Path, null): break;
            case TText t:
                var v = Evaluate(t.Expr, t.Path);
                if (v is null) break;
                if (Js.IsArray(v))
                {
                    var n = Js.ArrayCount(v);
                    for (var i = 0; i < n; i++) Js.Write(w, Js.ArrayItem(v, i));
                }
                else Js.Write(w, v);
                break;
        }
    }

    private void WriteProperty(JsonEncodedText key, TNode node)
    {
        switch (node)
        {
            case TLiteral l:
                w.WritePropertyName(key);
                WriteLiteral(l);
                break;
            case TText { Expr: AccessorExpr a } when a.TryWriteDataString(context, w, key):
                break;
            case TText { Expr: CallExpr { IsConcat: true } concat } t when TryWriteText(concat, t.Path, key):
                break;
            case TText t:
                var v = Evaluate(t.Expr, t.Path);
                if (v is Undefined) break;
                w.WritePropertyName(key);
                Js.Write(w, v);
                break;
            case TArray a:
                w.WritePropertyName(key);
                WriteArray(a);
                break;
            case TObject o:
                ExpandObject(o, key, root: false);
                break;
        }
    }

    /// <summary>
    /// <c>$data</c>/<c>$when</c> handling. In an array (<paramref name="key"/> null, not root) every kept copy is written inline;
    /// as a property or the root: 0 copies → null, 1 → the object, n → an array.
    /// </summary>
    private void ExpandObject(TObject o, JsonEncodedText? key, bool root)
    {
        if (o.IsPlain)
        {
            if (key is { } name) w.WritePropertyName(name);
            WriteSingle(o);
            return;
        }
        var savedData = context.SaveData();
        var savedIndex = context.Index;
        try
        {
            object? data = Undefined.Value;
            var isArray = false;
            var count = 1;
            if (o.HasData)
            {
                data = o.DataExpr is null ? o.DataLiteral : Evaluate(o.DataExpr, o.Path + ".$data");
                isArray = Js.IsArray(data);
                if (isArray) count = Js.ArrayCount(data);
            }

            if (key is null && !root)
            {
                for (var i = 0; i < count; i++)
                    if (Enter(o, data, isArray, i)) WriteSingle(o);
                return;
            }

            if (key is { } propertyName) w.WritePropertyName(propertyName);
            List<int>? kept = null;
            var keptCount = 0;
            for (var i = 0; i < count; i++)
            {
                if (!Enter(o, data, isArray, i)) continue;
                if (o.WhenExpr is not null) (kept ??= []).Add(i);
                keptCount++;
            }
            if (keptCount == 0) { w.WriteNullValue(); return; }
            if (keptCount > 1) w.WriteStartArray();
            for (var k = 0; k < keptCount; k++)
            {
                var i = kept?[k] ?? k;
                SetCopy(data, isArray, i, o.HasData);
                WriteSingle(o);
            }
            if (keptCount > 1) w.WriteEndArray();
        }
        finally
        {
            context.RestoreData(savedData);
            context.Index = savedIndex;
        }
    }

    private void SetCopy(object? data, bool isArray, int i, bool hasData)
    {
        if (!hasData) return;
        if (isArray)
        {
            context.Index = Js.BoxIndex(i);
            if (data is JsonElement array && array[i] is { ValueKind: JsonValueKind.Object or JsonValueKind.Array } element)
            {
                context.SetData(element);
                return;
            }
            var item = Js.ArrayItem(data, i);
            if (item is not Undefined) context.Data = item;
        }
        else if (data is not Undefined) context.Data = data;
    }

    private bool Enter(TObject o, object? data, bool isArray, int i)
    {
        SetCopy(data, isArray, i, o.HasData);
        if (o.WhenAlwaysDrops) return false;
        if (o.WhenExpr is null) return true;
        try { return o.WhenExpr.Eval(context, false) is true; }
        catch (TemplateEvalException) { return false; }
    }

    private void WriteSingle(TObject o)
    {
        foreach (var op in o.Plan)
        {
            switch (op.Kind)
            {
                case OpKind.Raw: w.WriteRawValue(op.Raw!, skipInputValidation: true); break;
                case OpKind.Property: WriteProperty(op.Key, op.Node!); break;
                case OpKind.Item: WriteItem(op.Node!); break;
                case OpKind.StartObject: w.WriteStartObject(); break;
                case OpKind.StartArray: w.WriteStartArray(); break;
                case OpKind.EndObject: w.WriteEndObject(); break;
                case OpKind.EndArray: w.WriteEndArray(); break;
                case OpKind.Name: w.WritePropertyName(op.Key); break;
            }
        }
    }

    /// <summary>
    /// Writes interpolated text (a root concat, joined part by part with JS <c>toString</c> as in <see cref="Evaluate"/>) as UTF-8,
    /// copying strings of the data without decoding them. Text with UTF-16 surrogates (where joining encoded parts could differ
    /// from encoding the joined string) returns false before writing anything, for <see cref="Evaluate"/> to do it.
    /// </summary>
    private bool TryWriteText(CallExpr concat, string path, JsonEncodedText? key)
    {
        var buffer = _cachedUtf8 ?? new byte[512];
        _cachedUtf8 = null;
        var length = 0;
        try
        {
            foreach (var part in concat.Args)
            {
                if (part is ConstExpr { Utf8: { } constant }) Append(ref buffer, ref length, constant);
                else if (part is AccessorExpr a && a.TryGetDataString(context, out var element) && JsonMarshal.GetRawUtf8Value(element) is var raw && raw.IndexOf((byte)'\\') < 0)
                    Append(ref buffer, ref length, raw[1..^1]);
                else
                {
                    var text = part is ConstExpr { Value: string s } ? s : Js.ToJsString(part.Eval(context, true));
                    if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0) return false;
                    var needed = Encoding.UTF8.GetMaxByteCount(text.Length);
                    if (buffer.Length - length < needed) Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + needed));
                    length += Encoding.UTF8.GetBytes(text, buffer.AsSpan(length));
                }
            }
        }
        catch (TemplateEvalException ex)
        {
            throw new CardRenderException($"{file} at {path}: {ex.Message}", ex);
        }
        finally { _cachedUtf8 = buffer.Length <= 64 * 1024 ? buffer : null; }
        if (key is { } name) w.WritePropertyName(name);
        w.WriteStringValue(buffer.AsSpan(0, length));
        return true;
    }

    private static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        if (buffer.Length - length < bytes.Length) Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + bytes.Length));
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    /// <summary>
    /// A templated string's value with substitution of undefined paths. A concat at the root (interpolated text, or a
    /// <c>concat</c>/<c>&amp;</c> call) is joined part by part with JS <c>toString</c>, as the reference does.
    /// </summary>
    private object? Evaluate(Expr expr, string path)
    {
        try
        {
            if (expr is AccessorExpr accessor) return accessor.EvalRaw(context, true);
            if (expr is not CallExpr { IsConcat: true } call) return expr.Eval(context, true);
            var sb = _cachedBuilder ?? new StringBuilder(256);
            _cachedBuilder = null;
            sb.Clear();
            try
            {
                foreach (var part in call.Args) sb.Append(part is ConstExpr { Value: string s } ? s : Js.ToJsString(part.Eval(context, true)));
                return sb.ToString();
            }
            finally { _cachedBuilder = sb; }
        }
        catch (TemplateEvalException ex)
        {
            throw new CardRenderException($"{file} at {path}: {ex.Message}", ex);
        }
    }
}
