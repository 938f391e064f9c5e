using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Services;

/// <summary>The service type catalogue (ConPaaS core/services.py as data) and the configured clouds: no sign-in needed.</summary>
public sealed class ServiceCatalogueTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private const string ServiceTypes = "{ serviceTypes { name description roles { name isDefault initialCount } ports } }";

    [Fact]
    public async Task the_catalogue_holds_the_conpaas_types_each_with_a_description_ports_and_one_default_role()
    {
        var types = (await app.Client().Ok(ServiceTypes))["serviceTypes"]!.AsArray().Select(t => t!).ToList();

        Assert.Equal(["generic", "helloworld", "java", "mysql", "php", "xtreemfs"], types.Select(t => t.Str("name")).Order());
        Assert.All(types, t =>
        {
            Assert.False(string.IsNullOrWhiteSpace(t.Str("description")));
            var ports = t.Items("ports").Select(p => p.GetValue<int>()).ToList();
            Assert.NotEmpty(ports);
            Assert.All(ports, p => Assert.InRange(p, 1, 65535));
            Assert.Equal(ports.Count, ports.Distinct().Count());
            Assert.Single(t.Items("roles"), r => r["isDefault"]!.GetValue<bool>());
        });
    }

    public static TheoryData<string, string> Roles => new()
    {
        // role:isDefault:initialCount, in catalogue order
        { "php", "backend:True:1 web:False:0 proxy:False:0" },
        { "java", "backend:True:1 web:False:0 proxy:False:0" },
        { "mysql", "mysql:True:1 glb:False:0" },
        { "xtreemfs", "osd:True:1" },
        { "generic", "master:False:1 node:True:0" },
        { "helloworld", "node:True:1" },
    };

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task each_type_has_the_conpaas_roles_and_initial_counts(string type, string expected)
    {
        var types = (await app.Client().Ok(ServiceTypes))["serviceTypes"]!.AsArray();
        var roles = types.Single(t => t!.Str("name") == type)!.Items("roles");
        Assert.Equal(expected, string.Join(' ', roles.Select(r => $"{r.Str("name")}:{r["isDefault"]!.GetValue<bool>()}:{r.Int("initialCount")}")));
    }

    [Theory]
    [InlineData("php", "backend")]
    [InlineData("java", "backend")]
    [InlineData("mysql", "mysql")]
    [InlineData("xtreemfs", "osd")]
    [InlineData("generic", "master")]
    [InlineData("helloworld", "node")]
    public async Task a_start_requests_the_manager_and_the_types_initial_agents(string type, string initialRole)
    {
        var user = await ServiceScenario.ForNewUser(app);
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId, type)).Str("id");

        var started = await user.Start(id);

        Assert.Equal("PROLOGUE", started.Str("state"));
        Assert.Equal("default", started.Str("cloud"));
        var manager = started.Manager();
        Assert.Null(manager.StrOrNull("serviceRole"));
        var agent = Assert.Single(started.LiveAgents());
        Assert.Equal(initialRole, agent.Str("serviceRole"));
        Assert.All(started.LiveNodes(), n => Assert.Equal("REQUESTED", n.Str("state")));
        Assert.All(started.Items("nodeCounts"), c => Assert.Equal(c.Str("role") == initialRole ? 1 : 0, c.Int("count")));
        Assert.Matches($"^conpaas-u[0-9a-f]{{8}}-a[0-9a-f]{{8}}-s1-{type}-1$", manager.Str("name"));
    }

    [Fact]
    public async Task the_clouds_list_the_default_local_cloud_as_healthy_without_sign_in()
    {
        var clouds = (await app.Client().Ok("{ clouds { name driver isDefault healthy problems } }"))["clouds"]!.AsArray();
        var cloud = Assert.Single(clouds)!;
        Assert.Equal("default", cloud.Str("name"));
        Assert.Equal("local", cloud.Str("driver"));
        Assert.True(cloud["isDefault"]!.GetValue<bool>());
        Assert.True(cloud["healthy"]!.GetValue<bool>());
        Assert.Empty(cloud.Items("problems"));
    }
}
