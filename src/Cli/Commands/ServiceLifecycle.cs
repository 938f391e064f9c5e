using System.CommandLine;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>cps service start|stop, and --wait: follow the service's events until it settles, printing each state it passes through.</summary>
internal static class ServiceLifecycle
{
    public static Option<bool> WaitOption(string until) => new("--wait", "-w") { Description = $"Wait until the service is {until}" };

    public static Option<int> TimeoutOption() => new("--timeout")
    {
        Description = "Seconds --wait waits at most",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 600,
    };

    public static Option<string?> CloudOption(string what) => new("--cloud", "-c")
    {
        Description = what,
        HelpName = "CLOUD",
    };

    public static Command Start(Globals g)
    {
        var service = ServiceCommands.ServiceArgument();
        var application = ServiceCommands.ApplicationOption();
        var cloud = CloudOption("The cloud of its manager and first nodes (default: the default cloud)");
        var wait = WaitOption("RUNNING (or in ERROR)");
        var timeout = TimeoutOption();
        var command = new Command("start", "Start a service: its manager and initial nodes are requested") { service, application, cloud, wait, timeout };
        g.Handle(command, async (ctx, r) =>
        {
            var found = await ServiceCommands.Find(ctx, r, service, application);
            var data = await ctx.Send("mutation($id: ID!, $c: String) { startService(id: $id, cloud: $c) { ...S } }" + ServiceCommands.Fields,
                new { id = found.Id, c = r.GetValue(cloud) });
            await Settle(ctx, r, data, "startService", wait, timeout, "RUNNING");
        });
        return command;
    }

    public static Command Stop(Globals g)
    {
        var service = ServiceCommands.ServiceArgument();
        var application = ServiceCommands.ApplicationOption();
        var wait = WaitOption("STOPPED (or in ERROR)");
        var timeout = TimeoutOption();
        var command = new Command("stop", "Stop a service: all its VMs are released") { service, application, wait, timeout };
        g.Handle(command, async (ctx, r) =>
        {
            var found = await ServiceCommands.Find(ctx, r, service, application);
            var data = await ctx.Send("mutation($id: ID!) { stopService(id: $id) { ...S } }" + ServiceCommands.Fields, new { id = found.Id });
            await Settle(ctx, r, data, "stopService", wait, timeout, "STOPPED");
        });
        return command;
    }

    /// <summary>Shows the mutation's answer; with --wait, polls until <paramref name="target"/> or ERROR and shows the last answer.</summary>
    public static async Task Settle(CommandContext ctx, ParseResult r, JsonObject data, string field, Option<bool> wait, Option<int> timeout, string target)
    {
        var service = data[field]!;
        if (!r.GetValue(wait))
        {
            ctx.Confirm(data, $"Service '{service.Text("name")}' is {State(service)}");
            return;
        }

        ctx.Note($"Service '{service.Text("name")}' is {State(service)}; waiting until it is {target}");
        var settled = await WaitFor(ctx, service.Text("id")!, service.Text("state")!, target, TimeSpan.FromSeconds(r.GetValue(timeout)));
        ctx.Confirm(settled, $"Service '{settled["service"].Text("name")}' is {State(settled["service"])}");
    }

    /// <summary>Follows the service's events until it is in <paramref name="target"/> or ERROR; ERROR and the timeout are errors.</summary>
    private static async Task<JsonObject> WaitFor(CommandContext ctx, string id, string state, string target, TimeSpan timeout)
    {
        var data = await LiveCommands.Until(ctx, timeout, async () =>
        {
            var data = await ctx.Send("query($id: ID!) { service(id: $id) { ...S } }" + ServiceCommands.Fields, new { id });
            return (data, data["service"]);
        }, service => service.Text("state") is var now && (now == target || now == "ERROR"), service =>
        {
            var now = service.Text("state")!;
            if (now != state) ctx.Note($"{DateTime.Now:HH:mm:ss}  {State(service)}");
            state = now;
        }, () => $"the service to be {target}: it is {state}");
        var service = data["service"];
        return service.Text("state") == "ERROR"
            ? throw CliError.Refused($"Service '{service.Text("name")}' is in ERROR: {service.Text("stateReason") ?? "no reason given"}", "ERROR")
            : data;
    }

    private static string State(JsonNode? service) =>
        service.Text("state") + (service.Text("stateReason") is { } why ? $" ({why})" : "");
}
