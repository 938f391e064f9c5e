using System.CommandLine;

namespace Conpaas.Cli.Commands;

/// <summary>
/// cps service add-nodes|remove-nodes SERVICE --ROLE N …: the roles depend on the service type (as cps-tools'
/// --backend 2 --web 1), so they are the words after SERVICE, checked by the Director; --count N means the default role.
/// </summary>
internal static class ServiceNodes
{
    private const string RolesHelp = "Give --ROLE N for each role (e.g. --backend 2 --web 1; cps service types lists the roles), or --count N for the default role.";

    public static Command AddNodes(Globals g) => Build(g, "add-nodes", "addNodes", $"Add nodes to a running service. {RolesHelp}", withCloud: true);

    public static Command RemoveNodes(Globals g) => Build(g, "remove-nodes", "removeNodes", $"Remove nodes from a running service. {RolesHelp}", withCloud: false);

    private static Command Build(Globals g, string name, string mutation, string description, bool withCloud)
    {
        var service = ServiceCommands.ServiceArgument();
        var application = ServiceCommands.ApplicationOption();
        var roles = new Argument<string[]>("--ROLE N")
        {
            Description = "Nodes per role, e.g. --backend 2 --web 1",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var count = new Option<int?>("--count") { Description = "Nodes of the service type's default role", HelpName = "N" };
        var cloud = ServiceLifecycle.CloudOption("The cloud of the new nodes (default: the service's)");
        var wait = ServiceLifecycle.WaitOption("RUNNING again");
        var timeout = ServiceLifecycle.TimeoutOption();
        var command = new Command(name, description) { service, roles, application, count, wait, timeout };
        if (withCloud) command.Options.Add(cloud);
        g.Handle(command, async (ctx, r) =>
        {
            if (r.GetValue(service)!.StartsWith("--", StringComparison.Ordinal))
                throw CliError.BadUsage($"Name the service first: cps service {name} SERVICE --ROLE N …");
            var nodes = Requested(r.GetValue(roles) ?? [], r.GetValue(count), withCloud ? r.GetValue(cloud) : null);
            var found = await ServiceCommands.Find(ctx, r, service, application);
            var data = await ctx.Send($$"""
                mutation($id: ID!, $nodes: [NodeCountInput!]!) { {{mutation}}(serviceId: $id, nodes: $nodes) { ...S } }
                """ + ServiceCommands.Fields, new { id = found.Id, nodes });
            await ServiceLifecycle.Settle(ctx, r, data, mutation, wait, timeout, "RUNNING");
        });
        return command;
    }

    private sealed record NodeCount(string? Role, int Count, string? Cloud);

    /// <summary>"--backend 2 --web=1" and --count N as the API's node counts; anything else is a usage error.</summary>
    private static List<NodeCount> Requested(IReadOnlyList<string> words, int? count, string? cloud)
    {
        var nodes = new List<NodeCount>();
        if (count is { } n) nodes.Add(new NodeCount(null, n, cloud));
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (!word.StartsWith("--", StringComparison.Ordinal) || word.Length == 2)
                throw CliError.BadUsage($"Unexpected '{word}': give nodes as --ROLE N (e.g. --backend 2) or --count N");
            var (role, value) = word.IndexOf('=') is var eq and > 0
                ? (word[2..eq], word[(eq + 1)..])
                : (word[2..], i + 1 < words.Count ? words[++i] : null);
            if (!int.TryParse(value, out var number))
                throw CliError.BadUsage($"--{role} needs a number of nodes, not '{value}'");
            nodes.Add(new NodeCount(role, number, cloud));
        }

        return nodes.Count > 0 ? nodes : throw CliError.BadUsage("How many nodes? Give --ROLE N (e.g. --backend 2) or --count N");
    }
}
