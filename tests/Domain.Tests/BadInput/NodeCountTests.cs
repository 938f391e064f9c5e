using Conpaas.Domain.Applications;
using Conpaas.Domain.Clouds;
using Conpaas.Domain.Services;
using Conpaas.Domain.Tests.Services;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.BadInput;

/// <summary>Counts whose sum overflows, blank roles and clouds, unknown clouds: refused before anything is decided.</summary>
public class NodeCountTests
{
    public static TheoryData<NodeCount[], string> BadRequests => new()
    {
        { [new(null, int.MaxValue, null), new(null, 1, null)], "count" },
        { [new(null, int.MaxValue, null), new(null, int.MaxValue, null), new(null, 2, null)], "count" },
        { [new("node", int.MaxValue, null), new("node", int.MaxValue, null)], "count" },
        { [new(" ", 1, null)], "role" },
        { [new("", 1, null)], "role" },
        { [new(null, 1, "  ")], "cloud" },
        { Enumerable.Repeat(new NodeCount(null, 1, null), 257).ToArray(), "nodes" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void when_the_counts_are_bad_adding_and_removing_are_refused_naming_the_field(NodeCount[] nodes, string field)
    {
        var s = ServiceScenario.Running();

        Assert.Equal(field, AddNodes.Decide(s.Service, nodes, null, s.Context).Refused(ErrorCode.INVALID_INPUT).Field);
        Assert.Equal(field, RemoveNodes.Decide(s.Service, nodes, null, s.Clouds).Refused(ErrorCode.INVALID_INPUT).Field);
    }

    [Fact]
    public void when_nodes_are_removed_from_an_unknown_cloud_the_available_clouds_are_named()
    {
        var s = ServiceScenario.Running();

        var error = RemoveNodes.Decide(s.Service, [new NodeCount(null, 1, "mars")], null, s.Clouds).Refused(ErrorCode.UNKNOWN_CLOUD);

        Assert.Equal("cloud", error.Field);
        Assert.Equal(s.Clouds.Clouds.Select(c => c.Name), (string[])error.Extensions["available"]!);
    }

    [Fact]
    public void when_nodes_are_removed_from_a_misconfigured_cloud_it_is_not_refused_for_its_configuration()
    {
        var s = ServiceScenario.Running();
        var misconfigured = s.Clouds.Clouds.First(c => !c.IsHealthy).Name;

        var error = RemoveNodes.Decide(s.Service, [new NodeCount(null, 1, misconfigured)], null, s.Clouds).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("count", error.Field); // nothing of the service runs there: nothing to remove, but the cloud is known
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void a_blank_cloud_is_refused_not_taken_for_the_default(string cloud)
    {
        var s = ServiceScenario.Added();
        var error = StartService.Decide(s.Service, cloud, s.Context).Refused(ErrorCode.INVALID_INPUT);
        Assert.Equal("cloud", error.Field);
        Assert.Null(ServiceTestKit.Clouds.Check(null, out var resolved));
        Assert.Equal(CloudDirectory.Default, resolved);
    }

    [Fact]
    public void an_unknown_clouds_name_is_quoted_shortened()
    {
        var error = ServiceTestKit.Clouds.Check(new string('m', 5000), out _)!;
        Assert.Equal(ErrorCode.UNKNOWN_CLOUD, error.Code);
        Assert.True(error.Message.Length < 150, error.Message);
    }

    [Fact]
    public void an_application_name_is_stored_composed_and_its_key_folds_case_and_composition()
    {
        var created = (ApplicationCreated)ApplicationDecisions.Create(AppId, OwnerId, " Cafe\u0301 ", GuidesVpn, Now).Events.Single();
        Assert.Equal("Caf\u00e9", created.Name);

        var upper = GivenApplication(created with { Name = "CAF\u00c9" });
        Assert.Equal(GivenApplication(created).NameKey, upper.NameKey);
        Assert.Null(GivenApplication(created, new ApplicationDeleted()).NameKey);
    }

    [Fact]
    public void renaming_an_application_to_its_own_name_in_decomposed_form_changes_nothing()
    {
        var app = GivenApplication(AppCreated("caf\u00e9"));
        ApplicationDecisions.Rename(app, "cafe\u0301", null).AssertNothing();
    }
}
