using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Conpaas.Cli.Commands;

namespace Conpaas.Cli;

/// <summary>The whole of <c>cps</c>, callable in-process: tests pass their own writers, folder and environment.</summary>
public static class Cli
{
    /// <param name="configDirectory">where cps.json lives (normally ~/.conpaas)</param>
    /// <param name="environment">environment variables (CPS_DIRECTOR, CPS_PASSWORD); the process's when null</param>
    /// <param name="readSecret">asks for a password without echo; null when there is no terminal to ask on</param>
    /// <param name="terminal">whether <paramref name="output"/> is a terminal: live views redraw in place, states get colours</param>
    public static async Task<int> Run(string[] args, TextWriter output, TextWriter error, string configDirectory,
        Func<string, string?>? environment = null, Func<string, string?>? readSecret = null, bool terminal = false, CancellationToken ct = default)
    {
        var globals = new Globals(output, error, configDirectory, environment ?? Environment.GetEnvironmentVariable, readSecret, terminal);
        // Not a RootCommand: that one is named after the process, which is not "cps" when run in-process.
        var root = new Command("cps", "cps: the ConPaaS command-line client. It talks to a Director's GraphQL API.")
        {
            new HelpOption(),
            globals.Version,
            globals.Director,
            globals.Ca,
            globals.Json,
            globals.Quiet,
        };
        VersionCommand.Handle(globals, root);
        foreach (var command in UserCommands.Build(globals)) root.Subcommands.Add(command);
        root.Subcommands.Add(ApplicationCommands.Build(globals));
        root.Subcommands.Add(ServiceCommands.Build(globals));
        foreach (var command in DirectorCommands.Build(globals)) root.Subcommands.Add(command);
        root.Subcommands.Add(FileCommands.Build(globals));
        root.Subcommands.Add(CertificateCommands.Build(globals));
        root.Subcommands.Add(AdminCommands.Build(globals));
        root.Subcommands.Add(LiveCommands.Events(globals));
        foreach (var command in CompletionCommands.Build(globals, root)) root.Subcommands.Add(command);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
        {
            foreach (var problem in parsed.Errors) error.WriteLine($"error: {problem.Message} (USAGE)");
            error.WriteLine($"Try '{CommandPath(parsed)} --help'.");
            return CliError.Usage;
        }

        var invocation = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        return await parsed.InvokeAsync(invocation, ct);
    }

    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (SymbolResult? r = parsed.CommandResult; r is not null; r = r.Parent)
            if (r is CommandResult command) names.Insert(0, command.Command.Name);
        return string.Join(" ", names);
    }
}

/// <summary>The options every command takes, and the one place where a command's errors become exit codes.</summary>
internal sealed class Globals(
    TextWriter output, TextWriter error, string configDirectory, Func<string, string?> environment, Func<string, string?>? readSecret, bool terminal)
{
    public Option<bool> Version { get; } = new("--version")
    {
        Description = "Print cps's version, and warn when the Director's API contract is newer than cps knows",
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "No progress or confirmation lines: only what a command is asked to show, and errors",
        Recursive = true,
    };

    public Option<string?> Director { get; } = new("--director")
    {
        Description = $"The Director's URL (else $CPS_DIRECTOR, else the one of the last login, else {CpsSettings.DefaultDirector})",
        HelpName = "URL",
        Recursive = true,
    };

    public Option<string?> Ca { get; } = new("--ca")
    {
        Description = "A PEM file with the CA to trust for an https Director, alone (else $CPS_CA, else the one 'cps trust' pinned)",
        HelpName = "FILE",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the API's raw data as JSON, for scripts",
        Recursive = true,
    };

    public void Handle(Command command, Func<CommandContext, ParseResult, Task> action) =>
        command.SetAction(async (parsed, ct) =>
        {
            try
            {
                using var context = new CommandContext(output, error, configDirectory, environment, readSecret,
                    parsed.GetValue(Json), parsed.GetValue(Quiet), terminal, parsed.GetValue(Director), parsed.GetValue(Ca), ct);
                await action(context, parsed);
                return 0;
            }
            catch (CliError e)
            {
                error.WriteLine($"error: {e.Message} ({e.Code})");
                if (Hint(e.Code) is { } hint) error.WriteLine($"hint: {hint}");
                return e.ExitCode;
            }
        });

    /// <summary>What to do about the common refusals.</summary>
    private static string? Hint(string code) => code switch
    {
        "UNAUTHENTICATED" => "sign in with 'cps login USER' (a session lasts a day; 'cps whoami' shows who you are)",
        "UNREACHABLE" => "is the Director running there? Name another with --director URL or $CPS_DIRECTOR",
        "FORBIDDEN" => "this needs an administrator's account",
        _ => null,
    };
}
