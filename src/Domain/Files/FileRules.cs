namespace Conpaas.Domain.Files;

/// <summary>The decisions of the data-files slice: plain checks of a file's owner, name and the owner's quota.</summary>
public static class FileRules
{
    /// <summary>Someone else's file answers exactly like a missing one.</summary>
    public static DomainError NotFound(Guid id) => DomainError.NotFound($"File not found: {id}");

    /// <summary>The name stored with the file: the one given, else the part's file name, else "file"; no folders.</summary>
    public static (string? Name, DomainError? Error) NameOf(string? given, string? partFileName)
    {
        if (given is not null)
            return Text.CheckName("name", given) is { } bad ? (null, bad) : (Text.Normal(given), null);
        // A browser may send a path (C:\fakepath\x); only the last segment is a name.
        var fromPart = Text.Clean(partFileName?.Split('/', '\\').Last());
        return fromPart is null || Text.CheckName("name", fromPart) is not null ? ("file", null) : (Text.Normal(fromPart), null);
    }

    /// <summary>
    /// A new content counts against the owner's quota; content the owner already stores costs nothing (it is stored once).
    /// </summary>
    public static DomainError? CheckQuota(long storedBytes, long newBytes, bool alreadyStored, long quotaBytes) =>
        alreadyStored || storedBytes + newBytes <= quotaBytes
            ? null
            : new DomainError(ErrorCode.QUOTA_EXCEEDED,
                $"Quota exceeded: you store {storedBytes} bytes, this file has {newBytes} and the quota is {quotaBytes} (Files:QuotaBytes); delete files first")
            {
                Extensions = new Dictionary<string, object?> { ["storedBytes"] = storedBytes, ["quotaBytes"] = quotaBytes },
            };
}
