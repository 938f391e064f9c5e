using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using Conpaas.EventStore.History;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace Conpaas.Bench;

/// <summary>
/// Profiling only (`--profile-p5 streamowner-insert`): the product's StreamOwnerProjection written with explicit
/// inserts instead of Create methods (stored as upserts), so that RebuildWithBulkCopy can COPY its documents. A stream
/// starts once, so its owner document is never written twice.
/// </summary>
public sealed partial class StreamOwnerInsertProjection : EventProjection
{
    public StreamOwnerInsertProjection()
    {
        Name = "Conpaas.EventStore.History.StreamOwnerProjection";
        // Declared, so that a rebuild clears the table first (Create methods declare it implicitly).
        Options.StorageTypes.Add(typeof(StreamOwner));
    }

    public void Project(IEvent<UserRegistered> e, IDocumentOperations ops) =>
        ops.Insert(new StreamOwner { Id = e.StreamId, Kind = StreamKind.User, OwnerId = e.Data.UserId });

    public void Project(IEvent<ApplicationCreated> e, IDocumentOperations ops) =>
        ops.Insert(new StreamOwner { Id = e.StreamId, Kind = StreamKind.Application, OwnerId = e.Data.OwnerId, ApplicationId = e.Data.ApplicationId });

    public void Project(IEvent<ServiceAdded> e, IDocumentOperations ops) =>
        ops.Insert(new StreamOwner
        {
            Id = e.StreamId, Kind = StreamKind.Service, OwnerId = e.Data.OwnerId, ApplicationId = e.Data.ApplicationId, ServiceId = e.StreamId,
        });

    public void Project(IEvent<VmRequested> e, IDocumentOperations ops) =>
        ops.Insert(new StreamOwner
        {
            Id = e.StreamId, Kind = StreamKind.Vm, OwnerId = e.Data.OwnerId, ApplicationId = e.Data.ApplicationId, ServiceId = e.Data.ServiceId,
        });
}
