using Conpaas.Domain.Services;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Services;

public class RenameServiceTests
{
    [Fact]
    public void when_a_service_is_renamed_the_new_name_is_trimmed_in_any_state()
    {
        var s = ServiceScenario.Running();

        var decision = s.Then(RenameService.Decide(s.Service, "  front end ", null));

        Assert.Equal([new ServiceRenamed("front end")], decision.Events);
        Assert.Equal("front end", s.Service.Name);
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
    }

    [Theory]
    [InlineData("New helloworld service")]
    [InlineData(" New helloworld service  ")]
    public void when_a_service_is_renamed_to_its_own_name_nothing_happens(string name)
    {
        RenameService.Decide(Given(Added()), name, null).AssertNothing();
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("tab\there")]
    [InlineData(null)]
    public void when_the_new_name_is_bad_it_is_refused_naming_the_field(string? name)
    {
        var error = RenameService.Decide(Given(Added()), name, null).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("name", error.Field);
    }

    [Fact]
    public void a_name_longer_than_256_characters_is_refused()
    {
        Assert.Equal("name", RenameService.Decide(Given(Added()), new string('s', 257), null).Refused(ErrorCode.INVALID_INPUT).Field);
        Assert.False(RenameService.Decide(Given(Added()), new string('s', 256), null).IsRefused);
    }

    [Fact]
    public void when_the_expected_version_is_stale_a_rename_is_refused_with_the_current_version()
    {
        var service = Given(Added(), new ServiceRenamed("a"), new ServiceRenamed("b"));

        var error = RenameService.Decide(service, "c", 2).Refused(ErrorCode.VERSION_CONFLICT);

        Assert.Equal(3L, error.Extensions["currentVersion"]);
        Assert.False(RenameService.Decide(service, "c", 3).IsRefused);
    }
}
