using Conpaas.Api.Tests.CloudAgents;
using Conpaas.CloudAgents.Drivers;
using Conpaas.Domain.Vms;
using Xunit;

namespace Conpaas.Api.Tests.Clouds;

/// <summary>
/// The cloud port's contract, the same for every driver: create is idempotent by the VM's name, list finds the
/// Director's VMs by name prefix, describe finds one VM, terminate is idempotent and a VM the cloud never had is not
/// an error, a healthy cloud reports no problems. One subclass per driver gives a healthy driver against its (test)
/// cloud; every VM a test makes is named under <see cref="Prefix"/>, unique per test.
/// </summary>
public abstract class CloudDriverContract : IAsyncLifetime
{
    /// <summary>A deployment name of its own per test, so that List sees only this test's VMs.</summary>
    protected string Prefix { get; } = $"ct{Guid.NewGuid().ToString("N")[..8]}-";

    private ICloudDriver? _driver;

    protected ICloudDriver Driver => _driver ?? throw new InvalidOperationException("not initialised");

    /// <summary>A driver of a healthy cloud (its test server started).</summary>
    protected abstract Task<ICloudDriver> NewDriver();

    /// <summary>Stops the test cloud and whatever VMs (processes) it still runs.</summary>
    protected virtual ValueTask Cleanup() => ValueTask.CompletedTask;

    /// <summary>How long a cloud may take to stop showing a terminated VM (EC2 shows it shutting-down for a while).</summary>
    protected virtual TimeSpan TerminationSettles => TimeSpan.FromSeconds(30);

    public async ValueTask InitializeAsync() => _driver = await NewDriver();

    public async ValueTask DisposeAsync()
    {
        if (_driver is not null)
            foreach (var vm in await _driver.List(Prefix, Wait.Ct))
                await _driver.Terminate(vm.Name, CancellationToken.None);
        await Cleanup();
        GC.SuppressFinalize(this);
    }

    /// <summary>A VM to create, as the provisioning pipeline would hand it over (an agent of a helloworld service).</summary>
    protected virtual VmSpec Spec(string name)
    {
        var id = Guid.CreateVersion7();
        var boot = new BootContext(id, name, "AGENT", null, "helloworld", null, null, [], null, "http://127.0.0.1:9", "credential-" + id.ToString("N"));
        return new VmSpec(id, name, VmRole.AGENT, "helloworld", boot, "#!/bin/sh\necho contract test\n");
    }

    [Fact]
    public async Task Create_is_idempotent_by_name()
    {
        var spec = Spec(Prefix + "idem-1");
        var first = await Driver.Create(spec, Wait.Ct);
        var again = await Driver.Create(spec, Wait.Ct);

        Assert.Equal(spec.Name, first.Name);
        Assert.Equal(first.ProviderId, again.ProviderId);
        var listed = await Driver.List(Prefix, Wait.Ct);
        Assert.Equal([spec.Name], listed.Select(v => v.Name));
    }

    [Fact]
    public async Task List_finds_the_vms_of_a_prefix_only()
    {
        var mine = Spec(Prefix + "a-1");
        var other = Spec(Prefix + "b-1");
        await Driver.Create(mine, Wait.Ct);
        await Driver.Create(other, Wait.Ct);

        Assert.Equal([mine.Name], (await Driver.List(Prefix + "a-", Wait.Ct)).Select(v => v.Name));
        Assert.Equal([mine.Name, other.Name], (await Driver.List(Prefix, Wait.Ct)).Select(v => v.Name).Order(StringComparer.Ordinal));
        Assert.Empty(await Driver.List("nobody-has-this-prefix-", Wait.Ct));
    }

    [Fact]
    public async Task Describe_finds_a_created_vm_and_not_an_unknown_one()
    {
        var spec = Spec(Prefix + "desc-1");
        var created = await Driver.Create(spec, Wait.Ct);

        var described = await Driver.Describe(spec.Name, Wait.Ct);
        Assert.NotNull(described);
        Assert.Equal(created.ProviderId, described.ProviderId);
        Assert.Equal(spec.Name, described.Name);
        Assert.Null(await Driver.Describe(Prefix + "never-1", Wait.Ct));
    }

    [Fact]
    public async Task Terminate_is_idempotent()
    {
        var spec = Spec(Prefix + "term-1");
        await Driver.Create(spec, Wait.Ct);

        await Driver.Terminate(spec.Name, Wait.Ct);
        await Driver.Terminate(spec.Name, Wait.Ct);

        await Wait.Eventually(async () => await Driver.Describe(spec.Name, Wait.Ct) is null, TerminationSettles, $"{spec.Name} gone");
        Assert.Empty(await Driver.List(Prefix, Wait.Ct));
    }

    [Fact]
    public async Task Terminating_a_vm_the_cloud_never_had_is_not_an_error()
    {
        await Driver.Terminate(Prefix + "never-1", Wait.Ct);
        Assert.Null(await Driver.Describe(Prefix + "never-1", Wait.Ct));
    }

    [Fact]
    public async Task A_healthy_cloud_has_no_problems() =>
        Assert.Empty(await Driver.Problems(Wait.Ct));
}
