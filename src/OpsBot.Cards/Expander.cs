using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace OpsBot.Cards;

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
