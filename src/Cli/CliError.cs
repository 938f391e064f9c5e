namespace Conpaas.Cli;

/// <summary>
/// Anything that ends a command with a message: printed as <c>error: message (code)</c>, the process exits
/// with <see cref="ExitCode"/>.
/// </summary>
public sealed class CliError(string message, string code, int exitCode) : Exception(message)
{
    public const int Api = 1, Usage = 2, Connection = 3;

    public string Code { get; } = code;
    public int ExitCode { get; } = exitCode;

    /// <summary>The Director refused (its extensions.code), or a name did not resolve to one object.</summary>
    public static CliError Refused(string message, string code) => new(message, code, Api);

    public static CliError BadUsage(string message) => new(message, "USAGE", Usage);

    public static CliError Unreachable(string url, string reason) =>
        new($"Cannot reach the director at {url}: {reason}", "UNREACHABLE", Connection);
}
