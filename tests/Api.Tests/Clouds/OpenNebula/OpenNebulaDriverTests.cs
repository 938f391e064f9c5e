using System.Text;
using System.Text.RegularExpressions;
using Conpaas.CloudAgents.Drivers;
using Conpaas.CloudAgents.Drivers.OpenNebula;
using Xunit;
using static Conpaas.Api.Tests.Clouds.DriverKit;

namespace Conpaas.Api.Tests.Clouds.OpenNebula;

/// <summary>The opennebula driver through its XML-RPC client against <see cref="FakeOpenNebula"/>, one fake per test.</summary>
public sealed class OpenNebulaDriverTests : IAsyncLifetime
{
    private FakeOpenNebula _cloud = null!;

    public async ValueTask InitializeAsync() => _cloud = await FakeOpenNebula.Start();

    public async ValueTask DisposeAsync() => await _cloud.DisposeAsync();

    private OpenNebulaDriver Driver(Action<Dictionary<string, string?>>? change = null)
    {
        var keys = _cloud.Keys();
        change?.Invoke(keys);
        return new OpenNebulaDriver(OpenNebulaSettings.From(keys), "one-test", Http);
    }

    [Fact]
    public async Task a_vm_is_allocated_with_the_guide_s_template_and_becomes_ready()
    {
        var driver = Driver();
        var spec = Spec(Name());

        var created = await driver.Create(spec, Ct);

        var vm = Assert.Single(_cloud.Vms);
        Assert.Equal(vm.Id.ToString(), created.ProviderId);
        Assert.Equal(CloudVmStatus.Pending, created.Status);
        var template = vm.Template;
        Assert.Contains($"NAME = \"{spec.Name}\"", template);
        Assert.Contains("CPU = \"1\"", template);
        Assert.Contains("MEMORY = \"1024\"", template);
        Assert.Contains("OS = [ ARCH = \"x86_64\", ROOT = \"vda1\" ]", template);
        Assert.Contains($"DISK = [ IMAGE_ID = \"{FakeOpenNebula.ImageId}\", TARGET = \"vda\" ]", template);
        Assert.Contains($"NIC = [ NETWORK_ID = \"{FakeOpenNebula.NetworkId}\" ]", template);
        Assert.Matches("CONTEXT = \\[ NETWORK = \"YES\", TARGET = \"vdb\", ETH0_IP = \"\\$NIC\\[IP\\]\", ETH0_GATEWAY = \"10.1.0.1\", ETH0_MASK = \"255.255.0.0\", ETH0_DNS = \"10.1.0.2\"", template);
        Assert.Contains("USERDATA_ENCODING = \"base64\"", template);
        var userData = Regex.Match(template, "USER_DATA = \"([^\"]*)\"").Groups[1].Value;
        Assert.Equal(spec.UserData, Encoding.UTF8.GetString(Convert.FromBase64String(userData)));

        await BecomesReady(driver, created, TimeSpan.FromSeconds(20)); // the RUNNING VM's agent port answers
        Assert.Equal(new CloudVm(spec.Name, vm.Id.ToString(), $"{vm.Ip}:{_cloud.AgentPort}", CloudVmStatus.Running), await driver.Describe(spec.Name, Ct));
    }

    [Fact]
    public async Task a_create_whose_answer_was_lost_finds_the_vm_it_made_and_a_retry_makes_no_second_one()
    {
        var driver = Driver();
        var spec = Spec(Name());
        _cloud.DropNextAllocateResponse = true;

        var first = await driver.Create(spec, Ct);
        var retried = await driver.Create(spec, Ct);

        var vm = Assert.Single(_cloud.Vms);
        Assert.Equal(vm.Id.ToString(), first.ProviderId);
        Assert.Equal(vm.Id.ToString(), retried.ProviderId);
        Assert.Equal(1, _cloud.AllocateCalls);
    }

    [Fact]
    public async Task list_gives_the_vms_of_the_prefix_and_not_the_terminated_ones()
    {
        var driver = Driver();
        foreach (var n in Enumerable.Range(1, 3)) await driver.Create(Spec(Name("mine", n)), Ct);
        await driver.Create(Spec(Name("other")), Ct);
        await driver.Terminate(Name("mine", 2), Ct);

        var listed = await driver.List("mine-", Ct);

        Assert.Equal([Name("mine", 1), Name("mine", 3)], listed.Select(v => v.Name).Order());
    }

    [Fact]
    public async Task terminate_hard_ends_the_vm_and_a_second_terminate_is_no_error()
    {
        var driver = Driver();
        var spec = Spec(Name());
        await driver.Create(spec, Ct);

        await driver.Terminate(spec.Name, Ct);
        await driver.Terminate(spec.Name, Ct);

        Assert.Empty(_cloud.Vms);
        Assert.Null(await driver.Describe(spec.Name, Ct));
        Assert.Equal(1, _cloud.Calls.Count(c => c == "one.vm.action"));
    }

    [Fact]
    public async Task wrong_credentials_are_named_by_problems_and_fail_a_create_for_good()
    {
        var driver = Driver(k => k["PASSWORD"] = "wrong");

        var problem = Assert.Single(await driver.Problems(Ct));
        var failure = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(Spec(Name()), Ct));

        Assert.Equal("OpenNebula refused one.vmpool.info: [one.vmpool.info] User couldn't be authenticated, aborting call. (code 256)", problem);
        Assert.False(failure.Transient);
        Assert.Empty(_cloud.Vms);
    }

    [Fact]
    public async Task keys_that_make_no_template_are_named_by_problems_and_nothing_is_called()
    {
        var driver = Driver(k => (k["INST_TYPE"], k["IMAGE_ID"]) = ("huge", "debian"));

        var problems = await driver.Problems(Ct);
        var failure = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(Spec(Name()), Ct));

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("IMAGE_ID of cloud 'one-test' must be an image's number, not 'debian'"));
        Assert.Contains(problems, p => p.Contains("INST_TYPE of cloud 'one-test' is 'huge', not one of [small, medium, large]"));
        Assert.False(failure.Transient);
        Assert.Empty(_cloud.Calls);
    }

    [Fact]
    public async Task an_exhausted_quota_or_an_unknown_image_fails_a_create_for_good()
    {
        _cloud.VmQuota = 0;
        var quota = await Assert.ThrowsAsync<CloudDriverException>(() => Driver().Create(Spec(Name(number: 1)), Ct));
        _cloud.VmQuota = null;
        var image = await Assert.ThrowsAsync<CloudDriverException>(() => Driver(k => k["IMAGE_ID"] = "99").Create(Spec(Name(number: 2)), Ct));

        Assert.False(quota.Transient);
        Assert.Contains("limit of 0 reached for VMS quota", quota.Message);
        Assert.False(image.Transient);
        Assert.Contains("Cannot get IMAGE_ID", image.Message);
        Assert.Empty(_cloud.Vms);
    }

    [Fact]
    public async Task a_busy_front_end_fails_a_create_as_transient_and_the_retry_makes_the_vm()
    {
        var driver = Driver();
        var spec = Spec(Name());
        _cloud.BusyCalls = 1;

        var failure = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(spec, Ct));
        var created = await driver.Create(spec, Ct);

        Assert.True(failure.Transient);
        Assert.Contains("HTTP 503", failure.Message);
        Assert.Equal(Assert.Single(_cloud.Vms).Id.ToString(), created.ProviderId);
    }

    [Fact]
    public async Task a_vm_that_fails_to_boot_fails_the_readiness_check_for_good()
    {
        var driver = Driver();
        _cloud.NextBootFails = true;
        var created = await driver.Create(Spec(Name()), Ct);

        var failure = await Assert.ThrowsAsync<CloudDriverException>(() => BecomesReady(driver, created, TimeSpan.FromSeconds(20)));

        Assert.False(failure.Transient);
        Assert.Contains("failed (STATE 3, LCM_STATE 36)", failure.Message);
    }
}
