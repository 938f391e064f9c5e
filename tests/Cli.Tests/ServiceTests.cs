using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>Services against a Director whose agents are off: a started service stays in PROLOGUE.</summary>
public sealed class ServiceTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    [Fact]
    public async Task a_service_is_added_to_a_named_application_started_and_its_history_tells_it()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");

        var added = await ann.Ok("service", "add", "helloworld", "-a", "shop", "--name", "hello");
        Assert.StartsWith("Service 'hello' (helloworld, sid 1) added to application 'shop'", added.Out);
        var listed = await ann.Ok("service", "list", "-a", "shop");
        Assert.Equal(["hello"], listed.Column("NAME"));
        Assert.Equal(["INIT"], listed.Column("STATE"));

        Assert.Equal("Service 'hello' is PROLOGUE\n", (await ann.Ok("service", "start", "hello", "-a", "shop")).Out);
        var info = await ann.Ok("service", "info", "hello");
        Assert.Equal("PROLOGUE", info.Field("state"));
        Assert.Equal("shop", info.Field("application"));
        Assert.Equal("node=1", info.Field("nodes wanted"));
        var json = (await ann.Json("service", "info", "1", "-a", "shop"))["service"]!;
        Assert.Equal("PROLOGUE", json["state"]!.GetValue<string>());

        var history = await ann.Ok("service", "history", "hello");
        Assert.Equal(["ServiceAdded", "ServiceStartRequested", "NodesRequested"], history.Column("EVENT").Take(3));
        Assert.All(history.Column("ACTOR").Take(3), actor => Assert.Equal(ann.Username, actor));
    }

    [Fact]
    public async Task services_are_renamed_and_removed_and_the_list_says_when_there_are_none()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        await ann.Ok("service", "add", "php", "-a", "shop");
        Assert.Equal(["New php service"], (await ann.Ok("service", "list")).Column("NAME"));

        Assert.Equal("Service 'New php service' renamed to 'web'\n", (await ann.Ok("service", "rename", "New php service", "web")).Out);
        Assert.Equal("backend=0 web=0 proxy=0", (await ann.Ok("service", "list", "-a", "shop")).Column("NODES")[0]);
        Assert.Equal("Service 'web' removed from application 'shop'\n", (await ann.Ok("service", "remove", "web", "-a", "shop")).Out);
        Assert.Equal("No services.\n", (await ann.Ok("service", "list")).Out);
    }

    [Fact]
    public async Task a_name_two_services_share_needs_the_application_and_unknown_names_are_refused()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "one");
        await ann.Ok("app", "create", "two");
        await ann.Ok("service", "add", "mysql", "-a", "one", "--name", "db");
        await ann.Ok("service", "add", "mysql", "-a", "two", "--name", "db");

        await ann.Fails(1, "error: 2 services match the service name 'db': name the application with -a, or give the service's id (CONFLICT)",
            "service", "info", "db");
        Assert.Equal("one", (await ann.Ok("service", "info", "db", "-a", "one")).Field("application"));
        await ann.Fails(1, "error: Unknown service name 'cache' in application 'two' (NOT_FOUND)", "service", "start", "cache", "-a", "two");
        await ann.Fails(1, "error: Unknown service name 'cache' (NOT_FOUND)", "service", "stop", "cache");
        await ann.Fails(1, "error: Unknown application name 'three' (NOT_FOUND)", "service", "add", "php", "-a", "three");
    }

    [Fact]
    public async Task the_directors_refusals_come_back_with_their_message_and_code()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        await ann.Fails(1, "error: Unknown service type 'cobol'. Available types: [php, java, mysql, xtreemfs, generic, helloworld] (UNKNOWN_SERVICE_TYPE)",
            "service", "add", "cobol", "-a", "shop");

        await ann.Ok("service", "add", "php", "-a", "shop", "--name", "web");
        var wrongState = await ann.Fails(1, "(CONFLICT)", "service", "add-nodes", "web", "--backend", "2");
        Assert.Contains("Wrong service state", wrongState.Err);
        await ann.Fails(1, "(UNKNOWN_CLOUD)", "service", "start", "web", "-c", "mars");
    }

    [Fact]
    public async Task service_types_clouds_credit_and_version_are_listed()
    {
        var ann = await director.NewUser();

        var types = await ann.Ok("service", "types");
        Assert.Equal(["php", "java", "mysql", "xtreemfs", "generic", "helloworld"], types.Column("TYPE"));
        Assert.Equal("backend*,web,proxy", types.Column("ROLES")[0]);

        var clouds = await ann.Json("cloud", "list");
        Assert.Contains(clouds["clouds"]!.AsArray(), c => c!["isDefault"]!.GetValue<bool>());

        Assert.Equal("50", (await ann.Ok("credit")).Field("credit"));
        var ledger = (await ann.Json("credit", "--ledger"))["creditLedger"]!.AsArray();
        Assert.Equal("initial credit", Assert.Single(ledger)!["reason"]!.GetValue<string>());

        var version = await ann.Ok("director", "version");
        Assert.False(string.IsNullOrEmpty(version.Field("version")));
        Assert.Equal("No VMs.\n", (await ann.Ok("vms")).Out);
    }

    [Fact]
    public async Task waiting_longer_than_the_timeout_is_an_error()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "slow");
        await ann.Ok("service", "add", "helloworld", "-a", "slow");

        // No agents here: the service never leaves PROLOGUE.
        var timedOut = await ann.Fails(1, "error: Timed out after 1 s waiting for the service to be RUNNING: it is PROLOGUE (TIMEOUT)",
            "service", "start", "New helloworld service", "-a", "slow", "--wait", "--timeout", "1");
        Assert.StartsWith("Service 'New helloworld service' is PROLOGUE; waiting until it is RUNNING\n", timedOut.Out);
    }
}
