using System.Diagnostics;

namespace Conpaas.CloudAgents.Drivers;

/// <summary>Counts a driver's calls and their failures (a cancelled call is no cloud error), by driver and operation.</summary>
public sealed class MeteredDriver(ICloudDriver inner, string driver, DirectorMetrics metrics) : ICloudDriver
{
    /// <summary>The driver itself (tests reach a sim cloud's controls through it).</summary>
    public ICloudDriver Inner => inner;

    public Task<CloudVm> Create(VmSpec spec, CancellationToken ct) => Call("create", () => inner.Create(spec, ct));
    public Task<IReadOnlyList<CloudVm>> List(string namePrefix, CancellationToken ct) => Call("list", () => inner.List(namePrefix, ct));
    public Task<CloudVm?> Describe(string name, CancellationToken ct) => Call("describe", () => inner.Describe(name, ct));
    public Task Terminate(string name, CancellationToken ct) => Call("terminate", async () => { await inner.Terminate(name, ct); return true; });
    public Task<bool> IsReady(CloudVm vm, CancellationToken ct) => Call("is_ready", () => inner.IsReady(vm, ct));
    public Task<IReadOnlyList<string>> Problems(CancellationToken ct) => Call("problems", () => inner.Problems(ct));

    private async Task<T> Call<T>(string operation, Func<Task<T>> call)
    {
        var tags = new TagList { { "driver", driver }, { "operation", operation } };
        metrics.CloudCalls.Add(1, tags);
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            metrics.CloudCallErrors.Add(1, tags);
            throw;
        }
    }
}
