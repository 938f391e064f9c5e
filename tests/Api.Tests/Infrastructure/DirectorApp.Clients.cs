namespace Conpaas.Api.Tests.Infrastructure;

/// <summary>The API tests talk to the host through GraphQL clients.</summary>
public partial class DirectorApp
{
    public GraphQLClient Client(string? token = null) => new(Http(), token);

    /// <summary>An HTTP client for this host (one that trusts its CA, for a host that serves HTTPS).</summary>
    public virtual HttpClient Http() => new() { BaseAddress = BaseAddress };

    public async Task<GraphQLClient> Admin() => await Client().SignIn("admin", AdminPassword);

    /// <summary>Registers a fresh user and returns a client signed in as that user.</summary>
    public async Task<GraphQLClient> NewUser(string? name = null, int? credit = null)
    {
        name ??= "u" + Guid.NewGuid().ToString("N")[..10];
        var client = Client();
        await client.Ok("""
            mutation($input: RegisterInput!) { register(input: $input) { id } }
            """, new { input = new { username = name, email = $"{name}@example.org", password = "password-" + name, credit } });
        return await client.SignIn(name, "password-" + name);
    }
}
