using System.Buffers.Binary;
using System.Net;
using Conpaas.Domain.Vpn;
using Xunit;

namespace Conpaas.Domain.Tests.Vpn;

/// <summary>Helpers that check the plan against an independent reading of addresses (System.Net.IPAddress).</summary>
internal static class VpnTestKit
{
    public static VpnPlan Plan(string baseNetwork, string netmask, int serviceBits, params string[] bootstrapNodes) =>
        VpnPlan.Create(new VpnSettings(baseNetwork, netmask, serviceBits, bootstrapNodes));

    public static VpnPlan GuidesExample() => Plan("172.16.0.0", "255.240.0.0", 5);

    public static string Subnet(this VpnAllocation allocation)
    {
        Assert.True(allocation.Succeeded, allocation.Error?.Message);
        return Assert.IsType<string>(allocation.Value);
    }

    public static string Address(this VpnAllocation allocation) => allocation.Subnet();

    /// <summary>Allocates <paramref name="count"/> subnets one after the other, as successive services would.</summary>
    public static List<string> AllocateSubnets(this VpnPlan plan, long count, List<string>? inUse = null)
    {
        inUse ??= [];
        for (var i = 0; i < count; i++) inUse.Add(plan.AllocateServiceSubnet(inUse).Subnet());
        return inUse;
    }

    public static List<string> AllocateAddresses(this VpnPlan plan, string subnet, long count, List<string>? inUse = null)
    {
        inUse ??= [];
        for (var i = 0; i < count; i++) inUse.Add(plan.AllocateHostAddress(subnet, inUse).Address());
        return inUse;
    }

    public static uint ToUInt(string address) =>
        BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(address).GetAddressBytes());

    public static string ToAddress(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes).ToString();
    }

    /// <summary>First and last address of a CIDR, as longs so a /0 fits.</summary>
    public static (long First, long Last) Range(string cidr)
    {
        var parts = cidr.Split('/');
        var prefix = int.Parse(parts[1]);
        long first = ToUInt(parts[0]);
        return (first, first + (1L << (32 - prefix)) - 1);
    }

    public static int PrefixOf(string cidr) => int.Parse(cidr.Split('/')[1]);

    public static bool Inside(string cidr, string address)
    {
        var (first, last) = Range(cidr);
        long value = ToUInt(address);
        return value >= first && value <= last;
    }
}
