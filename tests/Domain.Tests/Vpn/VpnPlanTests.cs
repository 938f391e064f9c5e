using Conpaas.Domain.Vpn;
using Xunit;
using static Conpaas.Domain.Tests.Vpn.VpnTestKit;

namespace Conpaas.Domain.Tests.Vpn;

public class VpnPlanTests
{
    [Fact]
    public void the_guides_example_gives_32_subnets_of_slash_17()
    {
        var plan = GuidesExample();

        Assert.True(plan.IsEnabled);
        Assert.Equal("172.16.0.0/12", plan.Network);
        Assert.Equal(12, plan.Prefix);
        Assert.Equal(5, plan.ServiceBits);
        Assert.Equal(17, plan.ServicePrefix);
        Assert.Equal(32, plan.ServicesPerApplication);
        Assert.Equal(32_767, plan.VmsPerService);
    }

    [Fact]
    public void the_first_service_gets_172_16_0_0_slash_17_and_the_second_172_16_128_0_slash_17()
    {
        var plan = GuidesExample();

        var first = plan.AllocateServiceSubnet([]).Subnet();
        var second = plan.AllocateServiceSubnet([first]).Subnet();

        Assert.Equal("172.16.0.0/17", first);
        Assert.Equal("172.16.128.0/17", second);
    }

    [Fact]
    public void the_manager_gets_dot_1_and_the_next_vm_dot_2()
    {
        var plan = GuidesExample();

        var manager = plan.AllocateHostAddress("172.16.0.0/17", []).Address();
        var next = plan.AllocateHostAddress("172.16.0.0/17", [manager]).Address();

        Assert.Equal("172.16.0.1", manager);
        Assert.Equal("172.16.0.2", next);
    }

    [Fact]
    public void all_32_subnets_are_handed_out_in_order_then_the_33rd_is_refused()
    {
        var plan = GuidesExample();

        var subnets = plan.AllocateSubnets(32);
        var refused = plan.AllocateServiceSubnet(subnets);

        Assert.Equal(Enumerable.Range(0, 32).Select(i => $"172.{16 + i / 2}.{i % 2 * 128}.0/17"), subnets);
        Assert.False(refused.Succeeded);
        Assert.Null(refused.Value);
        Assert.Equal(ErrorCode.VPN_EXHAUSTED, refused.Error!.Code);
        Assert.Equal(
            "VPN address space exhausted: application network 172.16.0.0/12 holds 32 service subnets and all are in use",
            refused.Error.Message);
        Assert.Equal(refused.Error.Message, plan.ServiceSubnetsExhaustedMessage());
    }

    [Fact]
    public void a_released_subnet_is_reused_lowest_free_first()
    {
        var plan = GuidesExample();
        var subnets = plan.AllocateSubnets(32);

        subnets.Remove("172.20.128.0/17");
        subnets.Remove("172.18.0.0/17");

        Assert.Equal("172.18.0.0/17", plan.AllocateServiceSubnet(subnets).Subnet());
        subnets.Add("172.18.0.0/17");
        Assert.Equal("172.20.128.0/17", plan.AllocateServiceSubnet(subnets).Subnet());
    }

    [Fact]
    public void a_released_address_is_reused_lowest_free_first()
    {
        var plan = GuidesExample();
        var addresses = plan.AllocateAddresses("172.16.128.0/17", 10);

        addresses.Remove("172.16.128.7");
        addresses.Remove("172.16.128.3");

        Assert.Equal("172.16.128.3", plan.AllocateHostAddress("172.16.128.0/17", addresses).Address());
        addresses.Add("172.16.128.3");
        Assert.Equal("172.16.128.7", plan.AllocateHostAddress("172.16.128.0/17", addresses).Address());
        addresses.Add("172.16.128.7");
        Assert.Equal("172.16.128.11", plan.AllocateHostAddress("172.16.128.0/17", addresses).Address());
    }

    [Fact]
    public void releasing_the_manager_address_hands_dot_1_out_again()
    {
        var plan = GuidesExample();

        var next = plan.AllocateHostAddress("172.16.0.0/17", ["172.16.0.2", "172.16.0.3"]).Address();

        Assert.Equal("172.16.0.1", next);
    }

    [Fact]
    public void the_in_use_lists_may_come_in_any_order_and_with_duplicates()
    {
        var plan = GuidesExample();

        var subnet = plan.AllocateServiceSubnet(["172.16.128.0/17", "172.16.0.0/17", "172.16.128.0/17", "172.17.128.0/17"]).Subnet();
        var address = plan.AllocateHostAddress("172.16.0.0/17", ["172.16.0.3", "172.16.0.1", "172.16.0.2", "172.16.0.1", "172.16.0.5"]).Address();

        Assert.Equal("172.17.0.0/17", subnet);
        Assert.Equal("172.16.0.4", address);
    }

    [Fact]
    public void the_last_address_of_a_service_subnet_is_usable_because_the_overlay_has_no_broadcast()
    {
        var plan = GuidesExample();
        var start = ToUInt("172.16.0.1");
        var allButLast = Enumerable.Range(0, 32_766).Select(i => ToAddress(start + (uint)i)).ToList();

        var last = plan.AllocateHostAddress("172.16.0.0/17", allButLast).Address();

        Assert.Equal("172.16.127.255", last);
    }

    [Fact]
    public void once_all_32767_vm_addresses_are_taken_the_next_vm_is_refused()
    {
        var plan = GuidesExample();
        var start = ToUInt("172.16.128.1");
        var all = Enumerable.Range(0, 32_767).Select(i => ToAddress(start + (uint)i)).ToList();

        var refused = plan.AllocateHostAddress("172.16.128.0/17", all);

        Assert.False(refused.Succeeded);
        Assert.Equal(ErrorCode.VPN_EXHAUSTED, refused.Error!.Code);
        Assert.Equal(
            "VPN address space exhausted: service subnet 172.16.128.0/17 holds 32767 VM addresses and all are in use",
            refused.Error.Message);
        Assert.Equal(refused.Error.Message, plan.HostAddressesExhaustedMessage("172.16.128.0/17"));
    }

    [Fact]
    public void with_30000_addresses_in_use_the_next_one_is_found_in_a_single_pass()
    {
        var plan = GuidesExample();
        var start = ToUInt("172.16.0.1");
        // Shuffled, with one hole near the end, so neither order nor a lucky first probe helps.
        var inUse = Enumerable.Range(0, 30_000).Where(i => i != 29_990).Select(i => ToAddress(start + (uint)i)).ToArray();
        new Random(7).Shuffle(inUse);

        for (var round = 0; round < 20; round++)
            Assert.Equal("172.16.117.39", plan.AllocateHostAddress("172.16.0.0/17", inUse).Address());
    }

    [Fact]
    public void the_network_address_is_never_handed_out_even_if_listed_as_in_use()
    {
        var plan = Plan("10.0.0.0", "/30", 1);

        Assert.Equal("10.0.0.1", plan.AllocateHostAddress("10.0.0.0/31", ["10.0.0.0"]).Address());
    }

    [Fact]
    public void addresses_outside_the_service_subnet_are_ignored()
    {
        var plan = GuidesExample();

        var address = plan.AllocateHostAddress("172.16.128.0/17", ["172.16.0.1", "172.16.0.2", "10.0.0.1", "172.16.128.0"]).Address();

        Assert.Equal("172.16.128.1", address);
    }

    [Fact]
    public void subnets_outside_the_application_network_are_ignored()
    {
        var plan = GuidesExample();

        var subnet = plan.AllocateServiceSubnet(["10.0.0.0/17", "172.32.0.0/17", "192.168.0.0/16"]).Subnet();

        Assert.Equal("172.16.0.0/17", subnet);
    }

    [Fact]
    public void an_in_use_subnet_of_another_size_blocks_every_service_subnet_it_overlaps()
    {
        var plan = GuidesExample();

        Assert.Equal("172.17.0.0/17", plan.AllocateServiceSubnet(["172.16.0.0/16"]).Subnet());
        Assert.Equal("172.16.128.0/17", plan.AllocateServiceSubnet(["172.16.0.0/24"]).Subnet());
        Assert.Equal("172.16.0.0/17", plan.AllocateServiceSubnet(["172.16.128.0/24"]).Subnet());
        // A small block inside a larger one must not pull the search back into the larger one.
        Assert.Equal("172.18.0.0/17", plan.AllocateServiceSubnet(["172.16.128.0/24", "172.16.0.0/15"]).Subnet());
        Assert.False(plan.AllocateServiceSubnet(["172.16.0.0/12"]).Succeeded);
        Assert.False(plan.AllocateServiceSubnet(["0.0.0.0/0"]).Succeeded);
    }

    [Fact]
    public void with_no_service_bits_the_one_service_subnet_is_the_whole_network()
    {
        var plan = Plan("172.16.0.0", "255.240.0.0", 0);

        var only = plan.AllocateServiceSubnet([]).Subnet();
        var refused = plan.AllocateServiceSubnet([only]);

        Assert.Equal(1, plan.ServicesPerApplication);
        Assert.Equal((1L << 20) - 1, plan.VmsPerService);
        Assert.Equal("172.16.0.0/12", only);
        Assert.Equal("172.16.0.1", plan.AllocateHostAddress(only, []).Address());
        Assert.Equal(
            "VPN address space exhausted: application network 172.16.0.0/12 holds 1 service subnet and all are in use",
            refused.Error!.Message);
    }

    [Fact]
    public void a_slash_30_with_one_service_bit_gives_two_slash_31_subnets_of_one_vm_each()
    {
        var plan = Plan("10.0.0.0", "255.255.255.252", 1);

        var subnets = plan.AllocateSubnets(2);
        var vm = plan.AllocateHostAddress(subnets[1], []).Address();
        var refused = plan.AllocateHostAddress(subnets[1], [vm]);

        Assert.Equal(2, plan.ServicesPerApplication);
        Assert.Equal(1, plan.VmsPerService);
        Assert.Equal(new[] { "10.0.0.0/31", "10.0.0.2/31" }, subnets);
        Assert.Equal("10.0.0.3", vm);
        Assert.Equal(
            "VPN address space exhausted: service subnet 10.0.0.2/31 holds 1 VM address and all are in use",
            refused.Error!.Message);
        Assert.False(plan.AllocateServiceSubnet(subnets).Succeeded);
    }

    [Fact]
    public void a_slash_31_network_holds_a_single_service_of_a_single_vm()
    {
        var plan = Plan("192.168.1.6", "/31", 0);

        Assert.Equal("192.168.1.6/31", plan.AllocateServiceSubnet([]).Subnet());
        Assert.Equal("192.168.1.7", plan.AllocateHostAddress("192.168.1.6/31", []).Address());
        Assert.False(plan.AllocateHostAddress("192.168.1.6/31", ["192.168.1.7"]).Succeeded);
    }

    [Fact]
    public void a_slash_8_network_with_8_service_bits_gives_256_subnets_of_65535_vms()
    {
        var plan = Plan("10.0.0.0", "255.0.0.0", 8);

        var subnets = plan.AllocateSubnets(256);

        Assert.Equal(256, plan.ServicesPerApplication);
        Assert.Equal(65_535, plan.VmsPerService);
        Assert.Equal("10.0.0.0/16", subnets[0]);
        Assert.Equal("10.1.0.0/16", subnets[1]);
        Assert.Equal("10.255.0.0/16", subnets[^1]);
        Assert.False(plan.AllocateServiceSubnet(subnets).Succeeded);
        Assert.Equal("10.255.0.1", plan.AllocateHostAddress("10.255.0.0/16", []).Address());
    }

    [Fact]
    public void the_whole_ipv4_space_can_be_one_network()
    {
        var whole = Plan("0.0.0.0", "0", 0);
        var finest = Plan("0.0.0.0", "/0", 31);

        Assert.Equal("0.0.0.0/0", whole.Network);
        Assert.Equal((long)uint.MaxValue, whole.VmsPerService);
        Assert.Equal("0.0.0.0/0", whole.AllocateServiceSubnet([]).Subnet());
        Assert.Equal("0.0.0.1", whole.AllocateHostAddress("0.0.0.0/0", []).Address());
        Assert.Equal(1L << 31, finest.ServicesPerApplication);
        Assert.Equal(1, finest.VmsPerService);
        Assert.Equal("0.0.0.2/31", finest.AllocateServiceSubnet(["0.0.0.0/31"]).Subnet());
        Assert.Equal("255.255.255.255", finest.AllocateHostAddress("255.255.255.254/31", []).Address());
    }

    [Fact]
    public void a_network_at_the_top_of_the_address_space_does_not_overflow()
    {
        var plan = Plan("255.255.255.0", "/24", 2);

        var subnets = plan.AllocateSubnets(4);
        var start = ToUInt("255.255.255.193");
        var allButLast = Enumerable.Range(0, 62).Select(i => ToAddress(start + (uint)i)).ToList();

        Assert.Equal("255.255.255.192/26", subnets[^1]);
        Assert.Equal("255.255.255.255", plan.AllocateHostAddress("255.255.255.192/26", allButLast).Address());
        allButLast.Add("255.255.255.255");
        Assert.False(plan.AllocateHostAddress("255.255.255.192/26", allButLast).Succeeded);
        Assert.False(plan.AllocateServiceSubnet(subnets).Succeeded);
    }

    [Fact]
    public void a_disabled_plan_hands_out_nothing_and_never_fails()
    {
        var plan = VpnPlan.Disabled;

        var subnet = plan.AllocateServiceSubnet(["whatever"]);
        var address = plan.AllocateHostAddress(null, ["whatever"]);

        Assert.False(plan.IsEnabled);
        Assert.Null(plan.Network);
        Assert.Equal(0, plan.ServicesPerApplication);
        Assert.Equal(0, plan.VmsPerService);
        Assert.Empty(plan.BootstrapNodes);
        Assert.True(subnet.Succeeded);
        Assert.Null(subnet.Value);
        Assert.True(address.Succeeded);
        Assert.Null(address.Value);
        Assert.Throws<InvalidOperationException>(() => plan.ServiceSubnetsExhaustedMessage());
    }

    [Fact]
    public void empty_settings_give_the_disabled_plan()
    {
        Assert.True(VpnPlan.TryCreate(VpnSettings.None, out var plan, out var problems));
        Assert.Empty(problems);
        Assert.Same(VpnPlan.Disabled, plan);
        Assert.Same(VpnPlan.Disabled, VpnPlan.Create(new VpnSettings("  ", "", null, [])));
    }

    [Fact]
    public void creating_a_plan_from_invalid_settings_lists_every_problem()
    {
        var settings = new VpnSettings("172.16.0.1", "/12", -1, ["http://x"]);

        Assert.False(VpnPlan.TryCreate(settings, out var plan, out var problems));
        Assert.Same(VpnPlan.Disabled, plan);
        Assert.Equal(3, problems.Count);
        var thrown = Assert.Throws<ArgumentException>(() => VpnPlan.Create(settings));
        Assert.All(problems, problem => Assert.Contains(problem, thrown.Message));
    }

    [Theory]
    [InlineData("172.16.0.0")]
    [InlineData("172.16.0.0/16")]
    [InlineData("172.16.0.1/17")]
    [InlineData("172.16.0.0/18")]
    [InlineData("172.32.0.0/17")]
    [InlineData("not a subnet")]
    [InlineData("")]
    [InlineData(null)]
    public void allocating_an_address_in_something_that_is_not_a_service_subnet_throws(string? subnet)
    {
        var plan = GuidesExample();

        Assert.ThrowsAny<ArgumentException>(() => plan.AllocateHostAddress(subnet, []));
    }

    [Fact]
    public void malformed_in_use_entries_throw_rather_than_risk_a_duplicate()
    {
        var plan = GuidesExample();

        Assert.Throws<ArgumentException>(() => plan.AllocateServiceSubnet(["172.16.0.0"]));
        Assert.Throws<ArgumentException>(() => plan.AllocateServiceSubnet(["172.16.0.1/17"]));
        Assert.Throws<ArgumentException>(() => plan.AllocateHostAddress("172.16.0.0/17", ["172.16.0.1/17"]));
        Assert.Throws<ArgumentException>(() => plan.AllocateHostAddress("172.16.0.0/17", [null!]));
        Assert.Throws<ArgumentNullException>(() => plan.AllocateServiceSubnet(null!));
        Assert.Throws<ArgumentNullException>(() => plan.AllocateHostAddress("172.16.0.0/17", null!));
    }

    [Theory]
    [InlineData("172.16.0.0/17", "172.16.0.0", true)]
    [InlineData("172.16.0.0/17", "172.16.127.255", true)]
    [InlineData("172.16.0.0/17", "172.16.128.0", false)]
    [InlineData("172.16.0.0/17", "10.0.0.1", false)]
    [InlineData("0.0.0.0/0", "255.255.255.255", true)]
    [InlineData("10.0.0.2/31", "10.0.0.3", true)]
    [InlineData("10.0.0.2/31", "10.0.0.1", false)]
    public void contains_tells_whether_an_address_lies_in_a_subnet(string subnet, string address, bool expected)
    {
        Assert.Equal(expected, VpnPlan.Contains(subnet, address));
    }

    [Theory]
    [InlineData("172.16.0.0", "172.16.0.1")]
    [InlineData("172.16.0.1/17", "172.16.0.1")]
    [InlineData("172.16.0.0/33", "172.16.0.1")]
    [InlineData("172.16.0.0/17", "172.16.0")]
    [InlineData("172.16.0.0/17", "::1")]
    public void contains_throws_on_malformed_input(string subnet, string address)
    {
        Assert.Throws<ArgumentException>(() => VpnPlan.Contains(subnet, address));
    }

    [Fact]
    public void the_namespace_is_cps_director_host_port_application_id()
    {
        Assert.Equal("cps-director.example.org:5555-42", VpnPlan.Namespace("director.example.org:5555", "42"));
        Assert.Equal("cps-10.0.0.5:443-app-7f3a", VpnPlan.Namespace("10.0.0.5:443", "app-7f3a"));
    }

    [Theory]
    [InlineData("", "42")]
    [InlineData(" ", "42")]
    [InlineData("director:5555", "")]
    [InlineData(null, "42")]
    [InlineData("director:5555", null)]
    public void the_namespace_needs_both_the_director_and_the_application(string? director, string? application)
    {
        Assert.ThrowsAny<ArgumentException>(() => VpnPlan.Namespace(director!, application!));
    }
}
