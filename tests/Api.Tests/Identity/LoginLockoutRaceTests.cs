using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Subscriptions;
using Xunit;

namespace Conpaas.Api.Tests.Identity;

/// <summary>Issue 11: the lockout holds when the attempts come all at once, on one node or spread over two.</summary>
public sealed class LoginLockoutRaceTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private const string Login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }";

    [Fact]
    public async Task forty_parallel_wrong_passwords_check_exactly_five_and_refuse_the_right_one_inside_the_burst()
    {
        var user = await nodes.First.NewUser();
        var burst = Enumerable.Range(0, 40).Select(i => nodes.First.Client().Send(Login, new { u = user.Username, p = $"wrong-{i}" })).ToList();

        // As soon as the lock shows, the right password comes in while the burst is still being answered.
        await FirstLockout(burst);
        var right = await nodes.First.Client().Send(Login, new { u = user.Username, p = "password-" + user.Username });

        var codes = Codes(await Task.WhenAll(burst));
        Assert.Equal(5, codes.Count(c => c == "UNAUTHENTICATED"));
        Assert.Equal(35, codes.Count(c => c == "RATE_LIMITED"));
        Assert.Equal("RATE_LIMITED", Codes([right]).Single());
    }

    [Fact]
    public async Task forty_parallel_wrong_passwords_spread_over_two_nodes_check_exactly_five()
    {
        var user = await nodes.First.NewUser();
        var burst = Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? nodes.First : nodes.Second).Client()
            .Send(Login, new { u = user.Username, p = $"wrong-{i}" })).ToList();
        await FirstLockout(burst);
        var right = await nodes.Second.Client().Send(Login, new { u = user.Username, p = "password-" + user.Username });

        var codes = Codes(await Task.WhenAll(burst));
        Assert.Equal(5, codes.Count(c => c == "UNAUTHENTICATED"));
        Assert.Equal(35, codes.Count(c => c == "RATE_LIMITED"));
        Assert.Equal("RATE_LIMITED", Codes([right]).Single());
    }

    [Fact]
    public async Task a_burst_for_a_name_that_does_not_exist_is_locked_the_same_way()
    {
        var ghost = "ghost" + Guid.NewGuid().ToString("N")[..10];
        var codes = Codes(await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? nodes.First : nodes.Second).Client()
            .Send(Login, new { u = ghost, p = $"wrong-{i}" }))));
        Assert.Equal(5, codes.Count(c => c == "UNAUTHENTICATED"));
        Assert.Equal(35, codes.Count(c => c == "RATE_LIMITED"));
    }

    private static async Task FirstLockout(List<Task<GraphQLResponse>> burst)
    {
        var pending = burst.ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            if (Codes([await done]).Single() == "RATE_LIMITED") return;
            pending.Remove(done);
        }

        Assert.Fail("no attempt of the burst was refused as RATE_LIMITED");
    }

    private static List<string?> Codes(IEnumerable<GraphQLResponse> responses) =>
        responses.Select(r => r.Errors?[0]?["extensions"]?["code"]?.GetValue<string>()).ToList();
}
