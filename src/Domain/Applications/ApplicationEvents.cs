namespace Conpaas.Domain.Applications;

public sealed record ApplicationCreated(Guid ApplicationId, Guid OwnerId, string Name, string? Network, DateTimeOffset CreatedAt);

public sealed record ApplicationRenamed(string Name);

/// <summary>A service joined the application: its sid and its VPN subnet (null without a VPN), decided here so
/// that concurrent additions never share either.</summary>
public sealed record ServiceSubnetAllocated(Guid ServiceId, int Sid, string? Subnet);

public sealed record ServiceSubnetReleased(Guid ServiceId, string? Subnet);

public sealed record ApplicationDeleted;
