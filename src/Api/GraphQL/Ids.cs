using System.Security.Cryptography;
using System.Text;
using Conpaas.Domain;

namespace Conpaas.Api.GraphQL;

public static class Ids
{
    /// <summary>
    /// An ID argument as a Guid: INVALID_INPUT naming the argument when it is not one, NOT_FOUND for the nil id (in any
    /// spelling), which no object ever has and which the event store refuses as a stream id. Every ID argument goes
    /// through here, so the rule holds for every query, mutation and subscription.
    /// </summary>
    public static Guid Parse(string? value, string field)
    {
        if (!Guid.TryParse(value, out var id))
            throw DomainError.Invalid(field, $"'{Text.Quote(value)}' is not a valid id").ToException();
        return id != Guid.Empty ? id : throw DomainError.NotFound($"Nothing found with id {id}").ToException();
    }

    /// <summary>The same (owner, purpose, key) always gives the same stream id: how idempotency keys find the first result.</summary>
    public static Guid FromKey(Guid ownerId, string purpose, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{ownerId:N}/{purpose}/{key}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8: application-defined
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    public static void CheckKey(string? key)
    {
        if (key is not null && Text.CheckName("idempotencyKey", key) is { } error) throw error.ToException();
    }
}
