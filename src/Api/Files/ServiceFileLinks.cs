using Conpaas.EventStore.Files;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain.Files;
using Conpaas.Domain.Vms;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Files;

/// <summary>
/// A VM's links to its service's files, made when its boot context is: each one-time, valid for
/// Files:BootLinkLifetime. A provisioning attempt that is retried makes new ones; the unused ones expire.
/// </summary>
public sealed class ServiceFileLinks(IDocumentStore store, IOptions<DataFileOptions> options, TimeProvider clock) : IServiceFileLinks
{
    public async Task<IReadOnlyList<BootFile>> For(Vm vm, string directorUrl, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        if (await session.LoadAsync<ServiceFilesView>(vm.ServiceId, ct) is not { Files.Count: > 0 } view) return [];

        var expiresAt = clock.GetUtcNow() + options.Value.BootLinkLifetime;
        var files = new List<BootFile>();
        foreach (var (kind, file) in view.Files.OrderBy(f => f.Key))
        {
            var secret = FileLinks.NewSecret();
            session.Store(FileLinks.For(file.FileId, view.OwnerId, file.Sha256, secret, expiresAt));
            // The agent's limits travel with the file they bound: the operator sets them here, not on each VM.
            files.Add(new BootFile(kind.ToString(), file.Name, FileLinks.Url(directorUrl, secret), file.Sha256, file.Size,
                kind == ServiceFileKind.STARTUP_SCRIPT ? (int)Math.Min(int.MaxValue, options.Value.StartupScriptTimeout.TotalSeconds) : null,
                kind == ServiceFileKind.ARCHIVE ? options.Value.MaxUnpackedBytes : null));
        }

        await session.SaveChangesAsync(ct);
        return files;
    }
}
