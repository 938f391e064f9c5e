using Conpaas.Domain.Applications;
using Conpaas.Domain.Vpn;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Applications;

public class ApplicationDecisionsTests
{
    private static Application Shop() => GivenApplication(AppCreated("shop"));

    public static TheoryData<string?, string> BadNames() => new()
    {
        { "", "'name' must not be empty" },
        { "   ", "'name' must not be empty" },
        { "\t\n", "'name' must not be empty" },
        { new string('a', 257), "'name' is too long: 257 characters, at most 256" },
        { "shop\nfront", "'name' must not contain control characters" },
        { "shop\u0000", "'name' must not contain control characters" },
        { "bell\u0007", "'name' must not contain control characters" },
        { null, "Missing required field: 'name'" },
    };

    [Fact]
    public void when_an_application_is_created_its_name_is_trimmed_and_it_gets_the_vpn_network()
    {
        var decision = ApplicationDecisions.Create(AppId, OwnerId, "  shop  ", GuidesVpn, Now);

        var created = Assert.IsType<ApplicationCreated>(Assert.Single(decision.Events));
        Assert.Equal(new ApplicationCreated(AppId, OwnerId, "shop", "172.16.0.0/12", Now), created);
        Assert.Empty(decision.Others);
        var app = GivenApplication(created);
        Assert.Equal("shop", app.Name);
        Assert.Empty(app.Services);
        Assert.Equal(0, app.LastSid);
    }

    [Fact]
    public void without_a_vpn_the_application_has_no_network()
    {
        var created = Assert.IsType<ApplicationCreated>(Assert.Single(ApplicationDecisions.Create(AppId, OwnerId, "shop", VpnPlan.Disabled, Now).Events));

        Assert.Null(created.Network);
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public void when_an_application_is_created_with_a_bad_name_it_is_refused_naming_the_field(string? name, string message)
    {
        var error = ApplicationDecisions.Create(AppId, OwnerId, name, GuidesVpn, Now).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("name", error.Field);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void a_name_of_exactly_256_characters_is_accepted()
    {
        var name = new string('a', 256);

        Assert.False(ApplicationDecisions.Create(AppId, OwnerId, name, GuidesVpn, Now).IsRefused);
        Assert.False(ApplicationDecisions.Rename(Shop(), name, null).IsRefused);
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public void when_an_application_is_renamed_to_a_bad_name_it_is_refused_naming_the_field(string? name, string message)
    {
        var error = ApplicationDecisions.Rename(Shop(), name, null).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("name", error.Field);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void when_an_application_is_renamed_the_new_name_is_trimmed()
    {
        var app = Shop();

        var decision = ApplicationDecisions.Rename(app, " web shop ", null);

        Assert.Equal([new ApplicationRenamed("web shop")], decision.Events);
        Apply(app, decision.Events[0]);
        Assert.Equal("web shop", app.Name);
        Assert.Equal(2, app.Version);
    }

    [Theory]
    [InlineData("shop")]
    [InlineData("  shop ")]
    public void when_an_application_is_renamed_to_its_own_name_nothing_happens(string name)
    {
        ApplicationDecisions.Rename(Shop(), name, null).AssertNothing();
    }

    [Fact]
    public void a_rename_to_another_case_is_a_rename()
    {
        Assert.Equal([new ApplicationRenamed("Shop")], ApplicationDecisions.Rename(Shop(), "Shop", null).Events);
    }

    [Fact]
    public void when_the_expected_version_is_stale_a_rename_is_refused_with_the_current_version()
    {
        var app = GivenApplication(AppCreated("shop"), new ApplicationRenamed("shop 2"), new ServiceSubnetAllocated(ServiceId, 1, FirstSubnet));

        var error = ApplicationDecisions.Rename(app, "shop 3", 2).Refused(ErrorCode.VERSION_CONFLICT);

        Assert.Equal(3L, error.Extensions["currentVersion"]);
        Assert.Equal("Version conflict: expected version 2 but current version is 3", error.Message);
        Assert.Equal([new ApplicationRenamed("shop 3")], ApplicationDecisions.Rename(app, "shop 3", 3).Events);
    }

    [Fact]
    public void a_stale_version_is_refused_even_when_the_name_is_unchanged()
    {
        var app = GivenApplication(AppCreated("shop"), new ApplicationRenamed("shop 2"));

        ApplicationDecisions.Rename(app, "shop 2", 1).Refused(ErrorCode.VERSION_CONFLICT);
    }

    [Fact]
    public void name_taken_and_not_found_speak_the_contracts_codes()
    {
        var taken = ApplicationDecisions.NameTaken(" shop ");
        var missing = ApplicationDecisions.NotFound(AppId);

        Assert.Equal(ErrorCode.CONFLICT, taken.Code);
        Assert.Equal("Application name \"shop\" is already taken", taken.Message);
        Assert.Equal("name", taken.Field);
        Assert.Equal(ErrorCode.NOT_FOUND, missing.Code);
        Assert.Equal($"Application not found: {AppId}", missing.Message);
    }

    [Fact]
    public void the_application_keeps_its_services_and_never_lowers_the_last_sid()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();

        var app = GivenApplication(AppCreated(), new ServiceSubnetAllocated(a, 1, FirstSubnet),
            new ServiceSubnetAllocated(b, 2, "172.16.128.0/17"), new ServiceSubnetReleased(b, "172.16.128.0/17"));

        Assert.Equal([a], app.Services.Select(s => s.ServiceId));
        Assert.Equal(2, app.LastSid);
        Assert.Equal(4, app.Version);
    }
}
