using Conpaas.EventStore.Rebuild;
using Marten;

namespace Conpaas.Api.Hosting;

/// <summary>
/// `dotnet Conpaas.Api.dll rebuild`: rebuilds every read model from the event log in one pass and one transaction
/// (after a projection change, or to repair a damaged read model), prints what it did, and exits.
/// </summary>
public static class RebuildCommand
{
    public const string Verb = "rebuild";

    public static async Task<int> RebuildReadModels(this WebApplication app)
    {
        var report = await ReadModelRebuild.Run(app.Services.GetRequiredService<IDocumentStore>());
        Console.WriteLine($"Read models rebuilt: {report}");
        return 0;
    }
}
