using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using OpsBot.Cards;

namespace OpsBot.Testing;

/// <summary>Runs the official npm packages in tests/peers with node: one process per batch, en-US and UTC pinned.</summary>
public static class NodePeers
{
    public static string RepoRoot => RepoFiles.Root;
    public static string PeersFolder => Path.Combine(RepoRoot, "tests", "peers");
    public static string CardsFolder => Path.Combine(RepoRoot, "cards");

    /// <summary>Runs <paramref name="script"/> with the batch in a temp file and returns its JSON array answer.</summary>
    public static async Task<JsonArray> RunAsync(string script, JsonArray batch)
    {
        var input = Path.Combine(Path.GetTempPath(), $"opsbot-peer-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(input, batch.ToJsonString());
        try
        {
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = PeersFolder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
            };
            start.ArgumentList.Add(script);
            start.ArgumentList.Add(input);
            start.Environment["LANG"] = "en_US.UTF-8";
            start.Environment["LC_ALL"] = "en_US.UTF-8";
            start.Environment["TZ"] = "UTC";
            using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0) throw new InvalidOperationException($"node {script} exited {process.ExitCode}: {await stderr}");
            return (JsonArray)JsonNode.Parse(await stdout)!;
        }
        finally
        {
            File.Delete(input);
        }
    }

    /// <summary>Canonical text of a JSON value: object keys sorted, numbers in JS form — JSON equality after key-order normalisation.</summary>
    public static string Normalize(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null: sb.Append("null"); break;
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) sb.Append(',');
                    first = false;
                    sb.Append(JsonValue.Create(key).ToJsonString()).Append(':');
                    Write(sb, value);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Write(sb, a[i]);
                }
                sb.Append(']');
                break;
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number:
                sb.Append(Js.NumberToString(double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture)));
                break;
            default:
                sb.Append(node.ToJsonString());
                break;
        }
    }
}
