using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpsBot.BotFramework.Schema;

/// <summary>Wire JSON rules: camelCase out, case-insensitive in, nulls omitted.</summary>
public static class BotJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
