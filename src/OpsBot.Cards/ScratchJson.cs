using System.Buffers;
using System.Text.Json;

namespace OpsBot.Cards;

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
