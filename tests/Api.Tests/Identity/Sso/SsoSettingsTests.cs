using Conpaas.Api.Tests.Hosting;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Identity.Sso;

/// <summary>Identity provider settings are checked at start like every other setting; the client secret is never printed.</summary>
public sealed class SsoSettingsTests : IAsyncLifetime
{
    private const string Secret = "the-client-secret-9f3b";
    private DirectorProcess? _director;
    private string _database = "";

    public async ValueTask InitializeAsync() => _database = await TestDatabase.CreateDatabase("sso-settings");

    [Fact]
    public async Task a_bad_provider_refuses_to_start_in_one_line_naming_each_key_and_never_the_secret()
    {
        _director = DirectorProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Director"] = _database,
            ["Sso__Providers__corp__Issuer"] = "http://idp.example.org",
            ["Sso__Providers__corp__ClientSecret"] = Secret,
            ["Sso__Providers__corp__Scopes"] = "profile email",
            ["Sso__Providers__Bad_Name__Issuer"] = "https://idp.example.org",
            ["Sso__Providers__Bad_Name__ClientId"] = "director",
        });

        var exitCode = await _director.WaitForExit(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 2, $"exit code {exitCode}:\n{_director.Logs}");
        var line = Assert.Single(_director.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("The Director cannot start: ", line);
        Assert.Contains("Sso:Providers:corp:Issuer 'http://idp.example.org' must be an absolute https URL", line);
        Assert.Contains("Sso:Providers:corp:ClientId must not be empty", line);
        Assert.Contains("Sso:Providers:corp:Scopes 'profile email' must include openid", line);
        Assert.Contains("the name 'Bad_Name' must be lower-case", line);
        Assert.DoesNotContain(Secret, _director.Logs);
    }

    public async ValueTask DisposeAsync()
    {
        if (_director is not null) await _director.DisposeAsync();
        await TestDatabase.DropDatabase(_database);
    }
}
