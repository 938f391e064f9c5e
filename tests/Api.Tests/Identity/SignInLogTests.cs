using System.Collections.Concurrent;
using Conpaas.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Conpaas.Api.Tests.Identity;

/// <summary>Issue 11: what the Director logs while it is hammered with sign-ins.</summary>
public sealed class SignInLogTests(SignInLogTests.LoggedDirector app) : IClassFixture<SignInLogTests.LoggedDirector>
{
    public sealed class LoggedDirector : DirectorApp
    {
        public ConcurrentQueue<(LogLevel Level, string Category, string Text)> Lines { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Logging:LogLevel:Conpaas.Api.Identity", "Debug");
            builder.ConfigureLogging(l => l.AddProvider(new Capture(Lines)));
        }
    }

    [Fact]
    public async Task aliased_and_parallel_logins_mixed_with_queries_never_share_a_database_connection()
    {
        var user = await app.NewUser();
        var admin = await app.Admin();
        var name = user.Username!;
        var wrongLogins = string.Join(" ", Enumerable.Range(0, 8).Select(i =>
            $"w{i}: login(username: \"{(i % 2 == 0 ? name : "ghost" + i)}\", password: \"wrong-{i}\") {{ token user {{ id creditRunsOutAt }} }}"));
        const string manyRoots = "{ me { id username credit creditRunsOutAt } a: me { id } users { id username creditRunsOutAt } applications { id } }";

        var requests = new List<Task>();
        for (var round = 0; round < 15; round++)
        {
            requests.Add(app.Client().Send($"mutation {{ {wrongLogins} }}"));
            requests.Add(admin.Send(manyRoots));
            requests.Add(user.Send(manyRoots));
            requests.Add(app.Client().Send("mutation($u: String!) { login(username: $u, password: \"\") { token } }", new { u = "ghost-" + round }));
            // Clients that give up half-way: the request is aborted while the Director is inside it.
            requests.Add(Abandoned(app.Client(), $"mutation {{ {wrongLogins} }}", TimeSpan.FromMilliseconds(20 + round * 7)));
            requests.Add(Abandoned(admin, manyRoots, TimeSpan.FromMilliseconds(5 + round * 3)));
        }

        await Task.WhenAll(requests);
        // Sessions of the aborted requests end after the answer: give the host a moment to log what they did.
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        Assert.DoesNotContain(app.Lines, l => l.Text.Contains("unexpected backend message", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(app.Lines.Where(l => l.Level >= LogLevel.Error).Select(l => $"{l.Category}: {l.Text}"));
    }

    [Fact]
    public async Task lost_races_of_register_and_login_are_one_debug_line_not_an_error_with_sql()
    {
        var name = "race" + Guid.NewGuid().ToString("N")[..8];
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => app.Client().Send(
            "mutation($input: RegisterInput!) { register(input: $input) { id } }",
            new { input = new { username = name, email = $"{name}-{i}@example.org", password = "good-password" } })));
        var email = name + "@mail.example.org";
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => app.Client().Send(
            "mutation($input: RegisterInput!) { register(input: $input) { id } }",
            new { input = new { username = $"{name}m{i}", email, password = "good-password" } })));
        // Parallel logins of one user append to its stream at once: the losers try again.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => app.Client().SignIn(name, "good-password")));

        Assert.Empty(app.Lines.Where(l => l.Level >= LogLevel.Warning).Select(l => $"{l.Category}: {l.Text}"));
        // Whether a racing register reaches the unique index (rather than the friendly check before it) depends on
        // timing; every race lost, there or on the user stream's version, is one debug line and nothing above it.
        Assert.All(app.Lines.Where(l => l.Text.StartsWith("Lost a race", StringComparison.Ordinal)), l => Assert.Equal(LogLevel.Debug, l.Level));
    }

    private static async Task Abandoned(GraphQLClient client, string query, TimeSpan after)
    {
        using var cancel = new CancellationTokenSource(after);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = System.Net.Http.Json.JsonContent.Create(new { query }) };
        if (client.Token is not null) request.Headers.Authorization = new("Bearer", client.Token);
        try
        {
            using var response = await client.Http.SendAsync(request, cancel.Token);
            await response.Content.ReadAsStringAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class Capture(ConcurrentQueue<(LogLevel, string, string)> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(LogLevel, string, string)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            // Debug too, for the identity slice only: the one line of a lost race is at debug level.
            public bool IsEnabled(LogLevel logLevel) =>
                logLevel >= LogLevel.Information || category.StartsWith("Conpaas.Api.Identity", StringComparison.Ordinal);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) lines.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? "" : " " + exception)));
            }
        }
    }
}
