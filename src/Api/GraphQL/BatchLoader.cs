using GraphQL.DataLoader;

namespace Conpaas.Api.GraphQL;

/// <summary>
/// Collects the keys that resolvers ask for and loads them in one round trip when the first result is awaited.
/// graphql-dotnet's execution strategies run every other pending field before they await an
/// <see cref="IDataLoaderResult"/>, so the services of twenty applications are one query, not twenty.
/// (GraphQL.DataLoader is not served; this is the part of it we need.) Nothing is kept beyond its batch: a subscription
/// resolves the same fields again for each event and must see the new state.
/// Not thread-safe, like the request's Marten session it reads through: query fields resolve one after another.
/// </summary>
public sealed class BatchLoader<TKey, TValue>(Func<IReadOnlyCollection<TKey>, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> fetch)
    where TKey : notnull
{
    private readonly Func<IReadOnlyCollection<TKey>, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> _fetch = fetch;
    private Batch? _open;

    /// <summary>The value loaded for <paramref name="key"/> (default when the fetch found none), passed through
    /// <paramref name="then"/>, which may throw the field's error.</summary>
    public IDataLoaderResult<TResult> Load<TResult>(TKey key, Func<TValue?, TResult> then)
    {
        var batch = _open ??= new Batch(this);
        batch.Keys.Add(key);
        return new Result<TResult>(batch, key, then);
    }

    private sealed class Batch(BatchLoader<TKey, TValue> loader)
    {
        public readonly HashSet<TKey> Keys = [];
        private Task<IReadOnlyDictionary<TKey, TValue>>? _loaded;

        public Task<IReadOnlyDictionary<TKey, TValue>> Loaded(CancellationToken ct)
        {
            if (_loaded is null)
            {
                // Keys asked for from now on (the next level's fields) start the next batch.
                if (loader._open == this) loader._open = null;
                _loaded = loader._fetch(Keys, ct);
            }

            return _loaded;
        }
    }

    private sealed class Result<TResult>(Batch batch, TKey key, Func<TValue?, TResult> then) : IDataLoaderResult<TResult>
    {
        public async Task<TResult> GetResultAsync(CancellationToken cancellationToken = default) =>
            then((await batch.Loaded(cancellationToken)).GetValueOrDefault(key));

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) =>
            await GetResultAsync(cancellationToken);
    }
}
