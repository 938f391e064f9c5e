using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Conpaas.Api.Tests.Clouds;

/// <summary>
/// What a fake cloud's running VM answers in place of a booted agent: HTTP 200 on its own loopback address and the agent's
/// port, so the drivers' readiness checks meet something real that stops answering when the VM is removed.
/// </summary>
public sealed class FakeVmHealth : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();

    public FakeVmHealth(string ip, int port)
    {
        _listener = new TcpListener(IPAddress.Parse(ip), port);
        _listener.Start();
        _ = Serve();
    }

    /// <summary>Loopback addresses for one fake's VMs, away from other fakes' (127.0.0.1, the local cloud's 127.100) and a
    /// port for their agents that is free now.</summary>
    public static (Func<int, string> Address, int Port) Addresses()
    {
        var block = Random.Shared.Next(110, 250);
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return (n => $"127.{block}.{n / 250 % 250}.{n % 250 + 1}", port);
    }

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                await using var stream = client.GetStream();
                var buffer = new byte[4096];
                var read = 0;
                // Up to the end of the request's headers: a health check has no body.
                while (read < buffer.Length && !Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n"))
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(read), _stop.Token);
                    if (n == 0) break;
                    read += n;
                }

                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray(), _stop.Token);
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                // One broken connection does not stop the VM answering the next.
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
