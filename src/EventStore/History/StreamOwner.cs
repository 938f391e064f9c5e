using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using JasperFx.Events;
using Marten.Events.Projections;

namespace Conpaas.EventStore.History;

public enum StreamKind { User, Application, Service, Vm }

/// <summary>
/// Who owns a stream and which application it belongs to; written when the stream starts and never deleted,
/// so the audit of a deleted application or a removed service stays readable by its owner.
/// </summary>
public sealed class StreamOwner
{
    public Guid Id { get; set; }
    public StreamKind Kind { get; set; }
    public Guid OwnerId { get; set; }
    public Guid? ApplicationId { get; set; }
    /// <summary>For a service its own id, for a VM its service's: what serviceChanged listens to.</summary>
    public Guid? ServiceId { get; set; }
}

// A stream starts once, so its owner document is made once and never changed: a rebuild can COPY them all.
[Rebuild.InsertOnlyProjection]
public sealed partial class StreamOwnerProjection : EventProjection
{
    public StreamOwner Create(IEvent<UserRegistered> e) => new() { Id = e.StreamId, Kind = StreamKind.User, OwnerId = e.Data.UserId };

    public StreamOwner Create(IEvent<ApplicationCreated> e) =>
        new() { Id = e.StreamId, Kind = StreamKind.Application, OwnerId = e.Data.OwnerId, ApplicationId = e.Data.ApplicationId };

    public StreamOwner Create(IEvent<ServiceAdded> e) =>
        new() { Id = e.StreamId, Kind = StreamKind.Service, OwnerId = e.Data.OwnerId, ApplicationId = e.Data.ApplicationId, ServiceId = e.StreamId };

    public StreamOwner Create(IEvent<VmRequested> e) =>
        new()
        {
            Id = e.StreamId, Kind = StreamKind.Vm, OwnerId = e.Data.OwnerId, ApplicationId = e.Data.ApplicationId, ServiceId = e.Data.ServiceId,
        };
}
