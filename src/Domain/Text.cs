namespace Conpaas.Domain;

/// <summary>Shared checks for the free text people type: names, e-mails, reasons.</summary>
public static class Text
{
    public const int MaxNameLength = 256;

    /// <summary>Null when <paramref name="value"/> is an acceptable required name, else the refusal.</summary>
    public static DomainError? CheckName(string field, string? value, int maxLength = MaxNameLength)
    {
        if (string.IsNullOrWhiteSpace(value))
            return value is null ? DomainError.Missing(field) : DomainError.Invalid(field, $"'{field}' must not be empty");
        return CheckOptional(field, value, maxLength);
    }

    /// <summary>Null when an optional text is absent or acceptable.</summary>
    public static DomainError? CheckOptional(string field, string? value, int maxLength = MaxNameLength)
    {
        if (value is null) return null;
        if (value.Length > maxLength)
            return DomainError.Invalid(field, $"'{field}' is too long: {value.Length} characters, at most {maxLength}");
        if (value.Any(char.IsControl))
            return DomainError.Invalid(field, $"'{field}' must not contain control characters");
        return null;
    }

    /// <summary>Trims, and turns an empty optional text into null.</summary>
    public static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The case-insensitive key that makes usernames and e-mails unique.</summary>
    public static string Key(string value) => value.Trim().ToLowerInvariant();
}
