namespace Conpaas.Domain.Applications;

public sealed record ApplicationCreated(Guid ApplicationId, Guid OwnerId, string Name, string? Network, DateTimeOffset CreatedAt) : IEvolves<Application>;

public sealed record ApplicationRenamed(string Name) : IEvolves<Application>;

/// <summary>A service joined the application: its sid and its VPN subnet (null without a VPN), decided here so
/// that concurrent additions never share either.</summary>
public sealed record ServiceSubnetAllocated(Guid ServiceId, int Sid, string? Subnet) : IEvolves<Application>;

public sealed record ServiceSubnetReleased(Guid ServiceId, string? Subnet) : IEvolves<Application>;

public sealed record ApplicationDeleted : IEvolves<Application>;
