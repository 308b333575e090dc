using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
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
