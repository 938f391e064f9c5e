using Conpaas.Cli.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Conpaas.Api.Tests.Infrastructure;

/// <summary>
/// cps talks to the host over HTTP like to any other Director, from shells of its own. No cloud is called: started
/// services stay in PROLOGUE (LocalCloudApp lets the agents work).
/// </summary>
public partial class DirectorApp
{
    private readonly System.Collections.Concurrent.ConcurrentBag<Cps> _shells = [];

    /// <summary>A person at a terminal of their own: a fresh ~/.conpaas, no CPS_* variables.</summary>
    public Cps NewShell()
    {
        var shell = new Cps(this);
        _shells.Add(shell);
        return shell;
    }

    /// <summary>A new shell signed in as a freshly registered user.</summary>
    public async Task<Cps> NewUser(string? name = null)
    {
        name ??= "u" + Guid.NewGuid().ToString("N")[..10];
        var shell = NewShell();
        await shell.Ok("register", name, "--email", $"{name}@example.org", "--password", Cps.PasswordOf(name), "--director", BaseAddress.ToString());
        await shell.Ok("login", name, "--password", Cps.PasswordOf(name), "--director", BaseAddress.ToString());
        shell.Username = name;
        return shell;
    }

    // The host's own log is noise here: what cps prints is what these tests read.
    partial void ConfigureSuite(IWebHostBuilder builder) => builder.UseSetting("Logging:LogLevel:Default", "Warning");

    partial void DisposeSuite()
    {
        foreach (var shell in _shells) shell.Dispose();
    }
}
