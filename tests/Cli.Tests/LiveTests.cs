using System.Text;
using System.Text.RegularExpressions;
using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>
/// cps service watch, app watch, events --follow: fed by the event stream (graphql-transport-ws), through a pipe (line
/// output) and through a pseudo-terminal (redrawn in place). No cloud: a started service stays in PROLOGUE.
/// </summary>
public sealed class LiveTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    private static readonly string Escape = "\e[";

    [Fact]
    public async Task service_watch_through_a_pipe_prints_each_change_once_with_its_time_and_ends_at_until()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        await ann.Ok("service", "add", "helloworld", "-a", "shop", "--name", "web");

        await using var watch = new Background(ann, "service", "watch", "web", "--until", "prologue");
        await watch.WaitFor(o => o.Contains(": INIT"), "the first drawing");
        await ann.Ok("service", "start", "web");
        Assert.Equal(0, await watch.Exit);

        var lines = watch.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Matches(@"^\d\d:\d\d:\d\d  ", line));
        Assert.True(lines[0].EndsWith("Service 'web' (helloworld) in 'shop': INIT  nodes node=0", StringComparison.Ordinal), watch.Out);
        Assert.Contains(lines, l => l.EndsWith("Service 'web' (helloworld) in 'shop': PROLOGUE  nodes node=1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("NAME") && l.Contains("ROLE") && l.Contains("STATE")); // the nodes' table, once it has nodes
        Assert.Equal(lines.Length, lines.Select(l => l[10..]).Distinct().Count()); // no line printed twice
        Assert.DoesNotContain(Escape, watch.Out);
    }

    [Fact]
    public async Task app_watch_json_prints_the_application_after_each_change_one_line_each()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        await ann.Ok("service", "add", "helloworld", "-a", "shop", "--name", "web");

        await using var watch = new Background(ann, "app", "watch", "shop", "--until", "PROLOGUE", "--json");
        await watch.WaitFor(o => o.Contains("\"INIT\""), "the first application");
        await ann.Ok("service", "start", "web");
        Assert.Equal(0, await watch.Exit);
        var states = watch.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!["services"]![0]!["state"]!.GetValue<string>()).ToList();
        Assert.Equal("INIT", states[0]);
        Assert.Equal("PROLOGUE", states[^1]);
        var lines = watch.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines.Length, lines.Distinct().Count()); // a line per change, not per event
    }

    [Fact]
    public async Task watch_times_out_with_exit_1()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        await ann.Ok("service", "add", "helloworld", "-a", "shop", "--name", "web");
        await ann.Fails(1, "error: Timed out after 1 s waiting for the state given with --until (TIMEOUT)", "service", "watch", "web", "--until", "RUNNING", "--timeout", "1");
    }

    [Fact]
    public async Task events_follow_prints_one_line_per_event_and_resumes_after_a_dropped_connection()
    {
        using var proxy = new TcpProxy(director.BaseAddress);
        var ann = await director.NewUser();
        // The same user, signed in through the relay: the token belongs to the address it was issued for.
        var relayed = director.NewShell();
        await relayed.Ok("login", ann.Username!, "--password", Cps.PasswordOf(ann.Username!), "--director", proxy.Address.ToString());

        await using var follow = new Background(relayed, "events", "--follow", "--after", "0");
        await ann.Ok("app", "create", "first");
        await follow.WaitFor(o => o.Contains("ApplicationCreated"), "the first application's event");

        proxy.Cut();
        await follow.WaitFor(_ => follow.Err.Contains("resuming after event"), "the reconnection");
        await ann.Ok("app", "create", "second");
        var output = await follow.WaitFor(o => Regex.Matches(o, "ApplicationCreated").Count == 2, "the second application's event");

        var sequences = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => long.Parse(l.Split("  ")[0])).ToList();
        Assert.Equal(sequences.Order(), sequences);
        Assert.Equal(sequences.Count, sequences.Distinct().Count()); // resumed after the last one: nothing twice
        Assert.Contains("name=second", output);
    }

    [Fact]
    public async Task service_watch_on_a_terminal_redraws_in_place_with_colours_and_without_them_under_NO_COLOR()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        await ann.Ok("service", "add", "helloworld", "-a", "shop", "--name", "web");
        await ann.Ok("service", "add", "helloworld", "-a", "shop", "--name", "api");

        var coloured = await OnTerminal(ann, "web");
        Assert.Contains($"{Escape}33mINIT{Escape}0m", coloured);
        Assert.Matches(@"\e\[\d+A\e\[J", coloured); // cursor up over the last drawing, clear to the end
        Assert.Contains($"{Escape}33mPROLOGUE{Escape}0m", coloured);

        ann.Environment["NO_COLOR"] = "1";
        var plain = await OnTerminal(ann, "api");
        Assert.DoesNotContain($"{Escape}33m", plain);
        Assert.Matches(@"\e\[\d+A\e\[J", plain);
        Assert.Contains("PROLOGUE", plain);
    }

    /// <summary>cps service watch under script(1), which gives it a pseudo-terminal; the service is started once it has drawn.</summary>
    private static async Task<string> OnTerminal(Cps ann, string service)
    {
        using var process = BuiltCps.Start(ann, "script", "-qfec", $"cps service watch {service} --until PROLOGUE", "/dev/null");
        var output = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int read;
            while ((read = await process.StandardOutput.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
                lock (output) output.Append(buffer, 0, read);
        }, TestContext.Current.CancellationToken);
        await Wait.Until(Text, text => text.Contains("INIT"), TimeSpan.FromMinutes(1), "the first drawing",
            _ => process.HasExited ? "cps ended" : null);

        await ann.Ok("service", "start", service);
        var result = await BuiltCps.Exit(process, reading.ContinueWith(_ => Text()), process.StandardError.ReadToEndAsync());
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Out;

        string Text()
        {
            lock (output) return output.ToString();
        }
    }
}
