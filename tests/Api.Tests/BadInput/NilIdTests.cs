using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Services;
using Xunit;

namespace Conpaas.Api.Tests.BadInput;

/// <summary>The nil id, in any spelling Guid parsing accepts, names no object: NOT_FOUND everywhere, nothing written.</summary>
public sealed class NilIdTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    public static TheoryData<string> Spellings => new()
    {
        "00000000-0000-0000-0000-000000000000",
        "{00000000-0000-0000-0000-000000000000}",
        "(00000000-0000-0000-0000-000000000000)",
        "00000000000000000000000000000000",
        "{0x00000000,0x0000,0x0000,{0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00}}",
    };

    /// <summary>Every query and mutation argument of type ID, with valid other arguments.</summary>
    public static readonly string[] Operations =
    [
        "query($id: ID!) { application(id: $id) { id } }",
        "query($id: ID!) { service(id: $id) { id } }",
        "query($id: ID!) { vms(applicationId: $id) { id } }",
        "query($id: ID!) { history(entityId: $id) { events { sequence } } }",
        "query($id: ID!) { auditLog(filter: { applicationId: $id }) { events { sequence } } }",
        "mutation($id: ID!) { renameApplication(id: $id, name: \"n\") { id } }",
        "mutation($id: ID!) { deleteApplication(id: $id) }",
        "mutation($id: ID!) { addService(applicationId: $id, type: \"helloworld\") { id } }",
        "mutation($id: ID!) { renameService(id: $id, name: \"n\") { id } }",
        "mutation($id: ID!) { startService(id: $id) { id } }",
        "mutation($id: ID!) { stopService(id: $id) { id } }",
        "mutation($id: ID!) { removeService(id: $id) }",
        "mutation($id: ID!) { addNodes(serviceId: $id, nodes: [{ count: 1 }]) { id } }",
        "mutation($id: ID!) { removeNodes(serviceId: $id, nodes: [{ count: 1 }]) { id } }",
    ];

    [Theory]
    [MemberData(nameof(Spellings))]
    public async Task the_nil_id_is_not_found_in_every_operation_and_nothing_is_written(string nil)
    {
        var user = await ServiceScenario.ForNewUser(app);
        // Something of the user's exists, so that a nil id cannot be mistaken for "the first one".
        var (_, running) = await user.RunningService();
        Assert.Equal("RUNNING", running.Str("state"));

        foreach (var document in Operations)
        {
            var error = await user.Client.RefusedAndNothingAppended(app, "NOT_FOUND", document, new { id = nil });
            Assert.DoesNotContain("Internal", error.Message());
        }
    }

    [Fact]
    public async Task the_nil_id_written_in_the_document_is_not_found_too()
    {
        var admin = await app.Admin();
        await admin.RefusedAndNothingAppended(app, "NOT_FOUND",
            "mutation { startService(id: \"00000000-0000-0000-0000-000000000000\") { id } }");
        await admin.RefusedAndNothingAppended(app, "NOT_FOUND",
            "{ history(entityId: \"00000000000000000000000000000000\") { events { sequence } } }");
    }
}
