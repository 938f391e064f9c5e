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
/// classes run in parallel without sharing data. Shared by the test projects (linked into Cli.Tests); each adds its
/// own way to talk to the host in a part of its own (GraphQL clients here, cps shells there).
/// </summary>
public partial class DirectorApp : WebApplicationFactory<Program>, IAsyncLifetime
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
        ConfigureSuite(builder);
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
    }

    /// <summary>What a test project sets on every host it starts.</summary>
    partial void ConfigureSuite(IWebHostBuilder builder);

    /// <summary>What a test project cleans up beside the host and its database.</summary>
    partial void DisposeSuite();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        // A fixture that failed to start made no database: its first error is the one to read.
        if (OwnsDatabase && ConnectionString.Length > 0) await TestDatabase.DropDatabase(ConnectionString);
        DisposeSuite();
        GC.SuppressFinalize(this);
    }
}
