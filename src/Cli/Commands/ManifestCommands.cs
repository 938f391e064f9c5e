using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>
/// cps app apply|export: an application and its services from a manifest (cpsclient `manifest`, cps-tools
/// `application manifest`), and back. cps checks a manifest against the Director's JSON Schema before sending it; the
/// Director plans and checks everything again; a refusal lists every problem with its path.
/// </summary>
internal static class ManifestCommands
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly string[] Settling = ["PROLOGUE", "ADAPTING", "EPILOGUE"];

    private const string Fields = "digest dryRun steps { action description } application { id name services { id name state stateReason } }";

    public static Command Apply(Globals g)
    {
        var file = new Option<FileInfo>("--file", "-f") { Description = "The manifest (JSON); - reads standard input", Required = true, HelpName = "FILE" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be done, change nothing" };
        var noValidate = new Option<bool>("--no-validate") { Description = "Send the manifest without first checking it against the Director's JSON Schema" };
        var wait = ServiceLifecycle.WaitOption("RUNNING or STOPPED (every service of the application)");
        var timeout = ServiceLifecycle.TimeoutOption();
        var command = new Command("apply", "Make an application and its services what a manifest says (created, started, scaled, renamed)")
            { file, dryRun, noValidate, wait, timeout };
        g.Handle(command, async (ctx, r) =>
        {
            var manifest = Read(r.GetValue(file)!);
            if (!r.GetValue(noValidate)) await ManifestSchemaCheck.Check(ctx, manifest);
            var data = await ctx.Send($"mutation($m: JSON!, $d: Boolean) {{ applyManifest(manifest: $m, dryRun: $d) {{ {Fields} }} }}",
                new { m = manifest, d = r.GetValue(dryRun) });
            var result = data["applyManifest"]!;
            var steps = result.Array("steps");
            if (!r.GetValue(wait) || r.GetValue(dryRun) || result["application"] is null)
            {
                ctx.Show(data, o => Describe(o, result, steps));
                return;
            }

            if (!ctx.Json) Describe(ctx.Out, result, steps);
            var settled = await Settle(ctx, result["application"].Text("id")!, TimeSpan.FromSeconds(r.GetValue(timeout)));
            ctx.Show(settled, o =>
            {
                foreach (var s in settled["application"].Array("services")) o.WriteLine($"Service '{s.Text("name")}' is {s.Text("state")}");
            });
        });
        return command;
    }

    public static Command Export(Globals g)
    {
        var target = ApplicationCommands.AppArgument();
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write it to this file instead of standard output", HelpName = "FILE" };
        var command = new Command("export", "Print an application's manifest: applying it again changes nothing") { target, output };
        g.Handle(command, async (ctx, r) =>
        {
            var app = await Lookup.Application(ctx, r.GetValue(target)!);
            var manifest = (await ctx.Send("query($id: ID!) { manifest(applicationId: $id) }", new { id = app.Id }))["manifest"]!;
            if (r.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", ctx.Cancellation);
                ctx.Note($"Manifest of '{app.Name}' written to {file.FullName}");
            }
            else Output.Json(ctx.Out, manifest);
        });
        return command;
    }

    /// <summary>The file's JSON; a file that is not JSON is refused here, naming the line, before anything is sent.</summary>
    private static JsonNode Read(FileInfo file)
    {
        string text;
        try
        {
            text = file.Name == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliError.BadUsage($"Cannot read the manifest {file.FullName}: {ex.Message}");
        }

        try
        {
            return JsonNode.Parse(text) ?? throw CliError.BadUsage($"{file.Name}: the manifest is null, not a JSON object");
        }
        catch (JsonException ex)
        {
            throw CliError.BadUsage($"{file.Name} is not valid JSON: {ex.Message}");
        }
    }

    private static void Describe(TextWriter o, JsonNode result, IReadOnlyList<JsonNode> steps)
    {
        var name = result["application"].Text("name");
        var dry = result["dryRun"]!.GetValue<bool>();
        if (steps.Count == 0)
        {
            o.WriteLine($"Application '{name}' is as the manifest says: nothing to do");
            return;
        }

        o.WriteLine(dry ? "Dry run: nothing was changed. Applying would:" : $"Applied (manifest {result.Text("digest")![..12]}):");
        foreach (var step in steps) o.WriteLine($"  {step.Text("action"),-18} {step.Text("description")}");
    }

    /// <summary>Polls the application until no service is starting, adapting or stopping; a service in ERROR is an error.</summary>
    private static async Task<JsonObject> Settle(CommandContext ctx, string id, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var data = await ctx.Send("query($id: ID!) { application(id: $id) { id name services { id name state stateReason } } }", new { id });
            var services = data["application"].Array("services");
            if (services.FirstOrDefault(s => s.Text("state") == "ERROR") is { } failed)
                throw CliError.Refused($"Service '{failed.Text("name")}' is in ERROR: {failed.Text("stateReason") ?? "no reason given"}", "ERROR");
            if (!services.Any(s => Settling.Contains(s.Text("state")))) return data;
            if (DateTimeOffset.UtcNow >= deadline)
                throw CliError.Refused($"Timed out after {timeout.TotalSeconds:0} s waiting for the services to be RUNNING or STOPPED", "TIMEOUT");
            await Task.Delay(PollInterval, ctx.Cancellation);
        }
    }
}
