using Conpaas.Domain.Vms;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>
/// A file the agent fetches at boot: its kind (STARTUP_SCRIPT, ARCHIVE), a one-time link and the SHA-256 to check; a
/// script's time limit, an archive's bound on what it unpacks to.
/// </summary>
public sealed record BootFile(string Kind, string Name, string Url, string Sha256, long Size, int? TimeLimitSeconds = null, long? MaxUnpackedBytes = null);

/// <summary>The service's startup script and code archive, as one-time links for one VM's boot (the data-files slice).</summary>
public interface IServiceFileLinks
{
    Task<IReadOnlyList<BootFile>> For(Vm vm, string directorUrl, CancellationToken ct);
}
