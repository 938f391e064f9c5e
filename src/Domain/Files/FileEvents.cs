using Conpaas.Domain.Services;

namespace Conpaas.Domain.Files;

/// <summary>What a service takes from an uploaded file (ConPaaS: the startup script and the code archive).</summary>
public enum ServiceFileKind { STARTUP_SCRIPT, ARCHIVE }

/// <summary>A user uploaded a file (on the owner's stream; the content is stored once per owner, by its SHA-256).</summary>
public sealed record FileUploaded(Guid FileId, Guid OwnerId, string Name, long Size, string Sha256, DateTimeOffset UploadedAt) : IDomainEvent;

/// <summary>The owner deleted the file; its content goes when no other file of the owner has it.</summary>
public sealed record FileDeleted(Guid FileId, Guid OwnerId, string Sha256, DateTimeOffset DeletedAt) : IDomainEvent;

/// <summary>A service's startup script or code archive is now this file's content (on the service's stream).</summary>
public sealed record ServiceFileSet(Guid ServiceId, Guid OwnerId, ServiceFileKind Kind, Guid FileId, string Name, long Size, string Sha256) : IEvolves<Service>;
