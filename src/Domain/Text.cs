using System.Text;

namespace Conpaas.Domain;

/// <summary>Shared checks for the free text people type: names, e-mails, reasons.</summary>
public static class Text
{
    public const int MaxNameLength = 256;

    /// <summary>How much of a client's value a message quotes.</summary>
    public const int MaxQuoted = 64;

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
        return CheckUnicode(field, value);
    }

    /// <summary>
    /// Null unless the text holds a NUL (PostgreSQL cannot store it) or a lone UTF-16 surrogate (not text at all: it
    /// can be neither normalised nor encoded). Applies to every string a client sends, free text included.
    /// </summary>
    public static DomainError? CheckUnicode(string field, string value)
    {
        if (value.Contains('\0')) return DomainError.Invalid(field, $"'{field}' must not contain the NUL character");
        return IsWellFormed(value) ? null : DomainError.Invalid(field, $"'{field}' is not valid Unicode text (a lone surrogate)");
    }

    private static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (!char.IsSurrogate(value[i])) continue;
            if (!char.IsHighSurrogate(value[i]) || i + 1 == value.Length || !char.IsLowSurrogate(value[i + 1])) return false;
            i++;
        }

        return true;
    }

    /// <summary>Trims, and turns an empty optional text into null.</summary>
    public static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>A name as stored: trimmed and in Unicode composed form (NFC), so that "café" has one spelling.</summary>
    public static string Normal(string value) => Nfc(value.Trim());

    /// <summary>
    /// The key that makes a name unique (usernames, e-mails, application names per owner): NFC, then case-folded
    /// (upper then lower case, which also folds letters like 'ſ' that lower-casing alone keeps apart). NFC, not NFKC: compatibility forms such as "ﬁ" stay distinct, as the issue asks (confusables are refused
    /// elsewhere). Existing keys made before this rule are refreshed by rebuilding the read models.
    /// </summary>
    public static string Key(string value) => Normal(value).ToUpperInvariant().ToLowerInvariant();

    /// <summary>
    /// A client's value as a message quotes it: at most <see cref="MaxQuoted"/> characters, then "…", so that a
    /// 60 KB value never comes back in an error.
    /// </summary>
    public static string Quote(string? value) =>
        value is null ? "" : value.Length <= MaxQuoted ? value : string.Concat(value.AsSpan(0, Cut(value)), "…");

    // Never split a surrogate pair.
    private static int Cut(string value) => char.IsHighSurrogate(value[MaxQuoted - 1]) ? MaxQuoted - 1 : MaxQuoted;

    // A string with a lone surrogate cannot be normalised; it is refused by CheckUnicode before it is ever stored.
    private static string Nfc(string value) => IsWellFormed(value) ? value.Normalize(NormalizationForm.FormC) : value;
}
