using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace OpsBot.Tests.Boards;

/// <summary>A Server-Sent Events client for the tests: reads events off an open response in the background.</summary>
public sealed class EventStream : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<(string Name, string Data)> _events = Channel.CreateUnbounded<(string, string)>();

    private EventStream(HttpResponseMessage response)
    {
        _response = response;
        _ = Task.Run(ReadAsync);
    }

    public static async Task<EventStream> OpenAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.StartsWith("text/event-stream", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        return new EventStream(response);
    }

    private async Task ReadAsync()
    {
        try
        {
            using var reader = new StreamReader(await _response.Content.ReadAsStreamAsync(_stop.Token), Encoding.UTF8);
            string name = "message";
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0) await _events.Writer.WriteAsync((name, data.ToString()));
                    name = "message";
                    data.Clear();
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Append(line[6..]);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    /// <summary>The next event named <paramref name="name"/>, as JSON.</summary>
    public Task<JsonObject> NextAsync(string name, TimeSpan timeout) => NextMatchingAsync(name, _ => true, timeout);

    /// <summary>Skips events until one named <paramref name="name"/> satisfies <paramref name="match"/>.</summary>
    public async Task<JsonObject> NextMatchingAsync(string name, Func<JsonObject, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = new List<string>();
        try
        {
            while (true)
            {
                var (eventName, data) = await _events.Reader.ReadAsync(cts.Token);
                seen.Add(eventName);
                if (eventName != name) continue;
                var json = JsonNode.Parse(data)!.AsObject();
                if (match(json)) return json;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching '{name}' event within {timeout}; saw: {string.Join(", ", seen)}");
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _response.Dispose();
    }
}
