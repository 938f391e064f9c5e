using System.Text;
using Conpaas.CloudAgents.Drivers;
using Conpaas.CloudAgents.Drivers.OpenStack;
using Xunit;
using static Conpaas.Api.Tests.Clouds.DriverKit;

namespace Conpaas.Api.Tests.Clouds.OpenStack;

/// <summary>The openstack driver through its own HTTP client against <see cref="FakeOpenStack"/>, one fake per test.</summary>
public sealed class OpenStackDriverTests : IAsyncLifetime
{
    private FakeOpenStack _cloud = null!;

    public async ValueTask InitializeAsync() => _cloud = await FakeOpenStack.Start();

    public async ValueTask DisposeAsync() => await _cloud.DisposeAsync();

    private OpenStackDriver Driver(Action<Dictionary<string, string?>>? change = null)
    {
        var keys = _cloud.Keys();
        change?.Invoke(keys);
        return new OpenStackDriver(OpenStackSettings.From(keys), "os-test", Http, TimeProvider.System);
    }

    [Fact]
    public async Task a_server_is_created_with_the_vm_s_name_image_flavor_key_group_network_user_data_and_metadata_and_becomes_ready()
    {
        var driver = Driver();
        var spec = Spec(Name());

        var created = await driver.Create(spec, Ct);

        Assert.Equal(CloudVmStatus.Pending, created.Status);
        var server = Assert.Single(_cloud.Servers);
        Assert.Equal(server.Id, created.ProviderId);
        var request = server.Request;
        Assert.Equal(spec.Name, request["name"]!.GetValue<string>());
        Assert.Equal(FakeOpenStack.ImageId, request["imageRef"]!.GetValue<string>()); // IMAGE_ID given by name
        Assert.Equal(FakeOpenStack.FlavorId, request["flavorRef"]!.GetValue<string>()); // SIZE_ID given by name
        Assert.Equal(FakeOpenStack.KeyName, request["key_name"]!.GetValue<string>());
        Assert.Equal(FakeOpenStack.SecurityGroup, request["security_groups"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(_cloud.Keys()["NETWORK_ID"], request["networks"]![0]!["uuid"]!.GetValue<string>());
        Assert.Equal(spec.UserData, Encoding.UTF8.GetString(Convert.FromBase64String(request["user_data"]!.GetValue<string>())));
        Assert.Equal(spec.VmId.ToString(), request["metadata"]!["conpaas-vm-id"]!.GetValue<string>());
        Assert.Equal("conpaas", request["metadata"]!["conpaas-deployment"]!.GetValue<string>());

        await BecomesReady(driver, created, TimeSpan.FromSeconds(20)); // the ACTIVE server's agent port answers
        var described = await driver.Describe(spec.Name, Ct);
        Assert.Equal(new CloudVm(spec.Name, server.Id, $"{server.Ip}:{_cloud.AgentPort}", CloudVmStatus.Running), described);
    }

    [Fact]
    public async Task a_create_whose_answer_was_lost_finds_the_server_it_made_and_a_retry_makes_no_second_one()
    {
        var driver = Driver();
        var spec = Spec(Name());
        _cloud.DropNextCreateResponse = true;

        var first = await driver.Create(spec, Ct);
        var retried = await driver.Create(spec, Ct);

        var server = Assert.Single(_cloud.Servers);
        Assert.Equal(server.Id, first.ProviderId);
        Assert.Equal(server.Id, retried.ProviderId);
        Assert.Equal(1, _cloud.CreateRequests);
    }

    [Fact]
    public async Task list_gives_the_servers_of_the_prefix_across_pages()
    {
        _cloud.PageSize = 2;
        var driver = Driver();
        foreach (var n in Enumerable.Range(1, 5)) await driver.Create(Spec(Name("mine", n)), Ct);
        await driver.Create(Spec(Name("other")), Ct);

        var listed = await driver.List("mine-", Ct);

        Assert.Equal(Enumerable.Range(1, 5).Select(n => Name("mine", n)).Order(), listed.Select(v => v.Name).Order());
    }

    [Fact]
    public async Task terminate_deletes_the_server_and_a_second_terminate_is_no_error()
    {
        var driver = Driver();
        var spec = Spec(Name());
        await driver.Create(spec, Ct);

        await driver.Terminate(spec.Name, Ct);
        await driver.Terminate(spec.Name, Ct);

        Assert.Empty(_cloud.Servers);
        Assert.Null(await driver.Describe(spec.Name, Ct));
    }

    [Fact]
    public async Task wrong_credentials_are_named_by_problems_and_fail_a_create_for_good()
    {
        var driver = Driver(k => k["PASSWORD"] = "wrong");

        var problem = Assert.Single(await driver.Problems(Ct));
        var failure = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(Spec(Name()), Ct));

        Assert.Contains("refused the credentials of cloud 'os-test'", problem);
        Assert.Contains("requires authentication", problem);
        Assert.False(failure.Transient);
        Assert.Empty(_cloud.Servers);
    }

    [Fact]
    public async Task missing_credentials_and_an_unknown_image_or_flavor_are_named_by_problems()
    {
        Assert.Contains("needs USER and PASSWORD, or APPLICATION_CREDENTIAL_ID", Assert.Single(await Driver(k => k["USER"] = null).Problems(Ct)));
        Assert.Contains("no image named 'nope'", Assert.Single(await Driver(k => k["IMAGE_ID"] = "nope").Problems(Ct)));
        Assert.Equal("Requested size not found. 'm9.huge' not in [m1.tiny, m1.small]", Assert.Single(await Driver(k => k["SIZE_ID"] = "m9.huge").Problems(Ct)));
        Assert.Empty(await Driver(k => (k["IMAGE_ID"], k["SIZE_ID"]) = (FakeOpenStack.ImageId, FakeOpenStack.FlavorId)).Problems(Ct));
    }

    [Fact]
    public async Task an_unreachable_endpoint_is_named_by_problems_and_fails_a_create_as_transient()
    {
        var driver = Driver(k => k["HOST"] = "http://127.0.0.1:9/identity/v3");

        var problem = Assert.Single(await driver.Problems(Ct));
        var failure = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(Spec(Name()), Ct));

        Assert.Contains("did not answer POST /identity/v3/auth/tokens", problem);
        Assert.True(failure.Transient);
    }

    [Fact]
    public async Task an_application_credential_authenticates_without_user_and_password()
    {
        var driver = new OpenStackDriver(OpenStackSettings.From(_cloud.Keys(applicationCredential: true)), "os-test", Http, TimeProvider.System);

        Assert.Empty(await driver.Problems(Ct));
        await driver.Create(Spec(Name()), Ct);

        Assert.Single(_cloud.Servers);
    }

    [Fact]
    public async Task a_token_is_kept_between_calls_and_taken_again_when_nova_answers_401()
    {
        var driver = Driver();
        var spec = Spec(Name());
        await driver.Create(spec, Ct);
        await driver.Describe(spec.Name, Ct);
        Assert.Equal(1, _cloud.TokensIssued);

        _cloud.ExpireTokens();
        var described = await driver.Describe(spec.Name, Ct);

        Assert.NotNull(described);
        Assert.Equal(2, _cloud.TokensIssued);
    }

    [Fact]
    public async Task a_token_about_to_expire_is_renewed_before_it_is_used()
    {
        _cloud.TokenLifetime = TimeSpan.FromMinutes(1); // inside the driver's two minutes of renewal
        var driver = Driver();

        await driver.Describe(Name(), Ct);
        await driver.Describe(Name(), Ct);

        Assert.Equal(2, _cloud.TokensIssued);
    }

    [Fact]
    public async Task an_exhausted_quota_fails_a_create_for_good()
    {
        var driver = Driver();
        _cloud.InstanceQuota = 0;
        var forbidden = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(Spec(Name(number: 1)), Ct));

        _cloud.InstanceQuota = null;
        _cloud.FailNext("POST", "/servers", 413, "overLimit", "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances");
        var overLimit = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(Spec(Name(number: 2)), Ct));

        Assert.False(forbidden.Transient);
        Assert.Contains("403: Quota exceeded for instances", forbidden.Message);
        Assert.False(overLimit.Transient);
        Assert.Empty(_cloud.Servers);
    }

    [Theory]
    [InlineData(413, "overLimit", "This request was rate-limited.")]
    [InlineData(429, "overLimit", "Too many requests.")]
    [InlineData(503, "serviceUnavailable", "The server is currently unavailable.")]
    public async Task a_rate_limit_or_an_unavailable_nova_fails_a_create_as_transient_and_the_retry_makes_the_server(int status, string kind, string message)
    {
        var driver = Driver();
        var spec = Spec(Name());
        _cloud.FailNext("POST", "/servers", status, kind, message, retryAfter: 2);

        var failure = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(spec, Ct));
        var created = await driver.Create(spec, Ct);

        Assert.True(failure.Transient);
        Assert.Contains($"OpenStack answered {status}: {message}, retry after 2 s", failure.Message);
        Assert.Equal(Assert.Single(_cloud.Servers).Id, created.ProviderId);
    }

    [Fact]
    public async Task a_conflict_on_delete_is_transient_and_the_retry_deletes()
    {
        var driver = Driver();
        var spec = Spec(Name());
        await driver.Create(spec, Ct);
        _cloud.FailNext("DELETE", "/servers/", 409, "conflictingRequest", "Cannot 'delete' instance while it is in task_state rebooting");

        var failure = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Terminate(spec.Name, Ct));
        await driver.Terminate(spec.Name, Ct);

        Assert.True(failure.Transient);
        Assert.Empty(_cloud.Servers);
    }

    [Fact]
    public async Task a_server_that_ends_in_error_fails_the_readiness_check_for_good_and_a_retried_create_too()
    {
        var driver = Driver();
        var spec = Spec(Name());
        _cloud.NextBuildFails = true;
        var created = await driver.Create(spec, Ct);

        var failure = await Assert.ThrowsAsync<CloudDriverException>(() => BecomesReady(driver, created, TimeSpan.FromSeconds(20)));
        var retried = await Assert.ThrowsAsync<CloudDriverException>(() => driver.Create(spec, Ct));

        Assert.False(failure.Transient);
        Assert.Contains("is in ERROR: No valid host was found", failure.Message);
        Assert.False(retried.Transient);
        Assert.Single(_cloud.Servers);
    }

    [Fact]
    public async Task user_data_over_nova_s_limit_fails_for_good_before_anything_is_made()
    {
        var failure = await Assert.ThrowsAsync<CloudDriverException>(() => Driver().Create(Spec(Name(), new string('x', 50_000)), Ct));

        Assert.False(failure.Transient);
        Assert.Contains("OpenStack takes at most 65535", failure.Message);
        Assert.Equal(0, _cloud.CreateRequests);
    }

    [Fact]
    public async Task calls_to_one_cloud_are_bounded_by_max_concurrency()
    {
        var driver = Driver(k => k["MAX_CONCURRENCY"] = "2");
        _cloud.ComputeDelay = TimeSpan.FromMilliseconds(100);

        await Task.WhenAll(Enumerable.Range(1, 8).Select(n => driver.Create(Spec(Name(number: n)), Ct)));

        Assert.Equal(8, _cloud.Servers.Count);
        Assert.Equal(2, _cloud.MostInFlight);
    }
}
