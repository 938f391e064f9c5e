using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>cps admin: what cps-tools' user list/add_credit and cpsadduser did, through the API.</summary>
public sealed class AdminTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    private async Task<Cps> Admin()
    {
        var admin = director.NewShell();
        await admin.Ok("login", "admin", "--password", DirectorApp.AdminPassword, "--director", director.BaseAddress.ToString());
        return admin;
    }

    [Fact]
    public async Task an_administrator_creates_a_user_grants_credit_lists_users_and_reads_the_audit_log()
    {
        var admin = await Admin();
        var name = "c" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal($"User {name} (USER) created with 10 credit\n",
            (await admin.Ok("admin", "user", "create", name, "--email", $"{name}@example.org", "--password", "secret-pw", "--credit", "10")).Out);
        Assert.Equal($"User {name} now has 15 credit\n", (await admin.Ok("admin", "credit", name, "5", "--reason", "course work")).Out);
        Assert.Equal($"User {name} now has 0 credit\n", (await admin.Ok("admin", "credit", name, "-100", "--reason", "end of term")).Out);

        var users = await admin.Ok("admin", "users", "--credit");
        var row = users.Column("USERNAME").ToList().IndexOf(name);
        Assert.True(row >= 0, users.Out);
        Assert.Equal("0", users.Column("CREDIT")[row]);
        Assert.DoesNotContain("CREDIT", (await admin.Ok("admin", "users")).Out);

        var audit = await admin.Ok("admin", "audit", "--user", name, "--type", "CreditGranted");
        Assert.Equal(["CreditGranted", "CreditGranted"], audit.Column("EVENT"));
        Assert.Contains("reason=course work", audit.Out);
        var limited = await admin.Json("admin", "audit", "--user", name, "--limit", "1");
        Assert.Single(limited["auditLog"]!["events"]!.AsArray());

        await admin.Fails(2, "error: --from: 'yesterday' is not a time", "admin", "audit", "--from", "yesterday");
        var future = await admin.Json("admin", "audit", "--user", name, "--from", DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ"));
        Assert.Empty(future["auditLog"]!["events"]!.AsArray());
    }

    [Fact]
    public async Task a_user_is_refused_with_forbidden_and_a_hint()
    {
        var ann = await director.NewUser();
        var refused = await ann.Fails(1, "(FORBIDDEN)", "admin", "users");
        Assert.Contains("hint: this needs an administrator's account", refused.Err);
        await ann.Fails(1, "(FORBIDDEN)", "admin", "credit", ann.Username!, "100", "--reason", "greed");
        await ann.Fails(2, "(USAGE)", "admin", "credit", ann.Username!, "100");
    }
}
