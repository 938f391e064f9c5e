namespace Conpaas.CloudAgents.Drivers;

/// <summary>
/// Turns what went wrong at a cloud into a VM's or service's stateReason: one line a user can read, never stack
/// frames or a whole response body.
/// </summary>
public static class Reasons
{
    public const int MaxLength = 300;

    /// <summary>The exception's message only (its first line), shortened.</summary>
    public static string Of(Exception ex) => Shorten(ex.Message);

    /// <summary>The first line, at most <see cref="MaxLength"/> characters, "…" where it was cut.</summary>
    public static string Shorten(string text)
    {
        var line = text.Trim();
        var end = line.IndexOfAny(['\r', '\n']);
        if (end >= 0) line = line[..end].TrimEnd() + "…";
        return line.Length <= MaxLength ? line : line[..(MaxLength - 1)] + "…";
    }
}
