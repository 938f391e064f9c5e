using System.CommandLine;

namespace Conpaas.Cli.Commands;

/// <summary>cps app list|create|rename|delete: the caller's applications, named by id or by name.</summary>
internal static class ApplicationCommands
{
    public static Command Build(Globals g) => new("app", "Your applications: groups of services on one private network")
    {
        List(g), Create(g), Rename(g), Delete(g), ManifestCommands.Apply(g), ManifestCommands.Export(g),
    };

    public static Argument<string> AppArgument() => new("APP") { Description = "The application's name or id" };

    private static Command List(Globals g)
    {
        var command = new Command("list", "List your applications");
        g.Handle(command, async (ctx, _) =>
        {
            var data = await ctx.Send("{ applications { id name network createdAt services { id state } } }");
            var apps = data.Array("applications");
            ctx.Show(data, o =>
            {
                if (apps.Count == 0)
                {
                    o.WriteLine("No existing applications.");
                    return;
                }

                Output.Table(o, ["NAME", "SERVICES", "RUNNING", "NETWORK", "CREATED", "ID"], apps.Select(a => new[]
                {
                    a.Text("name"),
                    a.Array("services").Count.ToString(),
                    a.Array("services").Count(s => s.Text("state") == "RUNNING").ToString(),
                    a.Text("network"),
                    a.Time("createdAt"),
                    a.Text("id"),
                }));
            });
        });
        return command;
    }

    private static Command Create(Globals g)
    {
        var name = new Argument<string>("NAME") { Description = "The new application's name" };
        var command = new Command("create", "Create an application") { name };
        g.Handle(command, async (ctx, r) =>
        {
            var data = await ctx.Send("mutation($n: String!) { createApplication(name: $n) { id name network createdAt } }",
                new { n = r.GetValue(name) });
            var app = data["createApplication"];
            ctx.Show(data, o => o.WriteLine($"Application '{app.Text("name")}' created (id {app.Text("id")})"));
        });
        return command;
    }

    private static Command Rename(Globals g)
    {
        var target = AppArgument();
        var name = new Argument<string>("NAME") { Description = "The new name" };
        var command = new Command("rename", "Rename an application") { target, name };
        g.Handle(command, async (ctx, r) =>
        {
            var app = await Lookup.Application(ctx, r.GetValue(target)!);
            var data = await ctx.Send("mutation($id: ID!, $n: String!) { renameApplication(id: $id, name: $n) { id name version } }",
                new { id = app.Id, n = r.GetValue(name) });
            ctx.Show(data, o => o.WriteLine($"Application '{app.Name}' renamed to '{data["renameApplication"].Text("name")}'"));
        });
        return command;
    }

    private static Command Delete(Globals g)
    {
        var target = AppArgument();
        var command = new Command("delete", "Delete an application, stopping and removing its services first") { target };
        g.Handle(command, async (ctx, r) =>
        {
            var app = await Lookup.Application(ctx, r.GetValue(target)!);
            var data = await ctx.Send("mutation($id: ID!) { deleteApplication(id: $id) }", new { id = app.Id });
            ctx.Show(data, o => o.WriteLine($"Application '{app.Name}' deleted"));
        });
        return command;
    }
}
