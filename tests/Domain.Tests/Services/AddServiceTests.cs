using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vpn;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Services;

public class AddServiceTests
{
    private static Guid Sid(int n) => Guid.Parse($"00000000-0000-7000-a000-{n:x12}");

    /// <summary>Adds a service and applies the application's events, as the handler would commit them.</summary>
    private static Decision Add(Application app, int n, string type = "helloworld", string? name = null, VpnPlan? vpn = null)
    {
        var decision = AddService.Decide(app, Sid(n), type, name, vpn ?? GuidesVpn, Now);
        Assert.False(decision.IsRefused, decision.Error?.Message);
        foreach (var e in decision.Events) Apply(app, e);
        return decision;
    }

    [Fact]
    public void when_services_are_added_they_get_sid_1_2_3_and_the_lowest_free_slash_17_of_the_guides_example()
    {
        var app = GivenApplication(AppCreated());

        var added = Enumerable.Range(1, 3).Select(n => Add(app, n)).ToList();

        var allocated = added.Select(d => d.Single<ServiceSubnetAllocated>()).ToList();
        Assert.Equal([1, 2, 3], allocated.Select(a => a.Sid));
        Assert.Equal(["172.16.0.0/17", "172.16.128.0/17", "172.17.0.0/17"], allocated.Select(a => a.Subnet));
        Assert.Equal([Sid(1), Sid(2), Sid(3)], allocated.Select(a => a.ServiceId));
        Assert.Equal(3, app.LastSid);
        Assert.Equal(4, app.Version);
    }

    [Fact]
    public void when_a_service_is_added_its_stream_starts_with_service_added_carrying_the_same_sid_and_subnet()
    {
        var app = GivenApplication(AppCreated());

        var decision = Add(app, 1, "php");

        var other = Assert.Single(decision.Others);
        Assert.Equal(Sid(1), other.StreamId);
        var added = Assert.IsType<ServiceAdded>(other.Event);
        Assert.Equal(new ServiceAdded(Sid(1), AppId, OwnerId, 1, "php", "New php service", "172.16.0.0/17", Now), added);
        var service = Given(added);
        Assert.Equal(ServiceState.INIT, service.State);
        Assert.Empty(service.Nodes);
        Assert.Null(service.Cloud);
    }

    [Theory]
    [InlineData(null)]
    public void when_no_name_is_given_the_service_is_called_new_type_service(string? name)
    {
        var app = GivenApplication(AppCreated());

        var decision = Add(app, 1, "helloworld", name);

        Assert.Equal("New helloworld service", decision.OthersOf<ServiceAdded>().Single().Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void a_given_name_is_checked_like_every_other_name(string name)
    {
        var app = GivenApplication(AppCreated());

        var decision = AddService.Decide(app, Sid(1), "helloworld", name, GuidesVpn, Now);

        Assert.Equal(ErrorCode.INVALID_INPUT, decision.Error?.Code);
        Assert.Equal("name", decision.Error?.Field);
    }

    [Fact]
    public void when_a_name_is_given_it_is_trimmed()
    {
        var app = GivenApplication(AppCreated());

        var decision = Add(app, 1, "mysql", "  orders db ");

        Assert.Equal("orders db", decision.OthersOf<ServiceAdded>().Single().Name);
    }

    [Theory]
    [InlineData(257)]
    [InlineData(1000)]
    public void when_the_name_is_too_long_it_is_refused_naming_the_field(int length)
    {
        var app = GivenApplication(AppCreated());

        var error = AddService.Decide(app, Sid(1), "helloworld", new string('n', length), GuidesVpn, Now).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("name", error.Field);
    }

    [Theory]
    [InlineData("cassandra")]
    [InlineData("PHP")]
    [InlineData("")]
    [InlineData(null)]
    public void when_the_type_is_unknown_it_is_refused_with_the_available_types_and_nothing_happens(string? type)
    {
        var app = GivenApplication(AppCreated());

        var error = AddService.Decide(app, Sid(1), type, null, GuidesVpn, Now).Refused(ErrorCode.UNKNOWN_SERVICE_TYPE);

        Assert.Equal($"Unknown service type '{type}'. Available types: [php, java, mysql, xtreemfs, generic, helloworld]", error.Message);
        Assert.Equal("type", error.Field);
        Assert.Equal(["php", "java", "mysql", "xtreemfs", "generic", "helloworld"], Assert.IsType<string[]>(error.Extensions["available"]));
    }

    [Fact]
    public void when_the_application_was_deleted_adding_a_service_is_not_found()
    {
        var app = GivenApplication(AppCreated(), new ApplicationDeleted());

        var error = AddService.Decide(app, Sid(1), "helloworld", null, GuidesVpn, Now).Refused(ErrorCode.NOT_FOUND);

        Assert.Contains(AppId.ToString(), error.Message);
    }

    [Fact]
    public void when_32_services_hold_every_subnet_the_33rd_is_refused_as_vpn_exhausted()
    {
        var app = GivenApplication(AppCreated());
        for (var n = 1; n <= 32; n++) Add(app, n);

        var error = AddService.Decide(app, Sid(33), "helloworld", null, GuidesVpn, Now).Refused(ErrorCode.VPN_EXHAUSTED);

        Assert.Equal("VPN address space exhausted: application network 172.16.0.0/12 holds 32 service subnets and all are in use", error.Message);
        Assert.Equal(32, app.LastSid);
        Assert.Equal("172.31.128.0/17", app.Services[^1].Subnet);
    }

    [Fact]
    public void when_a_service_is_removed_its_subnet_is_reused_but_its_sid_is_not()
    {
        var app = GivenApplication(AppCreated());
        for (var n = 1; n <= 3; n++) Add(app, n);
        Apply(app, new ServiceSubnetReleased(Sid(2), "172.16.128.0/17"));

        var allocated = Add(app, 4).Single<ServiceSubnetAllocated>();

        Assert.Equal(4, allocated.Sid);
        Assert.Equal("172.16.128.0/17", allocated.Subnet);
        Assert.Equal([1, 3, 4], app.Services.Select(s => s.Sid));
    }

    [Fact]
    public void when_the_last_service_is_removed_the_next_one_still_gets_a_new_sid()
    {
        var app = GivenApplication(AppCreated());
        Add(app, 1);
        Apply(app, new ServiceSubnetReleased(Sid(1), "172.16.0.0/17"));

        var allocated = Add(app, 2).Single<ServiceSubnetAllocated>();

        Assert.Equal(2, allocated.Sid);
        Assert.Equal("172.16.0.0/17", allocated.Subnet);
    }

    [Fact]
    public void when_a_full_application_loses_a_service_the_next_one_takes_the_freed_subnet()
    {
        var app = GivenApplication(AppCreated());
        for (var n = 1; n <= 32; n++) Add(app, n);
        Apply(app, new ServiceSubnetReleased(Sid(20), "172.25.128.0/17"));

        var allocated = Add(app, 33).Single<ServiceSubnetAllocated>();

        Assert.Equal(33, allocated.Sid);
        Assert.Equal("172.25.128.0/17", allocated.Subnet);
    }

    [Fact]
    public void when_no_vpn_is_configured_services_get_no_subnet_and_never_run_out()
    {
        var app = GivenApplication(AppCreated(network: null));

        var added = Enumerable.Range(1, 40).Select(n => Add(app, n, vpn: VpnPlan.Disabled)).ToList();

        Assert.All(added, d => Assert.Null(d.Single<ServiceSubnetAllocated>().Subnet));
        Assert.All(added, d => Assert.Null(d.OthersOf<ServiceAdded>().Single().Subnet));
        Assert.Equal(Enumerable.Range(1, 40), added.Select(d => d.Single<ServiceSubnetAllocated>().Sid));
    }
}
