using Conpaas.Domain.Vpn;
using Xunit;
using static Conpaas.Domain.Tests.Vpn.VpnTestKit;

namespace Conpaas.Domain.Tests.Vpn;

/// <summary>Checks the plan's invariants over many random (prefix, service bits) combinations, with fixed seeds.</summary>
public class VpnPlanPropertyTests
{
    // Enough to exhaust small plans and to exercise reuse, while keeping huge plans cheap.
    private const int MaxAllocations = 40;

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 25)];

    private static VpnPlan RandomPlan(Random random)
    {
        var prefix = random.Next(0, 32);
        var serviceBits = random.Next(0, 32 - prefix);
        var network = (uint)random.NextInt64(0, 1L << 32) & (prefix == 0 ? 0u : uint.MaxValue << (32 - prefix));
        return Plan(ToAddress(network), $"/{prefix}", serviceBits);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void counts_follow_the_formulas(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 40; i++)
        {
            var plan = RandomPlan(random);

            Assert.Equal(plan.Prefix + plan.ServiceBits, plan.ServicePrefix);
            Assert.Equal(1L << plan.ServiceBits, plan.ServicesPerApplication);
            Assert.Equal((1L << (32 - plan.Prefix - plan.ServiceBits)) - 1, plan.VmsPerService);
            Assert.True(plan.VmsPerService >= 1);
            Assert.Equal(1L << (32 - plan.Prefix), plan.ServicesPerApplication * (plan.VmsPerService + 1));
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void subnets_never_overlap_stay_inside_the_network_and_run_out_exactly_at_the_limit(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 10; i++)
        {
            var plan = RandomPlan(random);
            var count = Math.Min(plan.ServicesPerApplication, MaxAllocations);

            var subnets = plan.AllocateSubnets(count);

            var (networkFirst, networkLast) = Range(plan.Network!);
            var ranges = subnets.Select(Range).ToList();
            Assert.All(subnets, s => Assert.Equal(plan.ServicePrefix, PrefixOf(s)));
            Assert.All(ranges, r => Assert.InRange(r.First, networkFirst, networkLast));
            Assert.All(ranges, r => Assert.InRange(r.Last, networkFirst, networkLast));
            // Handed out lowest first, so consecutive and therefore disjoint.
            for (var k = 1; k < ranges.Count; k++) Assert.Equal(ranges[k - 1].Last + 1, ranges[k].First);
            Assert.Equal(networkFirst, ranges[0].First);

            var next = plan.AllocateServiceSubnet(subnets);
            Assert.Equal(count < plan.ServicesPerApplication, next.Succeeded);
            if (!next.Succeeded) Assert.Equal(plan.ServiceSubnetsExhaustedMessage(), next.Error!.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void addresses_are_unique_inside_their_subnet_and_run_out_exactly_at_the_limit(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 10; i++)
        {
            var plan = RandomPlan(random);
            var subnets = plan.AllocateSubnets(Math.Min(plan.ServicesPerApplication, 3));
            var subnet = subnets[random.Next(subnets.Count)];
            var count = Math.Min(plan.VmsPerService, MaxAllocations);

            var addresses = plan.AllocateAddresses(subnet, count);

            var (first, _) = Range(subnet);
            Assert.Equal(addresses.Count, addresses.Distinct().Count());
            Assert.All(addresses, a => Assert.True(Inside(subnet, a), $"{a} outside {subnet}"));
            Assert.All(addresses, a => Assert.True(VpnPlan.Contains(subnet, a)));
            Assert.DoesNotContain(ToAddress((uint)first), addresses);
            Assert.Equal(Enumerable.Range(1, (int)count).Select(k => ToAddress((uint)(first + k))), addresses);

            var next = plan.AllocateHostAddress(subnet, addresses);
            Assert.Equal(count < plan.VmsPerService, next.Succeeded);
            if (!next.Succeeded) Assert.Equal(plan.HostAddressesExhaustedMessage(subnet), next.Error!.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void allocating_and_releasing_at_random_always_hands_out_the_lowest_free_slot(int seed)
    {
        var random = new Random(seed);
        var plan = RandomPlan(random);
        var subnet = plan.AllocateServiceSubnet([]).Subnet();
        var subnetIndex = new SortedSet<long>();
        var hostIndex = new SortedSet<long>();
        var (networkFirst, _) = Range(plan.Network!);
        var (subnetFirst, _) = Range(subnet);
        var subnetSize = plan.VmsPerService + 1;

        for (var step = 0; step < 200; step++)
        {
            if (random.Next(3) == 0 && subnetIndex.Count > 0) subnetIndex.Remove(subnetIndex.ElementAt(random.Next(subnetIndex.Count)));
            if (random.Next(3) == 0 && hostIndex.Count > 0) hostIndex.Remove(hostIndex.ElementAt(random.Next(hostIndex.Count)));

            var subnetsInUse = subnetIndex.Select(k => $"{ToAddress((uint)(networkFirst + k * subnetSize))}/{plan.ServicePrefix}").ToList();
            var addressesInUse = hostIndex.Select(k => ToAddress((uint)(subnetFirst + k))).ToList();
            var expectedSubnet = LowestMissing(subnetIndex, 0, plan.ServicesPerApplication - 1);
            var expectedHost = LowestMissing(hostIndex, 1, plan.VmsPerService);

            var gotSubnet = plan.AllocateServiceSubnet(subnetsInUse);
            var gotHost = plan.AllocateHostAddress(subnet, addressesInUse);

            Assert.Equal(expectedSubnet is not null, gotSubnet.Succeeded);
            Assert.Equal(expectedHost is not null, gotHost.Succeeded);
            if (expectedSubnet is { } s)
            {
                Assert.Equal($"{ToAddress((uint)(networkFirst + s * subnetSize))}/{plan.ServicePrefix}", gotSubnet.Value);
                subnetIndex.Add(s);
            }
            if (expectedHost is { } h)
            {
                Assert.Equal(ToAddress((uint)(subnetFirst + h)), gotHost.Value);
                hostIndex.Add(h);
            }
        }
    }

    private static long? LowestMissing(SortedSet<long> used, long first, long last)
    {
        var candidate = first;
        while (candidate <= last && used.Contains(candidate)) candidate++;
        return candidate <= last ? candidate : null;
    }
}
