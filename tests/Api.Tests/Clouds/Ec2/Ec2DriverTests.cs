using Conpaas.Fakes;
using Conpaas.Api.Tests.CloudAgents;
using Conpaas.CloudAgents.Drivers;
using Conpaas.Domain.Vms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Conpaas.Api.Tests.Clouds.Ec2;

/// <summary>Makes ec2 drivers for a fake EC2 endpoint, with keys as an operator writes them.</summary>
internal static class Ec2Kit
{
    private static readonly ServiceProvider Services = new ServiceCollection().AddHttpClient().BuildServiceProvider();

    public static Dictionary<string, string?> Keys(FakeEc2 fake) => new()
    {
        ["USER"] = FakeEc2.AccessKey, ["PASSWORD"] = FakeEc2.SecretKey, ["REGION"] = "us-east-1", ["ENDPOINT"] = fake.Endpoint,
        ["IMAGE_ID"] = FakeEc2.Image, ["SIZE_ID"] = "t3.small", ["KEY_NAME"] = "conpaas", ["SECURITY_GROUP_NAME"] = "conpaas-test",
    };

    public static Ec2Driver Driver(FakeEc2 fake, Action<Dictionary<string, string?>>? change = null)
    {
        var keys = Keys(fake);
        change?.Invoke(keys);
        return new Ec2Driver(Ec2Driver.Settings.From(keys), Services.GetRequiredService<IHttpClientFactory>(), NullLogger<Ec2Driver>.Instance);
    }

    public static VmSpec Spec(string name = "conpaas-u0000abcd-a0000ef01-s3-helloworld-1", Guid? id = null)
    {
        var vmId = id ?? Guid.CreateVersion7();
        return new VmSpec(vmId, name, VmRole.AGENT, "helloworld",
            new BootContext(vmId, name, "AGENT", "node", "helloworld", null, null, [], null, "http://127.0.0.1:9", "vm_x"), "#!/bin/sh\ntrue\n");
    }
}

/// <summary>The ec2 driver through the real AWSSDK.EC2 client (its signing, serialisation and retries) against the fake.</summary>
public sealed class Ec2DriverTests : IAsyncLifetime
{
    private readonly FakeEc2 _fake = new();

    public async ValueTask InitializeAsync() => await _fake.Start();

    public async ValueTask DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task Create_runs_one_tagged_instance_in_a_security_group_made_with_the_services_ports()
    {
        using var driver = Ec2Kit.Driver(_fake);
        var spec = Ec2Kit.Spec();

        var vm = await driver.Create(spec, Wait.Ct);

        Assert.StartsWith("i-", vm.ProviderId);
        Assert.EndsWith(":5555", vm.Address);
        Assert.Equal(new Dictionary<string, string>
        {
            ["Name"] = spec.Name, ["conpaas:deployment"] = "conpaas", ["conpaas:vm-id"] = spec.VmId.ToString(),
            ["conpaas:service"] = "conpaas-u0000abcd-a0000ef01-s3-helloworld", ["conpaas:role"] = "node",
        }, _fake.TagsOf(spec.Name));
        Assert.Equal([80, 443, 3306, 4444, 4567, 4568, 5555, 8000, 8080, 9000, 32636, 32638, 32640], _fake.GroupPorts("conpaas-test"));
        Assert.Equal(spec.UserData, _fake.UserDataOf(spec.Name));
        await Wait.Eventually(async () => (await driver.Describe(spec.Name, Wait.Ct))?.Status == CloudVmStatus.Running, Wait.Short, "running");

        // A second VM finds the group made for the first.
        await driver.Create(Ec2Kit.Spec(spec.Name[..^1] + "2"), Wait.Ct);
        Assert.Equal(1, _fake.Calls("CreateSecurityGroup"));
        Assert.Equal(2, _fake.InstanceCount);
    }

    [Fact]
    public async Task A_retry_with_other_parameters_finds_the_instance_the_first_attempt_made()
    {
        var spec = Ec2Kit.Spec();
        using var first = Ec2Kit.Driver(_fake);
        using var resized = Ec2Kit.Driver(_fake, k => k["SIZE_ID"] = "m5.large");

        var made = await first.Create(spec, Wait.Ct);
        var again = await resized.Create(spec, Wait.Ct); // EC2 answers IdempotentParameterMismatch for this token

        Assert.Equal(made.ProviderId, again.ProviderId);
        Assert.Equal(1, _fake.InstanceCount);
    }

    [Fact]
    public async Task Spot_instances_carry_the_max_price()
    {
        using var driver = Ec2Kit.Driver(_fake, k => k["SPOT_MAX_PRICE"] = "0.05");
        var spec = Ec2Kit.Spec();
        await driver.Create(spec, Wait.Ct);
        Assert.Equal("0.05", _fake.SpotPriceOf(spec.Name));
    }

    [Fact]
    public async Task Wrong_credentials_are_a_permanent_refusal_and_a_problem_of_the_cloud()
    {
        using var driver = Ec2Kit.Driver(_fake, k => k["USER"] = "AKIAWRONGWRONGWRONG");

        var refused = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(Ec2Kit.Spec(), Wait.Ct));
        Assert.False(refused.Transient);
        Assert.Contains("credentials were refused", refused.Message);
        Assert.Contains(await driver.Problems(Wait.Ct), p => p.Contains("credentials were refused"));
        Assert.Equal(0, _fake.InstanceCount);
    }

    [Fact]
    public async Task An_unknown_image_is_a_permanent_refusal_and_a_problem_of_the_cloud()
    {
        using var driver = Ec2Kit.Driver(_fake, k => k["IMAGE_ID"] = "ami-00000000000000000");

        var refused = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(Ec2Kit.Spec(), Wait.Ct));
        Assert.False(refused.Transient);
        Assert.Contains("InvalidAMIID.NotFound", refused.Message);
        Assert.Contains(await driver.Problems(Wait.Ct), p => p.Contains("image does not exist"));
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_transient_and_a_problem_of_the_cloud()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var driver = Ec2Kit.Driver(_fake, k => k["ENDPOINT"] = $"http://127.0.0.1:{closedPort}/");

        var failed = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(Ec2Kit.Spec(), Wait.Ct));
        Assert.True(failed.Transient);
        Assert.Contains(await driver.Problems(Wait.Ct), p => p.Contains("did not answer"));
    }

    [Fact]
    public async Task Throttling_is_retried_with_backoff_then_reported_transient()
    {
        using var driver = Ec2Kit.Driver(_fake);
        var spec = Ec2Kit.Spec();
        await driver.Create(spec, Wait.Ct); // the security group exists from here on

        _fake.Throttle(2);
        var describeCalls = _fake.Calls("DescribeInstances");
        Assert.NotNull(await driver.Describe(spec.Name, Wait.Ct));
        Assert.Equal(describeCalls + 3, _fake.Calls("DescribeInstances"));

        _fake.Throttle(1000);
        var throttled = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(Ec2Kit.Spec(spec.Name[..^1] + "2"), Wait.Ct));
        Assert.True(throttled.Transient);
        Assert.Contains("RequestLimitExceeded", throttled.Message);
        Assert.Equal(5, _fake.Calls("RunInstances") - 1); // one attempt and four retries
        _fake.Throttle(0);
    }
}

/// <summary>The ec2 driver against the fake keeps the port's contract.</summary>
public sealed class Ec2DriverContractTests : CloudDriverContract
{
    private readonly FakeEc2 _fake = new();

    protected override async Task<ICloudDriver> NewDriver()
    {
        await _fake.Start();
        return Ec2Kit.Driver(_fake);
    }

    protected override async ValueTask Cleanup() => await _fake.DisposeAsync();
}
