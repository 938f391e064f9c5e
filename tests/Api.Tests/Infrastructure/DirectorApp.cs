using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Infrastructure;

/// <summary>
/// The real Director host on a real Kestrel port, with a database of its own. One per test class:
/// classes run in parallel without sharing data.
/// </summary>
public class DirectorApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminPassword = "admin-test-password";

    public string ConnectionString { get; private set; } = "";

    /// <summary>The host's clock: real time unless a test moves it forward.</summary>
    public TestClock Clock { get; } = new();
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Extra settings a fixture needs (e.g. self-registration switched off).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>The database this host uses: a new one, unless a fixture shares another node's.</summary>
    protected virtual Task<string> Database() => TestDatabase.CreateDatabase(GetType().Name);

    /// <summary>Whether this fixture made (and so drops) its database.</summary>
    protected virtual bool OwnsDatabase => true;

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await Database();
        StartKestrel();
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1"));
    }

    /// <summary>How the host listens: plain HTTP on a free loopback port.</summary>
    protected virtual void StartKestrel() => UseKestrel(0);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Director", ConnectionString);
        builder.UseSetting("Director:DurabilityMode", "Solo");
        builder.UseSetting("Director:AdminPassword", AdminPassword);
        builder.UseSetting("urls", "http://127.0.0.1:0");
        // By default tests play the cloud themselves (VmOutcomeRecorder); LocalCloudApp lets the agents work.
        builder.UseSetting("Agents:Enabled", "false");
        // Tests count the applications they create; DefaultApplicationTests switch the default application on.
        builder.UseSetting("Director:CreateDefaultApplication", "false");
        // Charging rounds run when a test asks (Charger.RunOnce), on the test's clock.
        builder.UseSetting("Credits:Enabled", "false");
        // Every test signs in from 127.0.0.1: the per-address limit is tested by fixtures that lower it again.
        builder.UseSetting("Director:AnonymousSignInsPerMinute", "1000000");
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
    }

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

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (OwnsDatabase) await TestDatabase.DropDatabase(ConnectionString);
        GC.SuppressFinalize(this);
    }
}
