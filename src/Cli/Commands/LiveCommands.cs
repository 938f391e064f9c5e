using System.CommandLine;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>
/// cps service watch, cps app watch, cps events --follow: live views fed by the Director's event stream. On a terminal
/// the status table is redrawn in place; otherwise (a pipe, a file, CI) each changed line is printed once, with its time.
/// </summary>
internal static class LiveCommands
{
    public static Command WatchService(Globals g)
    {
        var service = ServiceCommands.ServiceArgument();
        var application = ServiceCommands.ApplicationOption();
        var until = UntilOption("Stop watching once the service is in this state (e.g. RUNNING)");
        var timeout = TimeoutOption();
        var command = new Command("watch", "Watch a service live: its state, its nodes by role, their addresses (Ctrl-C ends)") { service, application, until, timeout };
        g.Handle(command, async (ctx, r) =>
        {
            var found = await ServiceCommands.Find(ctx, r, service, application);
            var target = r.GetValue(until)?.ToUpperInvariant();
            await Watch(ctx, r.GetValue(timeout), async () =>
            {
                var data = await ctx.Send("""
                    query($id: ID!) { service(id: $id) { ...S nodes { id name role serviceRole state stateReason cloud address vpnAddress chargedHours } } }
                    """ + ServiceCommands.Fields, new { id = found.Id });
                return (data, data["service"]);
            }, s => ServiceLines(ctx, s), s => s.Text("state") == target);
        });
        return command;
    }

    public static Command WatchApplication(Globals g)
    {
        var app = ApplicationCommands.AppArgument();
        var until = UntilOption("Stop watching once every service of the application is in this state (e.g. RUNNING)");
        var timeout = TimeoutOption();
        var command = new Command("watch", "Watch an application live: its services' states and nodes (Ctrl-C ends)") { app, until, timeout };
        g.Handle(command, async (ctx, r) =>
        {
            var found = await Lookup.Application(ctx, r.GetValue(app)!);
            var target = r.GetValue(until)?.ToUpperInvariant();
            await Watch(ctx, r.GetValue(timeout), async () =>
            {
                var data = await ctx.Send("query($id: ID!) { application(id: $id) { ...A } }" + ApplicationCommands.ShowFields, new { id = found.Id });
                return (data, data["application"]);
            }, a => Lines(writer => ApplicationCommands.Describe(writer, a, null)),
               a => target is not null && a.Array("services") is { Count: > 0 } services && services.All(s => s.Text("state") == target));
        });
        return command;
    }

    public static Command Events(Globals g)
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing events as they happen (Ctrl-C ends)" };
        var after = new Option<long?>("--after") { Description = "With --follow: start after this event sequence (what an earlier run printed last)", HelpName = "SEQUENCE" };
        var entity = new Option<string?>("--entity") { Description = "Only the events of this user, application, service or VM id", HelpName = "ID" };
        var limit = new Option<int>("--limit", "-n") { Description = "Without --follow: at most this many events, oldest first", HelpName = "N", DefaultValueFactory = _ => 100 };
        var command = new Command("events", "The event log you may see, one line per event; --follow streams it live") { follow, after, entity, limit };
        g.Handle(command, async (ctx, r) =>
        {
            if (!r.GetValue(follow))
            {
                var events = r.GetValue(entity) is { } id
                    ? await ServiceCommands.Events(ctx, "history(entityId: $id, first: $first, after: $after)", "$id: ID!", new() { ["id"] = id }, r.GetValue(limit))
                    : await ServiceCommands.Events(ctx, "auditLog(first: $first, after: $after)", "", new(), r.GetValue(limit));
                ctx.Show(new JsonObject { ["events"] = events }, o => ServiceCommands.EventTable(o, events, withStream: true));
                return;
            }

            if (!ctx.Json) ServiceCommands.EventTable(ctx.Out, [], withStream: true);
            await new LiveFeed(ctx).Follow(r.GetValue(after), r.GetValue(entity), () => Task.FromResult(true), e =>
            {
                if (ctx.Json) ctx.Out.WriteLine(e.ToJsonString());
                else ctx.Out.WriteLine(EventLine(e));
                ctx.Out.Flush();
                return Task.FromResult(true);
            }, ctx.Cancellation);
        });
        return command;
    }

    /// <summary>One event as a row of <see cref="ServiceCommands.EventTable"/> (without the alignment a stream cannot know).</summary>
    private static string EventLine(JsonNode e)
    {
        using var writer = new StringWriter();
        ServiceCommands.EventTable(writer, [e], withStream: true);
        return writer.ToString().Split('\n')[1];
    }

    /// <summary>
    /// Waits until <paramref name="done"/> (or the timeout), redrawing after every event: the --wait of start, stop and
    /// add-nodes, and the watch commands. The object going away ends it too.
    /// </summary>
    public static async Task<JsonObject> Until(CommandContext ctx, TimeSpan? timeout, Func<Task<(JsonObject Data, JsonNode? Current)>> fetch,
        Func<JsonNode, bool> done, Action<JsonNode> changed, Func<string> waitingFor)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        if (timeout is { } t) limit.CancelAfter(t);
        JsonObject? last = null;
        var finished = false;

        async Task<bool> Look()
        {
            var (data, current) = await fetch();
            last = data;
            if (current is null) throw CliError.Refused("It was removed while cps was watching it", "NOT_FOUND");
            changed(current);
            finished = done(current);
            return !finished;
        }

        try
        {
            await new LiveFeed(ctx).Follow(null, null, Look, _ => Look(), limit.Token);
        }
        catch (OperationCanceledException) when (!ctx.Cancellation.IsCancellationRequested)
        {
            throw CliError.Refused($"Timed out after {timeout!.Value.TotalSeconds:0} s waiting for {waitingFor()}", "TIMEOUT");
        }

        return finished ? last! : throw CliError.Refused($"The Director ended the event stream while cps was waiting for {waitingFor()}", "UNREACHABLE");
    }

    private static async Task Watch(CommandContext ctx, int timeout, Func<Task<(JsonObject Data, JsonNode? Current)>> fetch,
        Func<JsonNode, IReadOnlyList<string>> render, Func<JsonNode, bool> done)
    {
        var screen = new Screen(ctx);
        string? printed = null;
        await Until(ctx, timeout > 0 ? TimeSpan.FromSeconds(timeout) : null, fetch, done, current =>
        {
            if (!ctx.Json)
            {
                screen.Draw(render(current));
                return;
            }

            // One line per change: an event that changed nothing shown prints nothing.
            var json = current.ToJsonString();
            if (json == printed) return;
            ctx.Out.WriteLine(json);
            ctx.Out.Flush();
            printed = json;
        }, () => "the state given with --until");
    }

    private static IReadOnlyList<string> ServiceLines(CommandContext ctx, JsonNode s)
    {
        var state = s.Text("state") + (s.Text("stateReason") is { } why ? $" ({why})" : "");
        var lines = new List<string> { $"Service '{s.Text("name")}' ({s.Text("type")}) in '{s["application"].Text("name")}': {Paint(ctx, s.Text("state"), state)}  nodes {s.NodeCounts()}" };
        var nodes = s.Array("nodes");
        if (nodes.Count > 0) lines.AddRange(Lines(o => ServiceCommands.VmTable(o, nodes, withService: false, withOwner: false)));
        return lines;
    }

    private static IReadOnlyList<string> Lines(Action<TextWriter> write)
    {
        using var writer = new StringWriter();
        write(writer);
        return writer.ToString().TrimEnd('\n').Split('\n');
    }

    /// <summary>A state in its colour (green running, red broken, yellow on its way), when colours are on.</summary>
    private static string Paint(CommandContext ctx, string? state, string text) => !ctx.Color ? text : state switch
    {
        "RUNNING" => $"\e[32m{text}\e[0m",
        "ERROR" or "FAILED" or "LOST" => $"\e[31m{text}\e[0m",
        _ => $"\e[33m{text}\e[0m",
    };

    private static Option<string?> UntilOption(string description) => new("--until") { Description = description, HelpName = "STATE" };

    private static Option<int> TimeoutOption() => new("--timeout")
    {
        Description = "Stop after this many seconds (exit 1, TIMEOUT); 0: never",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>
    /// Where a live view draws: on a terminal, the last drawing is replaced in place (cursor up, clear to the end of the
    /// screen); elsewhere each line that changed is printed once, after the time.
    /// </summary>
    private sealed class Screen(CommandContext ctx)
    {
        private IReadOnlyList<string> _shown = [];

        public void Draw(IReadOnlyList<string> lines)
        {
            if (lines.SequenceEqual(_shown)) return;
            if (ctx.Terminal)
            {
                if (_shown.Count > 0) ctx.Out.Write($"\e[{_shown.Count}A\e[J");
                foreach (var line in lines) ctx.Out.WriteLine(line);
            }
            else
            {
                var time = DateTime.Now.ToString("HH:mm:ss");
                foreach (var line in lines.Where(l => !_shown.Contains(l))) ctx.Out.WriteLine($"{time}  {line}");
            }

            ctx.Out.Flush();
            _shown = lines;
        }
    }
}
