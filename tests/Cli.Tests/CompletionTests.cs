using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>cps completion bash|zsh: the script, run by bash as it would on a Tab, offers commands and the Director's names.</summary>
public sealed class CompletionTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    /// <summary>What bash offers for the words typed so far (the last one being completed).</summary>
    private static async Task<IReadOnlyList<string>> Offered(Cps shell, params string[] words)
    {
        var script = (await shell.Ok("completion", "bash")).Out;
        var typed = string.Join(" ", words.Select(w => $"'{w}'"));
        var result = await BuiltCps.Run(shell, "bash", "-c",
            script + $"\nCOMP_WORDS=(cps {typed}); COMP_CWORD={words.Length}; _cps; printf '%s\\n' \"${{COMPREPLY[@]}}\"");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task bash_completion_offers_commands_options_and_the_directors_application_and_service_names()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        await ann.Ok("app", "create", "shelf");
        await ann.Ok("app", "create", "blog");
        await ann.Ok("service", "add", "helloworld", "-a", "shop", "--name", "web");
        await ann.Ok("service", "add", "helloworld", "-a", "blog", "--name", "worker");

        Assert.Equal(["app"], await Offered(ann, "ap"));
        Assert.Contains("show", await Offered(ann, "app", ""));
        Assert.Equal(["shelf", "shop"], (await Offered(ann, "app", "show", "sh")).Order());
        Assert.Equal(["web", "worker"], (await Offered(ann, "service", "watch", "w")).Order());
        Assert.Equal(["blog"], await Offered(ann, "service", "list", "-a", "b"));
        Assert.Contains("--until", await Offered(ann, "service", "watch", "web", "--u"));
    }

    [Fact]
    public async Task completion_stays_quiet_without_a_director_and_zsh_has_its_script()
    {
        using var stranger = new Cps(null);
        stranger.Environment["CPS_DIRECTOR"] = "http://127.0.0.1:1";
        Assert.Empty(await Offered(stranger, "app", "show", "s"));
        Assert.Contains("compdef _cps cps", (await stranger.Ok("completion", "zsh")).Out);
        await stranger.Fails(2, "(USAGE)", "completion", "fish");
    }
}
