using System.CommandLine;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>cps --version: the client's version; a warning when the Director speaks a newer API contract than cps knows.</summary>
internal static class VersionCommand
{
    /// <summary>The version of docs/contract/api.graphql this cps was written for (the Director's Query.contractVersion).</summary>
    public const string Contract = "1.1";

    public static string Client { get; } =
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    /// <summary>The root command's own action: --version, else the usage error a bare "cps" always was.</summary>
    public static void Handle(Globals g, Command root) => g.Handle(root, async (ctx, r) =>
    {
        if (!r.GetValue(g.Version)) throw CliError.BadUsage("Required command was not provided. Try 'cps --help'.");

        var data = new JsonObject { ["cps"] = Client, ["contractVersion"] = Contract };
        string? warning = null;
        try
        {
            // Only a hint: cps --version works without a Director.
            var director = await ctx.Send("{ version contractVersion }");
            data["director"] = new JsonObject { ["url"] = ctx.DirectorName, ["version"] = director.Text("version"), ["contractVersion"] = director.Text("contractVersion") };
            if (Newer(director.Text("contractVersion"), Contract))
                warning = $"warning: the Director at {ctx.DirectorName} serves API contract {director.Text("contractVersion")}, newer than cps's {Contract}: " +
                          "some of its features need a newer cps (README, \"Installing cps\")";
        }
        catch (CliError)
        {
        }

        ctx.Show(data, o =>
        {
            o.WriteLine($"cps {Client} (API contract {Contract})");
            if (data["director"] is { } d) o.WriteLine($"director {d.Text("url")} {d.Text("version")} (API contract {d.Text("contractVersion")})");
        });
        if (warning is not null) ctx.Err.WriteLine(warning);
    });

    /// <summary>Is MAJOR.MINOR <paramref name="theirs"/> newer than <paramref name="ours"/>?</summary>
    public static bool Newer(string? theirs, string ours) =>
        System.Version.TryParse(theirs, out var t) && System.Version.TryParse(ours, out var o) && t > o;
}
