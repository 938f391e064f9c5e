namespace Conpaas.Domain;

/// <summary>Marks the records that are events of the log (in the slices' *Events.cs): the event store's catalogue is read from them.</summary>
public interface IDomainEvent;
