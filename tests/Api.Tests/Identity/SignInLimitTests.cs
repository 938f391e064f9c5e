using System.Diagnostics.Metrics;
using Conpaas.Api.Identity;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Domain.Users;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Identity;

/// <summary>Issue 11: what an anonymous client can make the Director do is bounded.</summary>
public sealed class PasswordHashCapTests(PasswordHashCapTests.SmallCap app) : IClassFixture<PasswordHashCapTests.SmallCap>
{
    public sealed class SmallCap : DirectorApp
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Director:MaxConcurrentPasswordHashes"] = "2",
            ["Director:PasswordHashQueue"] = "4",
        };
    }

    [Fact]
    public async Task two_hundred_parallel_logins_for_unknown_users_hash_at_most_two_at_a_time_and_refuse_the_rest_with_a_delay()
    {
        using var computing = new PeakGauge(app.Services.GetRequiredService<IMeterFactory>(), "conpaas.password_hashes.computing");
        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => app.Client().Send(
            "mutation($u: String!) { login(username: $u, password: \"some-password\") { token } }",
            new { u = $"nobody{i}-" + Guid.NewGuid().ToString("N")[..6] })));

        Assert.InRange(computing.Peak, 1, 2);
        var refused = responses.Where(r => Code(r) == "RATE_LIMITED").ToList();
        Assert.Equal(200, refused.Count + responses.Count(r => Code(r) == "UNAUTHENTICATED"));
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.True(r.Errors![0]!["extensions"]!["retryAfterSeconds"]!.GetValue<int>() >= 1));
    }

    private static string? Code(GraphQLResponse r) => r.Errors?[0]?["extensions"]?["code"]?.GetValue<string>();

    /// <summary>The highest value an up-down counter of this host reached while listened to.</summary>
    private sealed class PeakGauge : IDisposable
    {
        private readonly MeterListener _listener = new();
        private int _now;

        public int Peak { get; private set; }

        public PeakGauge(IMeterFactory hostMeters, string instrument)
        {
            // Meters made by this host's factory have it as their scope: other hosts of the test run are not counted.
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Scope == hostMeters && i.Name == instrument) l.EnableMeasurementEvents(i);
            };
            _listener.SetMeasurementEventCallback<int>((_, delta, _, _) =>
            {
                lock (_listener) Peak = Math.Max(Peak, _now += delta);
            });
            _listener.Start();
        }

        public void Dispose() => _listener.Dispose();
    }
}

public sealed class AnonymousSignInLimitTests(AnonymousSignInLimitTests.TenPerMinute app) : IClassFixture<AnonymousSignInLimitTests.TenPerMinute>
{
    public sealed class TenPerMinute : DirectorApp
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Director:AnonymousSignInsPerMinute"] = "10",
            // Sixty aliases in one document: more than a document may hold by default (GraphQL:MaxAliases).
            ["GraphQL:MaxAliases"] = "100",
        };
    }

    [Fact]
    public async Task sixty_aliased_registers_in_one_request_create_only_as_many_users_as_a_minute_allows()
    {
        var admin = await app.Admin(); // the first of this address's ten sign-ins this minute
        var prefix = "alias" + Guid.NewGuid().ToString("N")[..6];
        var fields = string.Join("\n", Enumerable.Range(0, 60).Select(i =>
            $"r{i}: register(input: {{username: \"{prefix}{i}\", email: \"{prefix}{i}@example.org\", password: \"good-password\"}}) {{ id }}"));
        var response = await app.Client().Send($"mutation {{ {fields} }}");

        var refused = response.Errors!.Select(e => e!["extensions"]!).ToList();
        Assert.Equal(51, refused.Count);
        Assert.All(refused, e =>
        {
            Assert.Equal("RATE_LIMITED", e["code"]!.GetValue<string>());
            Assert.InRange(e["retryAfterSeconds"]!.GetValue<int>(), 1, 60);
        });
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        Assert.Equal(9, await session.Query<User>().CountAsync(u => u.UsernameKey.StartsWith(prefix), TestContext.Current.CancellationToken));

        // Logins from that address wait too; a signed-in administrator does not.
        await app.Client().Fails("RATE_LIMITED", $"mutation {{ login(username: \"{prefix}0\", password: \"good-password\") {{ token }} }}");
        await admin.Ok($"mutation {{ createUser(input: {{username: \"{prefix}x\", email: \"{prefix}x@example.org\", password: \"good-password\"}}) {{ id }} }}");
    }
}
