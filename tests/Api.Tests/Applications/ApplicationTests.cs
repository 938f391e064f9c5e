using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Services;
using Conpaas.Domain.Applications;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Applications;

public sealed class ApplicationTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Name() => "app-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<ServiceScenario> User(int? credit = null) => await ServiceScenario.ForNewUser(app, credit);

    private async Task<int> StoredApplications(GraphQLClient owner)
    {
        var me = (await owner.Ok("{ me { id } }"))["me"]!.Str("id");
        var ownerId = Guid.Parse(me);
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.Query<Application>().CountAsync(a => a.OwnerId == ownerId, Ct);
    }

    [Fact]
    public async Task a_new_application_has_its_name_owner_network_and_first_version()
    {
        var user = await User();
        var name = Name();
        var created = await user.CreateApplication(name);

        Assert.Equal(name, created.Str("name"));
        Assert.Equal(user.Client.Username, created["owner"]!.Str("username"));
        Assert.Equal("172.16.0.0/12", created.Str("network"));
        Assert.Equal(1, created.Int("version"));
        Assert.Empty(created.Items("services"));
        Assert.InRange(DateTimeOffset.Parse(created.Str("createdAt")), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

        var read = await user.Application(created.Str("id"));
        Assert.Equal(name, read.Str("name"));
        Assert.Empty(read.Items("vms"));
        var listed = (await user.Client.Ok(Ops.Applications))["applications"]!.AsArray();
        Assert.Equal(created.Str("id"), Assert.Single(listed)!.Str("id"));
    }

    [Fact]
    public async Task create_and_rename_answer_exactly_what_is_stored()
    {
        // Neither reads the application back after its commit: what they answer must be the stored snapshot.
        var user = await User();
        const string fields = "id name network createdAt version owner { username } services { id }";
        var created = (await user.Client.Ok($"mutation($n: String!) {{ createApplication(name: $n) {{ {fields} }} }}", new { n = Name() }))["createApplication"]!;
        var id = created.Str("id");
        async Task<string> Stored() => (await user.Client.Ok($"query($id: ID!) {{ application(id: $id) {{ {fields} }} }}", new { id }))["application"]!.ToJsonString();
        Assert.Equal(await Stored(), created.ToJsonString());

        var renamed = (await user.Client.Ok($"mutation($id: ID!, $n: String!) {{ renameApplication(id: $id, name: $n, expectedVersion: 1) {{ {fields} }} }}",
            new { id, n = Name() }))["renameApplication"]!;
        Assert.Equal(2, renamed.Int("version"));
        Assert.Equal(await Stored(), renamed.ToJsonString());
    }

    [Fact]
    public async Task the_name_is_trimmed_and_may_be_256_characters_long()
    {
        var user = await User();
        Assert.Equal("spaced", (await user.CreateApplication("  spaced  ")).Str("name"));
        var longest = new string('n', 256);
        Assert.Equal(longest, (await user.CreateApplication(longest)).Str("name"));
    }

    [Fact]
    public async Task applications_lists_only_the_callers_own_and_someone_elses_answers_not_found()
    {
        var ann = await User();
        var bob = await User();
        var annApp = (await ann.CreateApplication()).Str("id");
        var bobApp = (await bob.CreateApplication()).Str("id");

        var annList = (await ann.Client.Ok(Ops.Applications))["applications"]!.AsArray().Select(a => a!.Str("id")).ToList();
        Assert.Equal([annApp], annList);

        // The same answer as for a missing one: nothing reveals that the other one exists.
        var missingId = Guid.NewGuid().ToString();
        Assert.Equal($"Application not found: {bobApp}", (await ann.Client.Fails("NOT_FOUND", Ops.Application, new { id = bobApp })).Message());
        Assert.Equal($"Application not found: {missingId}", (await ann.Client.Fails("NOT_FOUND", Ops.Application, new { id = missingId })).Message());

        await ann.Client.Fails("NOT_FOUND", Ops.RenameApplication, new { id = bobApp, name = "mine-now", v = (int?)null });
        await ann.Client.Fails("NOT_FOUND", Ops.DeleteApplication, new { id = bobApp });
        await ann.Client.Fails("NOT_FOUND", Ops.AddService, new { app = bobApp, type = "helloworld", name = (string?)null, key = (string?)null });
        Assert.Equal(1, await ServiceScenario.StreamVersion(app, bobApp));
        Assert.NotEqual("mine-now", (await bob.Application(bobApp)).Str("name"));
    }

    [Fact]
    public async Task an_administrator_reads_anyones_application_but_lists_only_his_own()
    {
        var user = await User();
        var id = (await user.CreateApplication()).Str("id");
        var admin = await app.Admin();

        Assert.Equal(id, (await admin.Ok(Ops.Application, new { id }))["application"]!.Str("id"));
        Assert.DoesNotContain((await admin.Ok(Ops.Applications))["applications"]!.AsArray(), a => a!.Str("id") == id);
    }

    [Fact]
    public async Task signing_in_is_required()
    {
        await app.Client().Fails("UNAUTHENTICATED", Ops.Applications);
        await app.Client().Fails("UNAUTHENTICATED", Ops.CreateApplication, new { name = Name(), key = (string?)null });
        await app.Client().Fails("UNAUTHENTICATED", Ops.Application, new { id = Guid.NewGuid().ToString() });
    }

    [Fact]
    public async Task names_are_unique_per_owner_but_two_users_may_share_one()
    {
        var ann = await User();
        var bob = await User();
        var name = Name();
        await ann.CreateApplication(name);

        var taken = await ann.Client.Fails("CONFLICT", Ops.CreateApplication, new { name, key = (string?)null });
        Assert.Equal($"Application name \"{name}\" is already taken", taken.Message());
        Assert.Equal("name", taken.Field());
        await ann.Client.Fails("CONFLICT", Ops.CreateApplication, new { name = $"  {name} ", key = (string?)null });
        Assert.Equal(1, await StoredApplications(ann.Client));

        Assert.Equal(name, (await bob.CreateApplication(name)).Str("name"));
    }

    [Fact]
    public async Task parallel_creations_of_one_name_leave_exactly_one_application()
    {
        var user = await User();
        var name = Name();
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => user.Client.Send(Ops.CreateApplication, new { name, key = (string?)null })));

        Assert.Single(responses, r => r.Errors is null);
        Assert.All(responses.Where(r => r.Errors is not null), r => Assert.Equal("CONFLICT", r.Errors![0]!.AsObject().Code()));
        Assert.Equal(1, await StoredApplications(user.Client));
    }

    public static TheoryData<string> BadNames => new()
    {
        "",
        "   ",
        new string('x', 257),
        "bad\u0001name",
        "tab\tinside",
        "line\nbreak",
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task a_bad_name_is_refused_naming_the_field_and_nothing_is_stored(string name)
    {
        var user = await User();
        var error = await user.Client.Fails("INVALID_INPUT", Ops.CreateApplication, new { name, key = (string?)null });
        Assert.Equal("name", error.Field());
        Assert.Equal(0, await StoredApplications(user.Client));
        Assert.Empty((await user.Client.Ok(Ops.Applications))["applications"]!.AsArray());

        var id = (await user.CreateApplication()).Str("id");
        var renamed = await user.Client.Fails("INVALID_INPUT", Ops.RenameApplication, new { id, name, v = (int?)null });
        Assert.Equal("name", renamed.Field());
        Assert.Equal(1, await user.StreamVersion(id));
    }

    [Fact]
    public async Task a_missing_name_is_refused()
    {
        var user = await User();
        var error = await user.Client.Fails("INVALID_INPUT", "mutation { createApplication { id } }");
        Assert.Contains("name", error.Message());
        Assert.Equal(0, await StoredApplications(user.Client));
    }

    [Fact]
    public async Task the_same_idempotency_key_returns_the_first_application_and_creates_one_stream()
    {
        var user = await User();
        var key = "key-" + Guid.NewGuid();
        var name = Name();

        var first = await user.CreateApplication(name, key);
        var retry = await user.CreateApplication(name, key);
        // A retry that changed its mind about the name still gets the first result.
        var other = await user.CreateApplication(Name(), key);

        Assert.Equal(first.Str("id"), retry.Str("id"));
        Assert.Equal(first.Str("id"), other.Str("id"));
        Assert.Equal(name, other.Str("name"));
        Assert.Equal(1, await user.StreamVersion(first.Str("id")));
        Assert.Equal(1, await StoredApplications(user.Client));

        // Keys belong to their user: the same key from someone else is another application.
        var bob = await User();
        Assert.NotEqual(first.Str("id"), (await bob.CreateApplication(name, key)).Str("id"));
    }

    [Fact]
    public async Task parallel_retries_with_one_idempotency_key_create_one_application()
    {
        var user = await User();
        for (var round = 0; round < 4; round++)
        {
            var key = "key-" + Guid.NewGuid();
            var name = Name();
            var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => user.Client.Send(Ops.CreateApplication, new { name, key })));

            // Every retry is answered with the first result, never with "name already taken" by its own first attempt.
            Assert.All(responses, r => Assert.True(r.Errors is null, r.Body.ToJsonString()));
            Assert.Single(responses.Select(r => r.Data!["createApplication"]!.Str("id")).Distinct());
            Assert.Equal(1, await user.StreamVersion(responses[0].Data!["createApplication"]!.Str("id")));
        }

        Assert.Equal(4, await StoredApplications(user.Client));
    }

    [Fact]
    public async Task an_empty_or_overlong_idempotency_key_is_refused()
    {
        var user = await User();
        Assert.Equal("idempotencyKey", (await user.Client.Fails("INVALID_INPUT", Ops.CreateApplication, new { name = Name(), key = "" })).Field());
        Assert.Equal("idempotencyKey", (await user.Client.Fails("INVALID_INPUT", Ops.CreateApplication, new { name = Name(), key = new string('k', 257) })).Field());
        Assert.Equal(0, await StoredApplications(user.Client));
    }

    [Fact]
    public async Task rename_with_the_current_version_succeeds_and_a_stale_one_is_a_version_conflict()
    {
        var user = await User();
        var created = await user.CreateApplication();
        var id = created.Str("id");

        var renamed = (await user.Client.Ok(Ops.RenameApplication, new { id, name = "first-name", v = 1 }))["renameApplication"]!;
        Assert.Equal("first-name", renamed.Str("name"));
        Assert.Equal(2, renamed.Int("version"));

        var stale = await user.Client.Fails("VERSION_CONFLICT", Ops.RenameApplication, new { id, name = "second-name", v = 1 });
        Assert.Equal(2, stale["extensions"]!["currentVersion"]!.GetValue<int>());
        Assert.Equal("first-name", (await user.Application(id)).Str("name"));
        Assert.Equal(2, await user.StreamVersion(id));

        // Without expectedVersion the last writer wins; the same name again changes nothing.
        Assert.Equal(3, (await user.Client.Ok(Ops.RenameApplication, new { id, name = "second-name", v = (int?)null }))["renameApplication"]!.Int("version"));
        Assert.Equal(3, (await user.Client.Ok(Ops.RenameApplication, new { id, name = "second-name", v = (int?)null }))["renameApplication"]!.Int("version"));
        Assert.Equal(3, await user.StreamVersion(id));
    }

    [Fact]
    public async Task rename_to_a_name_the_owner_already_uses_is_a_conflict()
    {
        var user = await User();
        var taken = Name();
        await user.CreateApplication(taken);
        var id = (await user.CreateApplication()).Str("id");

        var error = await user.Client.Fails("CONFLICT", Ops.RenameApplication, new { id, name = taken, v = (int?)null });
        Assert.Equal($"Application name \"{taken}\" is already taken", error.Message());
        Assert.Equal(1, await user.StreamVersion(id));
    }

    [Theory]
    [InlineData(Ops.Application)]
    [InlineData(Ops.DeleteApplication)]
    public async Task a_malformed_id_is_invalid_input_and_an_unknown_one_not_found(string document)
    {
        var user = await User();
        var bad = await user.Client.Fails("INVALID_INPUT", document, new { id = "not-a-guid" });
        Assert.Equal("id", bad.Field());
        Assert.Contains("not-a-guid", bad.Message());
        await user.Client.Fails("NOT_FOUND", document, new { id = Guid.NewGuid().ToString() });
    }

    [Fact]
    public async Task rename_with_a_malformed_or_unknown_id_is_refused()
    {
        var user = await User();
        Assert.Equal("id", (await user.Client.Fails("INVALID_INPUT", Ops.RenameApplication, new { id = "42x", name = "n", v = (int?)null })).Field());
        await user.Client.Fails("NOT_FOUND", Ops.RenameApplication, new { id = Guid.NewGuid().ToString(), name = "n", v = (int?)null });
    }

    [Fact]
    public async Task the_application_lists_its_services_and_every_vm_of_every_service()
    {
        var user = await User();
        var (appId, running) = await user.RunningService();
        var idle = await user.AddService(appId, "mysql", "db");

        var read = await user.Application(appId);
        Assert.Equal([1, 2], read.Items("services").Select(s => s.Int("sid")));
        Assert.Equal(["172.16.0.0/17", "172.16.128.0/17"], read.Items("services").Select(s => s.Str("subnet")));
        Assert.Equal(running.LiveNodes().Select(n => n.Str("id")).Order(), read.Items("vms").Select(v => v.Str("id")).Order());
        Assert.Equal("INIT", read.Items("services").Single(s => s.Str("id") == idle.Str("id")).Str("state"));
        // Each added service moved the application's version on.
        Assert.Equal(3, read.Int("version"));
    }

    [Fact]
    public async Task deleting_an_application_stops_and_removes_every_service_and_frees_its_name()
    {
        var user = await User();
        var name = Name();
        var appId = (await user.CreateApplication(name)).Str("id");
        var idle = (await user.AddService(appId, "php")).Str("id");
        var running = (await user.AddService(appId)).Str("id");
        await user.Start(running);
        await user.BootAll(running);
        var booting = (await user.AddService(appId, "mysql")).Str("id");
        await user.Start(booting);

        Assert.True((await user.Client.Ok(Ops.DeleteApplication, new { id = appId }))["deleteApplication"]!.GetValue<bool>());

        Assert.Empty((await user.Client.Ok(Ops.Applications))["applications"]!.AsArray());
        await user.Client.Fails("NOT_FOUND", Ops.Application, new { id = appId });
        await user.Client.Fails("NOT_FOUND", Ops.DeleteApplication, new { id = appId });
        await user.Client.Fails("NOT_FOUND", Ops.AddService, new { app = appId, type = "helloworld", name = (string?)null, key = (string?)null });
        // A service without VMs is gone at once; the others stop first and hold their VMs until the cloud lets them go.
        await user.Client.Fails("NOT_FOUND", Ops.Service, new { id = idle });
        foreach (var id in new[] { running, booting })
        {
            var stopping = await user.Service(id);
            Assert.Equal("EPILOGUE", stopping.Str("state"));
            Assert.All(stopping.LiveNodes(), n => Assert.Equal("TERMINATING", n.Str("state")));
        }

        Assert.Equal(4, (await user.Client.Ok("{ vms { id state } }"))["vms"]!.AsArray().Count);

        await user.TerminateAll(running);
        await user.TerminateAll(booting);
        await user.Client.Fails("NOT_FOUND", Ops.Service, new { id = running });
        await user.Client.Fails("NOT_FOUND", Ops.Service, new { id = booting });
        Assert.Empty((await user.Client.Ok("{ vms { id } }"))["vms"]!.AsArray());
        var history = (await user.Client.Ok("{ vms(includeTerminated: true) { id state } }"))["vms"]!.AsArray();
        Assert.Equal(4, history.Count(v => v!.Str("state") == "TERMINATED"));

        var again = await user.CreateApplication(name);
        Assert.NotEqual(appId, again.Str("id"));
        Assert.Equal(name, again.Str("name"));
    }

    [Fact]
    public async Task the_services_still_stopping_after_their_application_was_deleted_can_be_read_whole()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId)).Str("id");
        await user.Start(id);
        await user.BootAll(id);

        await user.Client.Ok(Ops.DeleteApplication, new { id = appId });

        // The service is still visible while its VMs are released; asking where it belongs must not break the answer
        // (Service.application and Vm.service are non-null, so one failing resolver nulls the whole result).
        var service = await user.Client.Send(Ops.ServiceWithApplication, new { id });
        Assert.True(service.Errors is null, "service(id) { application } of a stopping service after deleteApplication: " + service.Body.ToJsonString());
        var vms = await user.Client.Send(Ops.Vms, new { app = (string?)null, terminated = (bool?)null, all = (bool?)null });
        Assert.True(vms.Errors is null, "vms { service { application } } after deleteApplication: " + vms.Body.ToJsonString());
        Assert.Equal(2, vms.Data!["vms"]!.AsArray().Count);
    }

    [Fact]
    public async Task deleting_an_application_whose_services_hold_no_vms_removes_them_at_once()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var services = new List<string>();
        foreach (var type in new[] { "php", "java", "generic" })
            services.Add((await user.AddService(appId, type)).Str("id"));
        // One that ran and was stopped also holds nothing.
        await user.Start(services[2]);
        await user.BootAll(services[2]);
        await user.Stop(services[2]);
        await user.TerminateAll(services[2]);
        Assert.Equal("STOPPED", (await user.Service(services[2])).Str("state"));

        await user.Client.Ok(Ops.DeleteApplication, new { id = appId });

        foreach (var id in services) await user.Client.Fails("NOT_FOUND", Ops.Service, new { id });
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var stored = await session.LoadAsync<Application>(Guid.Parse(appId), Ct);
        Assert.True(stored!.Deleted);
        Assert.Empty(stored.Services);
    }

    [Fact]
    public async Task parallel_renames_with_one_expected_version_let_one_win()
    {
        var user = await User();
        var id = (await user.CreateApplication()).Str("id");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            user.Client.Send(Ops.RenameApplication, new { id, name = $"name-{i}", v = 1 })));

        var winner = Assert.Single(responses, r => r.Errors is null).Data!["renameApplication"]!;
        Assert.All(responses.Where(r => r.Errors is not null), r =>
        {
            Assert.Equal("VERSION_CONFLICT", r.Errors![0]!.AsObject().Code());
            Assert.Equal(2, r.Errors[0]!["extensions"]!["currentVersion"]!.GetValue<int>());
        });
        Assert.Equal(winner.Str("name"), (await user.Application(id)).Str("name"));
        Assert.Equal(2, await user.StreamVersion(id));
    }

    [Fact]
    public async Task a_deletion_racing_additions_leaves_no_service_behind()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        await user.AddService(appId);

        var additions = Enumerable.Range(0, 10).Select(_ =>
            user.Client.Send(Ops.AddService, new { app = appId, type = "helloworld", name = (string?)null, key = (string?)null })).ToList();
        var deletion = user.Client.Send(Ops.DeleteApplication, new { id = appId });
        var responses = await Task.WhenAll(additions.Append(deletion));

        // A deletion that lost every race may be told to try again, as any client would.
        if (responses[^1].Errors is { } errors)
        {
            Assert.Equal("CONFLICT", errors[0]!.AsObject().Code());
            await user.Client.Ok(Ops.DeleteApplication, new { id = appId });
        }

        Assert.All(responses.SkipLast(1).Where(r => r.Errors is not null),
            r => Assert.Contains(r.Errors![0]!.AsObject().Code(), new[] { "NOT_FOUND", "CONFLICT" }));
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var id = Guid.Parse(appId);
        Assert.Equal(0, await session.Query<Conpaas.Domain.Services.Service>().CountAsync(s => s.ApplicationId == id && !s.Removed, Ct));
    }

    [Fact]
    public async Task a_deleted_application_cannot_be_renamed_or_deleted_again()
    {
        var user = await User();
        var id = (await user.CreateApplication()).Str("id");
        await user.Client.Ok(Ops.DeleteApplication, new { id });
        var version = await user.StreamVersion(id);

        await user.Client.Fails("NOT_FOUND", Ops.RenameApplication, new { id, name = "again", v = (int?)null });
        await user.Client.Fails("NOT_FOUND", Ops.DeleteApplication, new { id });
        Assert.Equal(version, await user.StreamVersion(id));
    }

    [Fact]
    public async Task an_application_history_names_the_actor_of_each_change()
    {
        var user = await User();
        var id = (await user.CreateApplication()).Str("id");
        await user.Client.Ok(Ops.RenameApplication, new { id, name = Name(), v = (int?)null });
        await user.AddService(id);

        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var events = await session.Events.FetchStreamAsync(Guid.Parse(id), token: Ct);
        Assert.Equal(["application_created", "application_renamed", "service_subnet_allocated"], events.Select(e => e.EventTypeName));
        Assert.All(events, e => Assert.Equal(user.Client.Username, e.UserName));
    }
}
