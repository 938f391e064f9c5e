using Conpaas.EventStore.Files;
using System.Text;
using Conpaas.Api.Tests.BadInput;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Files;

/// <summary>setServiceFile: a service's startup script and code archive, recorded on the service's stream.</summary>
public sealed class ServiceFileTests(FilesApp app) : IClassFixture<FilesApp>
{
    private const string Set = """
        mutation($s: ID!, $k: ServiceFileKind!, $f: ID!) { setServiceFile(serviceId: $s, kind: $k, fileId: $f) { kind fileId name size sha256 } }
        """;

    private static async Task<string> NewService(GraphQLClient owner)
    {
        var app = (await owner.Ok("mutation { createApplication(name: \"site\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        return (await owner.Ok("mutation($a: ID!) { addService(applicationId: $a, type: \"php\") { id } }", new { a = app }))["addService"]!["id"]!
            .GetValue<string>();
    }

    [Fact]
    public async Task a_file_set_as_startup_script_is_an_event_of_the_service_and_setting_it_again_records_nothing()
    {
        var ann = await app.NewUser();
        var service = await NewService(ann);
        var bytes = Encoding.UTF8.GetBytes("#!/bin/sh\necho started\n");
        var file = (await ann.Upload(bytes, "start.sh"))["id"]!.GetValue<string>();

        var set = (await ann.Ok(Set, new { s = service, k = "STARTUP_SCRIPT", f = file }))["setServiceFile"]!;
        Assert.Equal(Uploads.Sha256(bytes), set["sha256"]!.GetValue<string>());
        Assert.Equal("start.sh", set["name"]!.GetValue<string>());

        var head = await EventLog.Head(app);
        await ann.Ok(Set, new { s = service, k = "STARTUP_SCRIPT", f = file });
        Assert.Equal(head, await EventLog.Head(app));

        var listed = (await ann.Ok("query($s: ID!) { serviceFiles(serviceId: $s) { kind fileId } }", new { s = service }))["serviceFiles"]!.AsArray();
        Assert.Equal("STARTUP_SCRIPT", Assert.Single(listed)!["kind"]!.GetValue<string>());
        var history = (await ann.Ok("query($s: ID!) { history(entityId: $s) { events { type version } } service(id: $s) { version } }",
            new { s = service }));
        var last = history["history"]!["events"]!.AsArray().Last()!;
        Assert.Equal("ServiceFileSet", last["type"]!.GetValue<string>());
        // The service's version is its stream's: expectedVersion keeps working after a file is set.
        Assert.True(last["version"]!.GetValue<int>() == history["service"]!["version"]!.GetValue<int>(), history.ToJsonString());

        // A service boots with it: it cannot be deleted from under it.
        await ann.RefusedAndNothingAppended(app, "CONFLICT", "mutation($id: ID!) { deleteFile(id: $id) }", new { id = file });
    }

    [Fact]
    public async Task someone_elses_service_or_file_is_not_found()
    {
        var ann = await app.NewUser();
        var bob = await app.NewUser();
        var annService = await NewService(ann);
        var bobService = await NewService(bob);
        var annFile = (await ann.Upload([1, 2]))["id"]!.GetValue<string>();

        await bob.RefusedAndNothingAppended(app, "NOT_FOUND", Set, new { s = annService, k = "ARCHIVE", f = annFile });
        await bob.RefusedAndNothingAppended(app, "NOT_FOUND", Set, new { s = bobService, k = "ARCHIVE", f = annFile });
        await bob.Fails("NOT_FOUND", "query($s: ID!) { serviceFiles(serviceId: $s) { kind } }", new { s = annService });
        await ann.RefusedAndNothingAppended(app, "INVALID_INPUT", Set, new { s = annService, k = "README", f = annFile });
    }
}
