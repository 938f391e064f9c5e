using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Domain.Users;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Identity;

public sealed class ConcurrentRegistrationTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    [Fact]
    public async Task twenty_parallel_registrations_of_one_name_leave_exactly_one_user()
    {
        var name = "race" + Guid.NewGuid().ToString("N")[..8];
        var attempts = Enumerable.Range(0, 20).Select(i => app.Client().Send(
            "mutation($input: RegisterInput!) { register(input: $input) { id } }",
            new { input = new { username = name, email = $"{name}-{i}@example.org", password = "good-password" } }));
        var responses = await Task.WhenAll(attempts);

        Assert.Single(responses, r => r.Errors is null);
        Assert.All(responses.Where(r => r.Errors is not null), r =>
        {
            Assert.Equal("CONFLICT", r.Errors![0]!["extensions"]!["code"]!.GetValue<string>());
            Assert.Equal($"Username '{name}' is already taken", r.Errors[0]!["message"]!.GetValue<string>());
        });

        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(1, await session.Query<User>().CountAsync(u => u.UsernameKey == name, ct));
        var streams = await session.Events.QueryAllRawEvents().Where(e => e.EventTypeName == "user_registered").ToListAsync(ct);
        Assert.Single(streams, e => ((UserRegistered)e.Data).Username == name);
    }

    [Fact]
    public async Task parallel_registrations_of_one_email_leave_exactly_one_user()
    {
        var email = "same-" + Guid.NewGuid().ToString("N")[..8] + "@example.org";
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => app.Client().Send(
            "mutation($input: RegisterInput!) { register(input: $input) { id } }",
            new { input = new { username = $"mail{i}-" + Guid.NewGuid().ToString("N")[..6], email, password = "good-password" } })));
        Assert.Single(responses, r => r.Errors is null);
        Assert.All(responses.Where(r => r.Errors is not null), r =>
            Assert.Equal($"E-mail '{email}' is already registered", r.Errors![0]!["message"]!.GetValue<string>()));
    }
}
