namespace Conpaas.Domain.Applications;

public sealed record ApplicationCreated(Guid ApplicationId, Guid OwnerId, string Name, string? Network, DateTimeOffset CreatedAt) : IDomainEvent;

public sealed record ApplicationRenamed(string Name) : IDomainEvent;

/// <summary>A service joined the application: its sid and its VPN subnet (null without a VPN), decided here so
/// that concurrent additions never share either.</summary>
public sealed record ServiceSubnetAllocated(Guid ServiceId, int Sid, string? Subnet) : IDomainEvent;

public sealed record ServiceSubnetReleased(Guid ServiceId, string? Subnet) : IDomainEvent;

public sealed record ApplicationDeleted : IDomainEvent;
