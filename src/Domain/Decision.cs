namespace Conpaas.Domain;

/// <summary>
/// An event for a stream other than the one the command targets, committed in the same transaction. A decision that
/// begins a stream says so with <see cref="Start{T}"/>, naming the stream's aggregate type.
/// </summary>
public sealed record StreamEvent(Guid StreamId, object Event)
{
    /// <summary>The aggregate type of the stream this event begins; null when it goes onto an existing stream.</summary>
    public Type? Starts { get; private init; }

    public static StreamEvent Start<T>(Guid streamId, object first) where T : class => new(streamId, first) { Starts = typeof(T) };
}

/// <summary>
/// The outcome of a pure decide function: the events to append to the target stream (and, when one decision
/// moves several aggregates, to others), or the reason for refusing.
/// </summary>
public readonly struct Decision
{
    private Decision(IReadOnlyList<object> events, IReadOnlyList<StreamEvent> others, DomainError? error)
    {
        Events = events;
        Others = others;
        Error = error;
    }

    public IReadOnlyList<object> Events { get; }
    public IReadOnlyList<StreamEvent> Others { get; }
    public DomainError? Error { get; }
    public bool IsRefused => Error is not null;

    public static Decision Accept(params object[] events) => new(events, [], null);
    public static Decision Accept(IEnumerable<object> events, IEnumerable<StreamEvent> others) => new(events.ToList(), others.ToList(), null);
    public static Decision Refuse(DomainError error) => new([], [], error);
    public static implicit operator Decision(DomainError error) => Refuse(error);

    /// <summary>This decision followed by another one on the same streams.</summary>
    public Decision Then(Decision next) =>
        IsRefused ? this : next.IsRefused ? next : new([.. Events, .. next.Events], [.. Others, .. next.Others], null);

    /// <summary>The events, or the refusal thrown as a <see cref="DomainException"/> for the API to map.</summary>
    public IReadOnlyList<object> EventsOrThrow() => Error is null ? Events : throw Error.ToException();
}
