using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;
using Wolverine.Tracking;

namespace Conpaas.Api.Tests.Infrastructure;

/// <summary>Wolverine's tracked sessions: what a mutation sets off, awaited as the message chain it is rather than polled.</summary>
public static class Tracked
{
    /// <summary>
    /// Runs <paramref name="act"/> and waits until every message it set off, and every message those cascade, has been
    /// handled: the whole cloud work of a sim cloud whose VMs are ready at once. (A readiness check scheduled for later
    /// ends the wait at its scheduling: a VM that boots slowly is still awaited on its state.)
    /// </summary>
    public static async Task<T> Settled<T>(this DirectorApp app, Func<Task<T>> act, TimeSpan? timeout = null)
    {
        T result = default!;
        await app.Services.GetRequiredService<IHost>().TrackActivity(timeout ?? Wait.Long)
            // A cloud failure retried by the handlers' policy is part of the chain, not a failure of the test.
            .DoNotAssertOnExceptionsDetected()
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ => result = await act()));
        return result;
    }
}
