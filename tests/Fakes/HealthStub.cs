using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Conpaas.Fakes;

/// <summary>
/// A stand-in for a booted agent's /health: a bare TCP listener on the instance's address that answers every HTTP
/// request 200 while <c>ready</c> holds (503 before), one request per connection. Kestrel cannot add listeners after it
/// started, and the fake's instances get their addresses one at a time.
/// </summary>
internal sealed class HealthStub : IDisposable
{
    private static readonly byte[] Ready = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    private static readonly byte[] NotReady = Encoding.ASCII.GetBytes("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();

    private HealthStub(TcpListener listener) => _listener = listener;

    /// <summary>The stub listening on address:port, or null when something else listens there already.</summary>
    public static HealthStub? TryStart(string address, int port, Func<bool> ready)
    {
        var listener = new TcpListener(IPAddress.Parse(address), port);
        try
        {
            listener.Start();
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            listener.Dispose();
            return null;
        }

        var stub = new HealthStub(listener);
        _ = stub.Serve(ready);
        return stub;
    }

    private async Task Serve(Func<bool> ready)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Answer(client, ready);
        }
    }

    private static async Task Answer(Socket client, Func<bool> ready)
    {
        using (client)
        {
            try
            {
                // Read the request head (a GET has no body), then answer and close.
                var buffer = new byte[4096];
                var read = 0;
                while (read < buffer.Length)
                {
                    var n = await client.ReceiveAsync(buffer.AsMemory(read));
                    if (n == 0) return;
                    read += n;
                    if (Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal)) break;
                }

                await client.SendAsync(ready() ? Ready : NotReady);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // the caller went away
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
