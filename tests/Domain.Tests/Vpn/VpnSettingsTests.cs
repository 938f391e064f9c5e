using Conpaas.Domain.Vpn;
using Xunit;

namespace Conpaas.Domain.Tests.Vpn;

public class VpnSettingsTests
{
    private static IReadOnlyList<string> Problems(string? baseNetwork, string? netmask, int? serviceBits, params string[] nodes) =>
        VpnSettings.Validate(new VpnSettings(baseNetwork, netmask, serviceBits, nodes));

    private static void AssertSingleProblem(string expected, IReadOnlyList<string> problems) =>
        Assert.Equal(expected, Assert.Single(problems));

    [Fact]
    public void the_guides_settings_are_valid()
    {
        Assert.Empty(Problems("172.16.0.0", "255.240.0.0", 5, "udp://10.0.0.1:4000", "tcp://10.0.0.2:4001"));
    }

    [Fact]
    public void leaving_network_netmask_and_service_bits_empty_disables_the_vpn_without_error()
    {
        Assert.Empty(VpnSettings.Validate(VpnSettings.None));
        Assert.Empty(Problems(null, null, null));
        Assert.Empty(Problems("", "  ", null));
        Assert.False(VpnPlan.Create(new VpnSettings()).IsEnabled);
    }

    [Fact]
    public void bootstrap_nodes_without_a_network_are_refused_rather_than_silently_ignored()
    {
        AssertSingleProblem(
            "Vpn:BootstrapNodes is set but the VPN is disabled (Vpn:BaseNetwork, Vpn:Netmask and Vpn:ServiceBits are empty)",
            Problems(null, null, null, "udp://10.0.0.1:4000"));
    }

    [Theory]
    [InlineData(null, "255.240.0.0", 5, "Vpn:BaseNetwork")]
    [InlineData("172.16.0.0", null, 5, "Vpn:Netmask")]
    [InlineData("172.16.0.0", "", 5, "Vpn:Netmask")]
    [InlineData("172.16.0.0", "255.240.0.0", null, "Vpn:ServiceBits")]
    public void giving_some_but_not_all_of_the_vpn_settings_names_the_missing_key(
        string? baseNetwork, string? netmask, int? serviceBits, string missingKey)
    {
        AssertSingleProblem(
            $"{missingKey} is missing: Vpn:BaseNetwork, Vpn:Netmask and Vpn:ServiceBits must be set together, or all left empty to disable the VPN",
            Problems(baseNetwork, netmask, serviceBits));
    }

    [Fact]
    public void giving_only_the_service_bits_names_both_missing_keys()
    {
        var problems = Problems(null, null, 5);

        Assert.Equal(2, problems.Count);
        Assert.StartsWith("Vpn:BaseNetwork is missing", problems[0]);
        Assert.StartsWith("Vpn:Netmask is missing", problems[1]);
    }

    [Theory]
    [InlineData("172.16.0")]
    [InlineData("172.16.0.0.0")]
    [InlineData("172.16.0.256")]
    [InlineData("172.016.0.0")]
    [InlineData("172.16.0.0/12")]
    [InlineData("fd00::")]
    [InlineData("localhost")]
    [InlineData("-1.16.0.0")]
    public void a_base_network_that_is_not_a_dotted_ipv4_address_is_refused(string baseNetwork)
    {
        AssertSingleProblem(
            $"Vpn:BaseNetwork '{baseNetwork}' is not an IPv4 address like 172.16.0.0",
            Problems(baseNetwork, "255.240.0.0", 5));
    }

    [Fact]
    public void a_base_network_with_host_bits_set_is_refused()
    {
        AssertSingleProblem(
            "Vpn:BaseNetwork '172.16.0.1' has host bits set for netmask /12",
            Problems("172.16.0.1", "255.240.0.0", 5));
        AssertSingleProblem(
            "Vpn:BaseNetwork '172.24.0.0' has host bits set for netmask /12",
            Problems("172.24.0.0", "/12", 5));
    }

    [Theory]
    [InlineData("8.0.0.0", "/8")]
    [InlineData("100.64.0.0", "/10")]
    [InlineData("192.0.2.0", "/24")]
    public void a_public_base_network_is_allowed(string baseNetwork, string netmask)
    {
        Assert.Empty(Problems(baseNetwork, netmask, 2));
    }

    [Theory]
    [InlineData("255.240.0.0")]
    [InlineData("/12")]
    [InlineData("12")]
    [InlineData(" 255.240.0.0 ")]
    [InlineData(" /12")]
    public void the_netmask_may_be_dotted_or_a_prefix(string netmask)
    {
        var plan = VpnPlan.Create(new VpnSettings("172.16.0.0", netmask, 5));

        Assert.Equal(12, plan.Prefix);
        Assert.Equal("172.16.0.0/12", plan.Network);
    }

    [Theory]
    [InlineData("0.0.0.0", 0)]
    [InlineData("128.0.0.0", 1)]
    [InlineData("255.0.0.0", 8)]
    [InlineData("255.255.0.0", 16)]
    [InlineData("255.255.255.0", 24)]
    [InlineData("255.255.255.254", 31)]
    public void dotted_netmasks_map_to_their_prefix(string netmask, int prefix)
    {
        Assert.Equal(prefix, VpnPlan.Create(new VpnSettings("0.0.0.0", netmask, 0)).Prefix);
        Assert.Equal(prefix, VpnPlan.Create(new VpnSettings("0.0.0.0", $"/{prefix}", 0)).Prefix);
    }

    [Theory]
    [InlineData("255.0.255.0")]
    [InlineData("0.255.255.255")]
    [InlineData("255.255.255.253")]
    [InlineData("255.240.0.1")]
    public void a_non_contiguous_netmask_is_refused(string netmask)
    {
        AssertSingleProblem($"Vpn:Netmask '{netmask}' is not a contiguous netmask", Problems("0.0.0.0", netmask, 0));
    }

    [Theory]
    [InlineData("/33")]
    [InlineData("33")]
    [InlineData("-1")]
    [InlineData("/")]
    [InlineData("+12")]
    [InlineData("012")]
    [InlineData("twelve")]
    [InlineData("255.240.0")]
    [InlineData("255.240.0.0/12")]
    public void a_netmask_that_is_neither_dotted_nor_a_prefix_is_refused(string netmask)
    {
        AssertSingleProblem(
            $"Vpn:Netmask '{netmask}' is neither a dotted netmask like 255.240.0.0 nor a prefix like /12",
            Problems("0.0.0.0", netmask, 0));
    }

    [Theory]
    [InlineData("/32")]
    [InlineData("32")]
    [InlineData("255.255.255.255")]
    public void a_slash_32_netmask_is_refused_because_it_leaves_no_addresses(string netmask)
    {
        AssertSingleProblem(
            $"Vpn:Netmask '{netmask}' (/32) leaves no addresses for the VPN; use /31 or shorter",
            Problems("10.0.0.1", netmask, 0));
    }

    [Theory]
    [InlineData(20, 12)]
    [InlineData(21, 12)]
    [InlineData(1, 31)]
    [InlineData(int.MaxValue, 12)]
    public void service_bits_that_leave_no_host_address_are_refused(int serviceBits, int prefix)
    {
        AssertSingleProblem(
            $"Vpn:ServiceBits {serviceBits} leaves fewer than 1 host address per service subnet (prefix /{prefix})",
            Problems("0.0.0.0", $"/{prefix}", serviceBits));
    }

    [Theory]
    [InlineData(0, 12)]
    [InlineData(19, 12)]
    [InlineData(0, 31)]
    [InlineData(31, 0)]
    public void service_bits_from_0_to_31_minus_prefix_are_accepted(int serviceBits, int prefix)
    {
        Assert.Empty(Problems("0.0.0.0", $"/{prefix}", serviceBits));
    }

    [Fact]
    public void negative_service_bits_are_refused()
    {
        AssertSingleProblem("Vpn:ServiceBits -1 must not be negative", Problems("172.16.0.0", "/12", -1));
    }

    [Theory]
    [InlineData("http://x")]
    [InlineData("http://10.0.0.1:4000")]
    [InlineData("udp://10.0.0.1")]
    [InlineData("udp://10.0.0.1:")]
    [InlineData("udp://10.0.0.1:0")]
    [InlineData("udp://10.0.0.1:65536")]
    [InlineData("udp://10.0.0.1:-1")]
    [InlineData("udp://10.0.0:4000")]
    [InlineData("udp://node.example.org:4000")]
    [InlineData("udp://[::1]:4000")]
    [InlineData("10.0.0.1:4000")]
    [InlineData("udp:10.0.0.1:4000")]
    [InlineData("")]
    public void a_bootstrap_node_that_is_not_udp_or_tcp_ip_port_is_refused(string node)
    {
        AssertSingleProblem(
            $"Vpn:BootstrapNodes entry '{node}' must look like udp://ip:port or tcp://ip:port",
            Problems("172.16.0.0", "/12", 5, node));
    }

    [Fact]
    public void every_bad_bootstrap_node_is_reported()
    {
        var problems = Problems("172.16.0.0", "/12", 5, "udp://10.0.0.1:4000", "http://x", "tcp://y:1");

        Assert.Equal(
            new[]
            {
                "Vpn:BootstrapNodes entry 'http://x' must look like udp://ip:port or tcp://ip:port",
                "Vpn:BootstrapNodes entry 'tcp://y:1' must look like udp://ip:port or tcp://ip:port",
            },
            problems);
    }

    [Fact]
    public void bootstrap_nodes_are_kept_in_order_and_normalized()
    {
        var plan = VpnPlan.Create(new VpnSettings("172.16.0.0", "/12", 5, ["UDP://10.0.0.1:4000", " tcp://192.168.1.20:65535 "]));

        Assert.Equal(new[] { "udp://10.0.0.1:4000", "tcp://192.168.1.20:65535" }, plan.BootstrapNodes);
    }

    [Theory]
    [InlineData("udp://10.0.0.1:4000", "udp", "10.0.0.1", 4000)]
    [InlineData("tcp://255.255.255.255:1", "tcp", "255.255.255.255", 1)]
    [InlineData("Tcp://0.0.0.0:65535", "tcp", "0.0.0.0", 65535)]
    public void a_bootstrap_node_parses_into_protocol_address_and_port(string text, string protocol, string address, int port)
    {
        Assert.True(VpnBootstrapNode.TryParse(text, out var node));
        Assert.Equal(new VpnBootstrapNode(protocol, address, port), node);
        Assert.Equal($"{protocol}://{address}:{port}", node.ToString());
    }

    [Fact]
    public void a_missing_bootstrap_node_list_means_none()
    {
        var plan = VpnPlan.Create(new VpnSettings("172.16.0.0", "/12", 5, null));

        Assert.Empty(plan.BootstrapNodes);
    }

    [Fact]
    public void every_problem_is_reported_at_once_in_key_order()
    {
        var problems = Problems("172.16.0.1", "255.0.255.0", -3, "ftp://1.2.3.4:5");

        Assert.Equal(
            new[]
            {
                "Vpn:Netmask '255.0.255.0' is not a contiguous netmask",
                "Vpn:ServiceBits -3 must not be negative",
                "Vpn:BootstrapNodes entry 'ftp://1.2.3.4:5' must look like udp://ip:port or tcp://ip:port",
            },
            problems);
    }
}
