using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests.Infrastructure;

/// <summary>
/// The real Director host on a real Kestrel port, with a database of its own; cps talks to it over HTTP like to any
/// other Director. No cloud is called: started services stay in PROLOGUE (LocalCloudApp lets the agents work).
/// </summary>
public class DirectorApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminPassword = "admin-test-password";

    public string ConnectionString { get; private set; } = "";
    public Uri BaseAddress { get; private set; } = null!;

    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateDatabase(GetType().Name);
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
        builder.UseSetting("Agents:Enabled", "false");
        // Tests count the applications they create; DefaultApplicationTests switch the default application on.
        builder.UseSetting("Director:CreateDefaultApplication", "false");
        builder.UseSetting("Credits:Enabled", "false");
        builder.UseSetting("Director:AnonymousSignInsPerMinute", "1000000"); // every shell signs in from 127.0.0.1
        // The host's own log is noise here: what cps prints is what these tests read.
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
    }

    /// <summary>A person at a terminal of their own: a fresh ~/.conpaas, no CPS_* variables.</summary>
    public Cps NewShell()
    {
        var shell = new Cps(this);
        _shells.Add(shell);
        return shell;
    }

    private readonly System.Collections.Concurrent.ConcurrentBag<Cps> _shells = [];

    /// <summary>A new shell signed in as a freshly registered user.</summary>
    public async Task<Cps> NewUser(string? name = null)
    {
        var shell = NewShell();
        name ??= "u" + Guid.NewGuid().ToString("N")[..10];
        await shell.Ok("register", name, "--email", $"{name}@example.org", "--password", Cps.PasswordOf(name), "--director", BaseAddress.ToString());
        await shell.Ok("login", name, "--password", Cps.PasswordOf(name), "--director", BaseAddress.ToString());
        shell.Username = name;
        return shell;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await TestDatabase.DropDatabase(ConnectionString);
        foreach (var shell in _shells) shell.Dispose();
        GC.SuppressFinalize(this);
    }
}
