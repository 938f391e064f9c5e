using System.Diagnostics;
using Npgsql;

namespace Conpaas.Bench;

/// <summary>The PostgreSQL server of the run, and the databases the run creates on it (one per Director, one per raw baseline).</summary>
public sealed class Pg(string server, string runId, bool keep) : IAsyncDisposable
{
    private readonly List<string> _created = [];

    public string Server => server;

    public static async Task<string> LocateServer(BenchOptions o)
    {
        if (o.Server is { Length: > 0 } given) return given;
        foreach (var name in new[] { "CONPAAS_BENCH_DATABASE", "CONPAAS_TEST_DATABASE" })
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value) return value;

        var script = Path.Combine(Repo.Root, "scripts", "postgres.sh");
        await Run(script, "start");
        return (await Run(script, "url", ("CONPAAS_PG_DATABASE", "postgres"))).Trim();
    }

    /// <summary>A fresh database; its connection string uses the server's credentials.</summary>
    public async Task<string> CreateDatabase(string purpose)
    {
        var name = $"conpaas_bench_{runId}_{purpose}";
        await using (var conn = new NpgsqlConnection(server))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        lock (_created) _created.Add(name);
        return new NpgsqlConnectionStringBuilder(server) { Database = name, ApplicationName = null }.ConnectionString;
    }

    public async Task<string> Version()
    {
        await using var conn = new NpgsqlConnection(server);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("show server_version", conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        if (keep)
        {
            Log.Info($"Kept databases: {string.Join(", ", _created)}");
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(server);
        await conn.OpenAsync();
        foreach (var name in _created)
        {
            try
            {
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException ex)
            {
                Log.Info($"Could not drop {name}: {ex.Message}");
            }
        }
    }

    private static async Task<string> Run(string file, string args, params (string, string)[] env)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed: {await error}");
        return await output;
    }
}

public static class Repo
{
    /// <summary>The folder that holds Conpaas.Director.sln (for scripts/ and bench/results.md).</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Conpaas.Director.sln"))) return dir.FullName;
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Conpaas.Director.sln"))) return dir.FullName;
        throw new InvalidOperationException("Conpaas.Director.sln not found above " + AppContext.BaseDirectory);
    }
}
