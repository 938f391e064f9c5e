using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>
/// cps file upload|list|delete|link: the data files a service's VMs get at boot (README "Data files"), and
/// cps service file, which makes one of them a service's startup script or code archive.
/// </summary>
internal static class FileCommands
{
    /// <summary>What cps shows of a file.</summary>
    private const string FileFields = "id name size sha256 uploadedAt";

    public static Command Build(Globals g) => new("file", "Your uploaded data files: startup scripts, code archives, dumps")
    {
        Upload(g), List(g), Delete(g), Link(g),
    };

    public static Argument<string> FileArgument() => new("FILE") { Description = "The file's id, or its name when no other file of yours has it" };

    private static Command Upload(Globals g)
    {
        var path = new Argument<string>("PATH") { Description = "The local file to upload (sent as it is read, never held in memory)" };
        var name = new Option<string?>("--name")
        {
            Description = "The name to store it under (default: the local file's name)",
            HelpName = "NAME",
        };
        var command = new Command("upload", "Upload a file (uploadFile): a manifest's StartupScript or Archive, or cps service file, may then name it") { path, name };
        g.Handle(command, async (ctx, r) =>
        {
            var local = r.GetValue(path)!;
            // Before anything is sent, the Director included: a typo in the path is the commonest mistake.
            if (Directory.Exists(local)) throw CliError.BadUsage($"{local} is a folder, not a file");
            if (!File.Exists(local)) throw CliError.BadUsage($"Cannot read {local}: no such file");
            ctx.RequireSignIn("an upload");
            var data = await ctx.Upload($"mutation($f: Upload!, $n: String) {{ uploadFile(file: $f, name: $n) {{ {FileFields} }} }}",
                new Dictionary<string, object?> { ["f"] = null, ["n"] = r.GetValue(name) }, "f", local);
            var file = data["uploadFile"];
            ctx.Confirm(data, $"File '{file.Text("name")}' uploaded: {Bytes(file)} (id {file.Text("id")})");
        });
        return command;
    }

    private static Command List(Globals g)
    {
        var command = new Command("list", "List your files, oldest first");
        g.Handle(command, async (ctx, _) =>
        {
            var files = await All(ctx);
            // The API's shape, as if one page had held them all.
            var data = new JsonObject
            {
                ["files"] = new JsonObject { ["files"] = new JsonArray([.. files.Select(f => f.DeepClone())]), ["nextCursor"] = null },
            };
            ctx.Show(data, o =>
            {
                if (files.Count == 0)
                {
                    o.WriteLine("No files (cps file upload PATH adds one).");
                    return;
                }

                Output.Table(o, ["ID", "NAME", "SIZE", "SHA-256", "UPLOADED"], files.Select(f => new[]
                {
                    f.Text("id"), f.Text("name"), Size(f), f.Text("sha256") is { Length: > 12 } sha ? sha[..12] : f.Text("sha256"), f.Time("uploadedAt"),
                }));
            });
        });
        return command;
    }

    private static Command Delete(Globals g)
    {
        var target = FileArgument();
        var command = new Command("delete", "Delete one of your files (refused while a service uses it)") { target };
        g.Handle(command, async (ctx, r) =>
        {
            var file = Find(await All(ctx), r.GetValue(target)!);
            var data = await ctx.Send("mutation($id: ID!) { deleteFile(id: $id) }", new { id = file.Text("id") });
            ctx.Confirm(data, $"File '{file.Text("name")}' deleted");
        });
        return command;
    }

    private static Command Link(Globals g)
    {
        var target = FileArgument();
        var ttl = new Option<int>("--ttl")
        {
            Description = "How long the link stays valid, in seconds (at most the Director's Files:MaxLinkLifetime, a day by default)",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 300,
        };
        var command = new Command("link", "Print a URL that serves the file once, to anyone, within --ttl seconds (then 404, or 410 once expired)") { target, ttl };
        g.Handle(command, async (ctx, r) =>
        {
            var file = Find(await All(ctx), r.GetValue(target)!);
            var data = await ctx.Send("mutation($id: ID!, $ttl: Int!) { fileLink(id: $id, ttlSeconds: $ttl) }",
                new { id = file.Text("id"), ttl = r.GetValue(ttl) });
            // The URL alone on standard output, even with --quiet: it is what was asked for (LINK=$(cps file link …)).
            ctx.Show(data, o => o.WriteLine(data.Text("fileLink")));
        });
        return command;
    }

    /// <summary>cps service file SERVICE [--startup-script FILE] [--archive FILE]: sets them (setServiceFile), or shows them when neither is given.</summary>
    public static Command ServiceFile(Globals g)
    {
        var service = ServiceCommands.ServiceArgument();
        var application = ServiceCommands.ApplicationOption();
        var script = new Option<string?>("--startup-script")
        {
            Description = "One of your files (id or name): every VM of the service that boots afterwards runs it once",
            HelpName = "FILE",
        };
        var archive = new Option<string?>("--archive")
        {
            Description = "One of your files (id or name), a .tar.gz or .zip: every VM that boots afterwards unpacks it into ./code",
            HelpName = "FILE",
        };
        var command = new Command("file",
            "Set a service's startup script or code archive (one of your uploaded files); without either option, show them. VMs already running keep what they booted with")
        {
            service, application, script, archive,
        };
        g.Handle(command, async (ctx, r) =>
        {
            var found = await ServiceCommands.Find(ctx, r, service, application);
            var wanted = new List<(string Kind, string File)>();
            if (r.GetValue(script) is { } s) wanted.Add(("STARTUP_SCRIPT", s));
            if (r.GetValue(archive) is { } a) wanted.Add(("ARCHIVE", a));
            if (wanted.Count == 0)
            {
                var data = await ctx.Send("query($id: ID!) { serviceFiles(serviceId: $id) { kind fileId name size sha256 } }", new { id = found.Id });
                var files = data.Array("serviceFiles");
                ctx.Show(data, o =>
                {
                    if (files.Count == 0)
                        o.WriteLine($"Service '{found.Name}' has no startup script or archive (--startup-script FILE, --archive FILE set them).");
                    else
                        Output.Table(o, ["KIND", "NAME", "SIZE", "SHA-256", "FILE ID"], files.Select(f => new[]
                        {
                            f.Text("kind"), f.Text("name"), Size(f), f.Text("sha256") is { Length: > 12 } sha ? sha[..12] : f.Text("sha256"), f.Text("fileId"),
                        }));
                });
                return;
            }

            // Every name resolved before anything is set: a typo in the second one changes nothing.
            var mine = await All(ctx);
            var resolved = wanted.Select(w => (w.Kind, File: Find(mine, w.File))).ToList();
            var set = new JsonArray();
            foreach (var (kind, file) in resolved)
            {
                var data = await ctx.Send("mutation($s: ID!, $k: ServiceFileKind!, $f: ID!) { setServiceFile(serviceId: $s, kind: $k, fileId: $f) { kind fileId name size sha256 } }",
                    new { s = found.Id, k = kind, f = file.Text("id") });
                set.Add(data["setServiceFile"]?.DeepClone());
                ctx.Note($"Service '{found.Name}': {(kind == "ARCHIVE" ? "code archive" : "startup script")} is now '{file.Text("name")}' ({Bytes(file)}); VMs that boot from now on get it");
            }

            if (ctx.Json) Output.Json(ctx.Out, new JsonObject { ["setServiceFile"] = set });
        });
        return command;
    }

    /// <summary>All the caller's files, oldest first, page after page.</summary>
    private static async Task<IReadOnlyList<JsonNode>> All(CommandContext ctx)
    {
        var files = new List<JsonNode>();
        string? after = null;
        do
        {
            var page = (await ctx.Send($"query($after: String) {{ files(first: 500, after: $after) {{ files {{ {FileFields} }} nextCursor }} }}",
                new { after }))["files"];
            files.AddRange(page.Array("files"));
            after = page.Text("nextCursor");
        } while (after is not null);

        return files;
    }

    /// <summary>One of the caller's files by id, or by a name exactly one of them has (as a manifest names it).</summary>
    private static JsonNode Find(IReadOnlyList<JsonNode> files, string given)
    {
        if (Guid.TryParse(given, out var id))
            return files.FirstOrDefault(f => Guid.TryParse(f.Text("id"), out var other) && other == id)
                   ?? throw CliError.Refused($"Unknown file id {given}", "NOT_FOUND");
        var named = files.Where(f => f.Text("name") == given).ToList();
        return named.Count switch
        {
            0 => throw CliError.Refused($"You have no uploaded file named '{given}' (cps file list shows yours)", "NOT_FOUND"),
            1 => named[0],
            _ => throw CliError.Refused(
                $"{named.Count} of your files are named '{given}': ambiguous, use the id (cps file list shows them)", "CONFLICT"),
        };
    }

    /// <summary>"1234 bytes".</summary>
    private static string Bytes(JsonNode? file) => $"{file.Text("size")} bytes";

    /// <summary>The size as people read it: 512 B, 1.5 KiB, 64.0 MiB.</summary>
    private static string Size(JsonNode? file)
    {
        if (!long.TryParse(file.Text("size"), out var bytes)) return file.Text("size") ?? "";
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024) return $"{bytes} B";
        double value = bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
