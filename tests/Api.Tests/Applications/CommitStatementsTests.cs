using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Services;
using Xunit;

namespace Conpaas.Api.Tests.Applications;

/// <summary>
/// A commit asks only the projections of its own kind of stream (IEvolves): renaming an application reads no VM,
/// service or user snapshot (the caller's user is read once, by authentication, through its session). Before the
/// projections declared their events, each of the VM, service and user projections loaded a document by the
/// application's id on every commit: three more round trips inside each write.
/// </summary>
public sealed class CommitStatementsTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    [Fact]
    public async Task renaming_an_application_reads_no_snapshot_of_another_kind_of_stream()
    {
        var scenario = await ServiceScenario.ForNewUser(app);
        var applicationId = await scenario.NewApplicationId();
        await scenario.Start((await scenario.AddService(applicationId)).Str("id"));

        var (statements, _) = await RequestStatements.Of(app, scenario.Client.Token,
            "mutation($id: ID!, $name: String!) { renameApplication(id: $id, name: $name) { id name version } }", new { id = applicationId, name = "renamed-" + Guid.NewGuid().ToString("N")[..6] });

        Assert.Contains(statements, s => s.Contains("mt_quick_append_events", StringComparison.Ordinal));
        Assert.Contains(statements, s => s.Contains("mt_doc_application", StringComparison.Ordinal));
        Assert.DoesNotContain(statements, s => s.Contains("mt_doc_vm", StringComparison.Ordinal) || s.Contains("mt_doc_service ", StringComparison.Ordinal)
                                               || s.Contains("mt_doc_service as", StringComparison.Ordinal));
        // The authentication's one read of the caller (through the session view) and nothing else of users.
        Assert.Single(statements, s => s.Contains("mt_doc_user", StringComparison.Ordinal));
    }
}
