using System.Reflection;
using JasperFx.Events;
using JasperFx.Events.Aggregation;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;

namespace Conpaas.EventStore.Rebuild;

/// <summary>
/// Marks an event projection that only ever stores documents it has just made (never loads, changes or deletes one):
/// a rebuild may then collect its documents in memory and COPY them, instead of replaying it statement by statement.
/// The rebuild fails, naming the projection, if it does anything else.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class InsertOnlyProjectionAttribute : Attribute;

/// <summary>How one registered projection is rebuilt from the single pass over the log.</summary>
internal abstract class ProjectionRebuilder(ProjectionBase projection)
{
    public string Name => projection.Name;

    /// <summary>The event types it is given; empty means every event (a plain IProjection declares none).</summary>
    public IReadOnlyCollection<Type> EventTypes { get; } = projection.IncludedEventTypes;

    public abstract string Method { get; }

    /// <summary>Given the events of a stretch of the log it handles, in log order.</summary>
    public abstract ValueTask Apply(IReadOnlyList<IEvent> events, CancellationToken ct);

    /// <summary>Called once the log is read; what the projection still holds in memory, to be copied into its table.</summary>
    public abstract ValueTask<IReadOnlyList<RebuiltDocument>> Finish(CancellationToken ct);

    public static ProjectionRebuilder For(IProjectionSource<IDocumentOperations, IQuerySession> source, IDocumentSession replaySession)
    {
        var projection = (ProjectionBase)source;
        for (var type = source.GetType(); type is not null; type = type.BaseType)
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(JasperFxAggregationProjectionBase<,,,>)
                && type.GetGenericArguments()[1] == typeof(Guid))
                return (ProjectionRebuilder)Activator.CreateInstance(
                    typeof(AggregateRebuilder<>).MakeGenericType(type.GetGenericArguments()[0]), source, replaySession)!;

        var inline = source.BuildForInline();
        return source is IProjectionWrapper wrapper && wrapper.InnerProjection.GetType().GetCustomAttribute<InsertOnlyProjectionAttribute>() is not null
               || source.GetType().GetCustomAttribute<InsertOnlyProjectionAttribute>() is not null
            ? new InsertRecorder(projection, inline)
            : new InlineReplay(projection, inline, replaySession);
    }
}

/// <summary>
/// A single-stream aggregate kept in memory, one document per stream, evolved by the projection itself
/// (Marten's <c>DetermineActionAsync</c>: the same Create/Apply dispatch and delete rules inline projection uses), its
/// metadata set from the last event, and its version member (if it has one) set to the stream version by JasperFx's
/// own versioning convention, as Marten's own rebuild does. Each stream's events of a stretch of the log are given to
/// the projection together, as Marten's rebuild gives it a slice (and inline projection the events of one commit).
/// </summary>
internal sealed class AggregateRebuilder<TDoc>(
    JasperFxAggregationProjectionBase<TDoc, Guid, IDocumentOperations, IQuerySession> projection, IDocumentSession session)
    : ProjectionRebuilder(projection) where TDoc : notnull
{
    private readonly Dictionary<Guid, (TDoc? Document, IEvent Last)> _streams = [];
    private readonly AggregateVersioning<TDoc> _versioning = new(AggregationScope.SingleStream);
    private readonly StorageIdentity _identity = new(session.Database.Providers.StorageFor<TDoc>().Lightweight);

    public override string Method => "aggregated in memory, COPY";

    private readonly Dictionary<Guid, List<IEvent>> _slices = [];
    private readonly List<List<IEvent>> _spare = [];

    public override async ValueTask Apply(IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        // Dictionary order is insertion order while nothing is removed: streams are evolved in order of first event.
        foreach (var e in events)
        {
            if (!_slices.TryGetValue(e.StreamId, out var slice))
            {
                if (_spare.Count > 0)
                {
                    slice = _spare[^1];
                    _spare.RemoveAt(_spare.Count - 1);
                }
                else slice = [];

                _slices[e.StreamId] = slice;
            }

            slice.Add(e);
        }

        foreach (var (streamId, slice) in _slices)
        {
            _streams.TryGetValue(streamId, out var current);
            var (next, action) = await projection.DetermineActionAsync(session, current.Document!, streamId, _identity, slice, ct);
            switch (action)
            {
                case ActionType.Store or ActionType.UnDeleteAndStore:
                    _streams[streamId] = (next, slice[^1]);
                    break;
                case ActionType.Delete or ActionType.HardDelete:
                    _streams.Remove(streamId);
                    break;
                case ActionType.Nothing:
                    break;
                default:
                    throw new NotSupportedException($"{Name}: the rebuild does not support {action} (soft-deleted aggregates)");
            }

            slice.Clear();
            _spare.Add(slice);
        }

        _slices.Clear();
    }

    public override ValueTask<IReadOnlyList<RebuiltDocument>> Finish(CancellationToken ct)
    {
        var documents = new List<RebuiltDocument>(_streams.Count);
        foreach (var (document, last) in _streams.Values)
        {
            if (document is null) continue;
            var rebuilt = projection.ApplyMetadata(document, last);
            _versioning.TrySetVersion(rebuilt, last);
            documents.Add(new RebuiltDocument(rebuilt, last.Version, last.Timestamp));
        }

        _streams.Clear();
        return ValueTask.FromResult<IReadOnlyList<RebuiltDocument>>(documents);
    }

    /// <summary>Sets a new aggregate's id the way Marten's storage of it does.</summary>
    private sealed class StorageIdentity(Weasel.Storage.IDocumentStorage<TDoc> storage) : IIdentitySetter<TDoc, Guid>
    {
        public void SetIdentity(TDoc document, Guid id) => storage.SetIdentityFromGuid(document, id);

        public Guid Identity(TDoc document) => (Guid)storage.IdentityFor(document);
    }
}

/// <summary>An <see cref="InsertOnlyProjectionAttribute"/> projection run as inline does, its stores collected for COPY.</summary>
internal sealed class InsertRecorder(ProjectionBase projection, IInlineProjection<IDocumentOperations> inline) : ProjectionRebuilder(projection)
{
    private readonly DocumentRecorder _recorder = DocumentRecorder.Create(projection.Name);

    public override string Method => "inserts collected, COPY";

    public override async ValueTask Apply(IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        foreach (var e in events)
        {
            _recorder.Current = e;
            await inline.ApplyAsync((IDocumentOperations)(object)_recorder, [StreamAction.For(e.StreamId, [e])], ct);
        }
    }

    public override ValueTask<IReadOnlyList<RebuiltDocument>> Finish(CancellationToken ct) =>
        ValueTask.FromResult<IReadOnlyList<RebuiltDocument>>(_recorder.Stored);
}

/// <summary>
/// Stands in for the session an insert-only projection writes to: takes Store and Insert, refuses everything else
/// (a projection that loads or deletes cannot be rebuilt from inserts alone).
/// </summary>
public class DocumentRecorder : DispatchProxy
{
    private string _projection = "";

    internal IEvent Current { get; set; } = null!;

    internal List<RebuiltDocument> Stored { get; } = [];

    internal static DocumentRecorder Create(string projection)
    {
        var recorder = (DocumentRecorder)(object)Create<IDocumentOperations, DocumentRecorder>();
        recorder._projection = projection;
        return recorder;
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        if (method is { Name: "Store" or "Insert" } && args is [var documents, ..])
        {
            foreach (var document in documents is System.Collections.IEnumerable many and not string ? many.Cast<object>() : [documents!])
                // A new document's first numeric revision is 1, as Marten writes it.
                Stored.Add(new RebuiltDocument(document, 1, Current.Timestamp));
            return null;
        }

        throw new NotSupportedException(
            $"{_projection} is marked [InsertOnlyProjection] but called {method?.Name} while being rebuilt; remove the mark to have it replayed instead");
    }
}

/// <summary>
/// Any other projection: given the events it asks for in order, through its own inline form, on a session inside the
/// rebuild's transaction, a batch at a time; exactly what inline projection does at each append, only batched.
/// </summary>
internal sealed class InlineReplay(ProjectionBase projection, IInlineProjection<IDocumentOperations> inline, IDocumentSession session)
    : ProjectionRebuilder(projection)
{
    private const int BatchSize = 500;
    private readonly List<StreamAction> _pending = new(BatchSize);

    public override string Method => "replayed through its inline form";

    public override async ValueTask Apply(IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        foreach (var e in events)
        {
            _pending.Add(StreamAction.For(e.StreamId, [e]));
            if (_pending.Count == BatchSize) await Flush(ct);
        }
    }

    public override async ValueTask<IReadOnlyList<RebuiltDocument>> Finish(CancellationToken ct)
    {
        await Flush(ct);
        return [];
    }

    private async Task Flush(CancellationToken ct)
    {
        if (_pending.Count == 0) return;
        await inline.ApplyAsync(session, _pending, ct);
        // Saved batch by batch, so that a later batch's loads see what an earlier one wrote.
        await session.SaveChangesAsync(ct);
        _pending.Clear();
    }
}
