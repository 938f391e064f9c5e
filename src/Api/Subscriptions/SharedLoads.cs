using System.Collections.Concurrent;
using Marten;

namespace Conpaas.Api.Subscriptions;

/// <summary>
/// One read of an object's state for every subscriber woken by the same event: a hundred subscribers of one
/// application cost one query per change, not a hundred. A read started after event N was seen holds the state
/// of N or later (the feed hands out committed events only), so it answers every subscriber woken by N or before.
/// </summary>
public sealed class SharedLoads(IDocumentStore store)
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<(Type, Guid), (long Sequence, Task<object?> Read)> _reads = new();

    public async Task<T?> After<T>(Guid id, long sequence, CancellationToken ct) where T : class
    {
        var key = (typeof(T), id);
        while (true)
        {
            if (_reads.TryGetValue(key, out var shared) && shared.Sequence >= sequence && !shared.Read.IsFaulted)
                return (T?)await shared.Read.WaitAsync(ct);

            // Started only by the subscriber that gets it in, and not tied to that subscriber's cancellation:
            // the others may be waiting on it.
            var start = new Task<Task<object?>>(() => Load<T>(id));
            var mine = (sequence, Read: start.Unwrap());
            var won = shared.Read is null ? _reads.TryAdd(key, mine) : _reads.TryUpdate(key, mine, shared);
            if (!won) continue;
            start.Start(TaskScheduler.Default);
            if (_reads.Count > MaxEntries) Trim(key);
            return (T?)await mine.Read.WaitAsync(ct);
        }
    }

    private async Task<object?> Load<T>(Guid id) where T : class
    {
        await using var session = store.QuerySession();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await session.LoadAsync<T>(id, limit.Token);
    }

    /// <summary>Finished reads are only worth keeping for the next few wake-ups: forget them all but the newest.</summary>
    private void Trim(ValueTuple<Type, Guid> keep)
    {
        foreach (var key in _reads.Keys)
            if (key != keep && _reads.TryGetValue(key, out var entry) && entry.Read.IsCompleted)
                _reads.TryRemove(KeyValuePair.Create(key, entry));
    }
}
