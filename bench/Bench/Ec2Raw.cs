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
        var t0 = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, instances), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            var answer = await ec2.RunInstancesAsync(new RunInstancesRequest
            {
                ImageId = FakeEc2.Image, InstanceType = InstanceType.T3Small, MinCount = 1, MaxCount = 1,
                ClientToken = $"{tag}-{i}",
                TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Instance, Tags = [new Tag("Name", $"{tag}-{i}")] }],
            }, ct);
            if (answer.Reservation.Instances is not [{ InstanceId: not null }])
                throw new InvalidOperationException($"P8 baseline: RunInstances answered no instance for {tag}-{i}");
        });
        return instances / (Stats.Ms(t0, Stopwatch.GetTimestamp()) / 1000.0);
    }
}
