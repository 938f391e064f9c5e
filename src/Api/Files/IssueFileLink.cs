using Conpaas.EventStore.Files;
using System.Security.Cryptography;
using System.Text;
using Conpaas.Domain.Files;
using Marten;

namespace Conpaas.Api.Files;

/// <summary>Record a one-time link to one of the caller's files; only the hash of <paramref name="Secret"/> is kept.</summary>
public sealed record IssueFileLink(FileActor By, Guid FileId, string Secret, DateTimeOffset ExpiresAt);

public static class IssueFileLinkHandler
{
    public static async Task Handle(IssueFileLink command, IDocumentSession session, CancellationToken ct)
    {
        command.By.Stamp(session);
        var file = await session.LoadAsync<FileView>(command.FileId, ct);
        if (file is null || file.OwnerId != command.By.UserId) throw FileRules.NotFound(command.FileId).ToException();
        session.Store(FileLinks.For(file.Id, file.OwnerId, file.Sha256, command.Secret, command.ExpiresAt));
    }
}

/// <summary>One-time links: an unguessable secret in the URL, its hash as the document id.</summary>
public static class FileLinks
{
    public const string PathPrefix = "/files/links/";

    /// <summary>256 random bits, URL-safe.</summary>
    public static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string IdOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static FileLink For(Guid fileId, Guid ownerId, string sha256, string secret, DateTimeOffset expiresAt) => new()
    {
        Id = IdOf(secret), FileId = fileId, OwnerId = ownerId, Sha256 = sha256, ExpiresAt = expiresAt,
    };

    public static string Url(string directorUrl, string secret) => directorUrl.TrimEnd('/') + PathPrefix + secret;
}
