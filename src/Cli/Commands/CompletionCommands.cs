using System.CommandLine;
using System.CommandLine.Completions;

namespace Conpaas.Cli.Commands;

/// <summary>
/// cps completion bash|zsh prints a script that completes cps's words by asking cps itself (the hidden cps __complete):
/// commands and options from the command tree, application, service and file names from the Director.
/// </summary>
internal static class CompletionCommands
{
    private const string Bash = """
        # cps completion for bash: eval "$(cps completion bash)" (e.g. in ~/.bashrc)
        _cps() {
          local IFS=$'\n'
          COMPREPLY=($(cps __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
        }
        complete -o default -F _cps cps

        """;

    private const string Zsh = """
        #compdef cps
        # cps completion for zsh: eval "$(cps completion zsh)" (e.g. in ~/.zshrc, after compinit)
        _cps() {
          local -a candidates
          candidates=("${(@f)$(cps __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)}")
          compadd -a candidates
        }
        compdef _cps cps

        """;

    public static IEnumerable<Command> Build(Globals g, Command root)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var completion = new Command("completion", "Print the shell completion script: eval \"$(cps completion bash)\"") { shell };
        completion.SetAction(r => r.InvocationConfiguration.Output.Write(r.GetValue(shell) == "zsh" ? Zsh : Bash));

        var words = new Argument<string[]>("WORDS") { Arity = ArgumentArity.ZeroOrMore };
        var complete = new Command("__complete", "The words that may come next, one a line (what the completion scripts call)") { words };
        complete.Hidden = true;
        g.Handle(complete, async (ctx, r) =>
        {
            foreach (var candidate in await Candidates(ctx, root, r.GetValue(words) ?? []))
                ctx.Out.WriteLine(candidate);
        });
        return [completion, complete];
    }

    /// <summary>What may replace the last of <paramref name="words"/> (the words after "cps", the last one being typed).</summary>
    private static async Task<IEnumerable<string>> Candidates(CommandContext ctx, Command root, string[] words)
    {
        if (words.Length == 0) words = [""];
        var typing = words[^1];
        var before = root.Parse(words[..^1]);
        var previous = words.Length > 1 ? words[^2] : null;

        // An option's value: an application, or one of the caller's files.
        var forOption = previous switch
        {
            "-a" or "--application" => "APP",
            "--startup-script" or "--archive" => "FILE",
            _ => null,
        };
        IEnumerable<string> candidates = forOption is not null ? [] : root.Parse(words).GetCompletions().Select(c => c.Label);
        var wanted = forOption
            ?? (typing.StartsWith('-') ? null
            : before.CommandResult.Command.Arguments.FirstOrDefault(a => a.Name is "APP" or "SERVICE" or "FILE" && before.GetResult(a) is not { Tokens.Count: > 0 })?.Name);
        if (wanted is not null) candidates = candidates.Concat(await Names(ctx, wanted));
        return candidates.Where(c => c.StartsWith(typing, StringComparison.Ordinal) && !c.StartsWith("__", StringComparison.Ordinal)).Distinct();
    }

    /// <summary>The caller's application, service or file names (<paramref name="kind"/>: APP, SERVICE, FILE); none when the Director cannot say (completion stays quiet).</summary>
    private static async Task<IEnumerable<string>> Names(CommandContext ctx, string kind)
    {
        try
        {
            if (kind == "FILE")
                return (await ctx.Send("{ files(first: 1000) { files { name } } }"))["files"].Array("files").Select(f => f.Text("name")!);
            var apps = (await ctx.Send("{ applications { name services { name } } }")).Array("applications");
            return kind == "SERVICE"
                ? apps.SelectMany(a => a.Array("services")).Select(s => s.Text("name")!)
                : apps.Select(a => a.Text("name")!);
        }
        catch (CliError)
        {
            return [];
        }
    }
}
