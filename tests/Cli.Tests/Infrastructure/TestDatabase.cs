using System.Diagnostics;
using Npgsql;

namespace Conpaas.Cli.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server for the tests: CONPAAS_TEST_DATABASE when set, else the project's own server
/// (scripts/postgres.sh). Each fixture gets a database of its own.
/// </summary>
public static class TestDatabase
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _server;

    public static async Task<string> CreateDatabase(string purpose)
    {
        var server = await Server();
        var name = $"conpaas_test_{purpose.ToLowerInvariant()}_{Guid.NewGuid():N}"[..50];
        await using var conn = new NpgsqlConnection(server);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
        await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = true, MaxPoolSize = 40 }.ConnectionString;
    }

    public static async Task DropDatabase(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(await Server());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<string> Server()
    {
        await Gate.WaitAsync();
        try
        {
            return _server ??= await Locate();
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> Locate()
    {
        if (Environment.GetEnvironmentVariable("CONPAAS_TEST_DATABASE") is { Length: > 0 } given) return given;
        var script = Path.Combine(Repo.Root, "scripts", "postgres.sh");
        await Run(script, "start");
        return (await Run(script, "url", ("CONPAAS_PG_DATABASE", "postgres"))).Trim();
    }

    private static async Task<string> Run(string file, string args, params (string, string)[] env)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed: {error}");
        return output;
    }
}

public static class Repo
{
    /// <summary>The folder that holds Conpaas.Director.sln.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Conpaas.Director.sln"))) return dir.FullName;
        throw new InvalidOperationException("Conpaas.Director.sln not found above " + AppContext.BaseDirectory);
    }
}
