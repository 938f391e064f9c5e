namespace Conpaas.Domain;

/// <summary>Marks the records that are events of the log (in the slices' *Events.cs): the event store's catalogue is read from them.</summary>
public interface IDomainEvent;

/// <summary>
/// An event of a <typeparamref name="TAggregate"/> stream that its snapshot applies: one its <c>After</c> dispatch reads,
/// or one that only moves the version on where the API shows the stream's version (a service's files). The inline
/// projection is asked about these only, so a commit to another kind of stream costs it nothing (no load of a
/// document that cannot exist).
/// </summary>
public interface IEvolves<TAggregate> : IDomainEvent;
