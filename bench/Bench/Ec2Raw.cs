using System.Diagnostics;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Conpaas.Fakes;

namespace Conpaas.Bench;

/// <summary>
/// P8's baseline: the fake EC2's own create rate, as a plain AWSSDK.EC2 client sees it (RunInstances of one instance
/// each, at the concurrency the Director's ec2 driver allows itself, MAX_CONCURRENT_CALLS).
/// </summary>
public static class Ec2Raw
{
    public static async Task<double> CreateRate(FakeEc2 fake, int instances, int concurrency, string tag)
    {
        using var ec2 = new AmazonEC2Client(new BasicAWSCredentials(FakeEc2.AccessKey, FakeEc2.SecretKey),
            new AmazonEC2Config { ServiceURL = fake.Endpoint, AuthenticationRegion = "us-east-1" });
        async Task Run(string name, CancellationToken ct)
        {
            var answer = await ec2.RunInstancesAsync(new RunInstancesRequest
            {
                ImageId = FakeEc2.Image, InstanceType = InstanceType.T3Small, MinCount = 1, MaxCount = 1, ClientToken = name,
                TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Instance, Tags = [new Tag("Name", name)] }],
            }, ct);
            if (answer.Reservation.Instances is not [{ InstanceId: not null }])
                throw new InvalidOperationException($"P8 baseline: RunInstances answered no instance for {name}");
        }

        // Untimed warm-up: the client's first call pays for its JIT and its connections, which the Director has paid already.
        await Parallel.ForEachAsync(Enumerable.Range(0, concurrency), async (i, ct) => await Run($"{tag}-warm{i}", ct));
        var t0 = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, instances), new ParallelOptions { MaxDegreeOfParallelism = concurrency },
            async (i, ct) => await Run($"{tag}-{i}", ct));
        return instances / (Stats.Ms(t0, Stopwatch.GetTimestamp()) / 1000.0);
    }
}
