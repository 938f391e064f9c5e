using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Subscriptions.Transport;
using Npgsql;
using Xunit;

namespace Conpaas.Api.Tests.Transport;

/// <summary>
/// PostgreSQL unreachable (issue 11): every request, signed in or anonymous, over HTTP, SSE and WebSocket, gets a
/// clean SERVICE_UNAVAILABLE (HTTP 503 with Retry-After) quickly, and /health says why. The shared PostgreSQL is never
/// stopped: the Director reaches its database through a TCP relay that the test cuts (open connections reset, the
/// port then closed) and restores.
/// </summary>
public sealed class DatabaseDownTests(DatabaseDownTests.App app) : IClassFixture<DatabaseDownTests.App>
{
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(2);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public sealed class App : WsApp
    {
        public TcpRelay Relay { get; private set; } = null!;

        protected override async Task<string> Database()
        {
            var real = new NpgsqlConnectionStringBuilder(await TestDatabase.CreateDatabase(nameof(DatabaseDownTests)));
            Relay = TcpRelay.Start(real.Host!, real.Port);
            // A short connect timeout is not needed (the closed port refuses at once); the password stays a secret.
            return new NpgsqlConnectionStringBuilder(real.ConnectionString) { Host = "127.0.0.1", Port = Relay.Port }.ConnectionString;
        }

        public override async ValueTask DisposeAsync()
        {
            Relay.Restore(); // the host stops cleanly with its database back
            await base.DisposeAsync();
            Relay.Dispose();
        }
    }

    /// <summary>Runs <paramref name="body"/> with the database cut off, and restores it after.</summary>
    private async Task WhileDown(Func<Task> body)
    {
        app.Relay.Cut();
        try
        {
            await body();
        }
        finally
        {
            app.Relay.Restore();
        }
    }

    private async Task<(int Status, JsonObject Json, HttpResponseMessage Response, TimeSpan Took)> Post(string query, string? token = null,
        string? accept = null)
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(new JsonObject { ["query"] = query }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        var clock = Stopwatch.StartNew();
        var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return ((int)response.StatusCode, JsonNode.Parse(text)!.AsObject(), response, clock.Elapsed);
    }

    private static void AssertUnavailable((int Status, JsonObject Json, HttpResponseMessage Response, TimeSpan Took) reply)
    {
        Assert.True(reply.Status == 503, $"expected 503, got {reply.Status}: {reply.Json.ToJsonString()}");
        var errors = reply.Json["errors"]!.AsArray();
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal("SERVICE_UNAVAILABLE", e!["extensions"]!["code"]!.GetValue<string>()));
        Assert.True(reply.Response.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, "Retry-After");
        Assert.True(reply.Took < Fast, $"took {reply.Took}");
    }

    [Fact]
    public async Task signed_in_and_anonymous_requests_get_503_service_unavailable()
    {
        var user = await app.NewUser();
        var name = "u" + Guid.NewGuid().ToString("N")[..10];

        await WhileDown(async () =>
        {
            AssertUnavailable(await Post("{ me { username } }", user.Token));
            AssertUnavailable(await Post("{ me { username } }", user.Token, "application/graphql-response+json"));
            AssertUnavailable(await Post("mutation { createApplication(name: \"down\") { id } }", user.Token));
            AssertUnavailable(await Post("mutation { login(username: \"nobody\", password: \"wrong-password\") { token } }"));
            AssertUnavailable(await Post(
                $"mutation {{ register(input: {{username: \"{name}\", email: \"{name}@example.org\", password: \"good-password\"}}) {{ id }} }}"));
            AssertUnavailable(await Post("{ me { username } }", user.Token, "text/event-stream"));
            // What needs no database still works.
            var version = await Post("{ version }");
            Assert.True(version.Status == 200 && version.Json["errors"] is null, version.Json.ToJsonString());
        });

        // Nothing was written while it was down, and the Director serves again once it is back.
        Assert.Empty((await user.Ok("{ applications { name } }"))["applications"]!.AsArray());
        var users = (await (await app.Admin()).Ok("{ users { username } }"))["users"]!.AsArray();
        Assert.DoesNotContain(users, u => u!["username"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task over_websocket_the_init_is_closed_1013_and_an_operation_gets_service_unavailable()
    {
        var user = await app.NewUser();
        await using var ready = await WsClient.Ready(app, user.Token);

        await WhileDown(async () =>
        {
            await ready.Subscribe("1", "{ me { username } }");
            var error = await ready.Expect("error", "1", Fast);
            Assert.Equal("SERVICE_UNAVAILABLE", error.Message!["payload"]![0]!["extensions"]!["code"]!.GetValue<string>());

            await using var late = await WsClient.Connect(app);
            await late.Send(new JsonObject { ["type"] = "connection_init", ["payload"] = new JsonObject { ["authorization"] = "Bearer " + user.Token } });
            await late.ExpectClose(1013, wait: Fast);
        });
    }

    [Fact]
    public async Task health_answers_503_fast_with_the_cause_and_no_password()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        Assert.Equal("Healthy", await http.GetStringAsync("/health", Ct));

        await WhileDown(async () =>
        {
            var clock = Stopwatch.StartNew();
            using var response = await http.GetAsync("/health", Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.StartsWith("Unhealthy: database unreachable: ", body);
            var password = new NpgsqlConnectionStringBuilder(app.ConnectionString).Password;
            if (!string.IsNullOrEmpty(password)) Assert.DoesNotContain(password, body);
        });
    }

    [Fact]
    public async Task without_its_database_the_director_does_not_start_and_says_why_in_one_line()
    {
        using var relay = TcpRelay.Start("127.0.0.1", 1);
        relay.Cut(); // a port where nothing listens
        const string password = "not-to-be-printed";
        await using var director = Hosting.DirectorProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Director"] = $"Host=127.0.0.1;Port={relay.Port};Username=conpaas;Password={password};Database=conpaas",
        });

        Assert.Equal(3, await director.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains($"The Director cannot start: database unreachable: Failed to connect to 127.0.0.1:{relay.Port}", director.StandardError);
        Assert.DoesNotContain(password, director.Logs);
    }
}

/// <summary>Relays TCP connections to a server; <see cref="Cut"/> resets them all and closes the port until <see cref="Restore"/>.</summary>
public sealed class TcpRelay : IDisposable
{
    private readonly string _host;
    private readonly int _targetPort;
    private readonly List<Socket> _open = [];
    private TcpListener? _listener;

    private TcpRelay(string host, int targetPort, int port)
    {
        _host = host;
        _targetPort = targetPort;
        Port = port;
    }

    public int Port { get; }

    public static TcpRelay Start(string host, int targetPort)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var relay = new TcpRelay(host, targetPort, port);
        relay.Restore();
        return relay;
    }

    public void Restore()
    {
        lock (_open)
        {
            if (_listener is not null) return;
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            _ = Accept(_listener);
        }
    }

    public void Cut()
    {
        lock (_open)
        {
            _listener?.Stop();
            _listener = null;
            foreach (var socket in _open)
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0); // a reset, as when the server goes away
                    socket.Close();
                }
                catch (ObjectDisposedException)
                {
                }
            }

            _open.Clear();
        }
    }

    private async Task Accept(TcpListener listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await server.ConnectAsync(_host, _targetPort);
            }
            catch (SocketException)
            {
                client.Close();
                server.Dispose();
                continue;
            }

            lock (_open)
            {
                _open.Add(client);
                _open.Add(server);
            }

            _ = Pump(client, server);
            _ = Pump(server, client);
        }
    }

    private static async Task Pump(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer)) > 0) await to.SendAsync(buffer.AsMemory(0, read));
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            try
            {
                to.Close();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose() => Cut();
}
