using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace OpsBot.Testing;

/// <summary>
/// A connector HTTP handler for a network that has only loopback: <paramref name="aliasHost"/> is routed to a loopback port,
/// every other host but 127.0.0.1 has no route, and each connection attempt is recorded as <c>host:port</c>.
/// </summary>
public sealed class TestNetwork(string aliasHost, int aliasPort)
{
    public ConcurrentQueue<string> Connects { get; } = new();

    public SocketsHttpHandler Handler() => new()
    {
        ConnectCallback = async (context, ct) =>
        {
            var (host, port) = (context.DnsEndPoint.Host, context.DnsEndPoint.Port);
            Connects.Enqueue($"{host}:{port}");
            if (host == aliasHost) port = aliasPort;
            else if (host != "127.0.0.1") throw new HttpRequestException($"Test network: no route to {host}.");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };
}
