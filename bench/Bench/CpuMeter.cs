using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Conpaas.Bench;

/// <summary>
/// CPU seconds spent over an interval by the Director process, by the PostgreSQL backends of its database and by this
/// harness: a coarse profile of where a figure's time goes on a machine where all three share the cores.
/// </summary>
public sealed class CpuMeter
{
    private readonly int _directorPid;
    private readonly string _cs;
    private double _director0, _harness0;
    private Dictionary<int, double> _backends0 = [];
    private long _commits0, _rollbacks0;

    private CpuMeter(int directorPid, string cs)
    {
        _directorPid = directorPid;
        _cs = cs;
    }

    public sealed record Reading(double Director, double Postgres, double Harness, long Commits, long Rollbacks)
    {
        public string PerUnit(double units, string unit) =>
            string.Format(CultureInfo.InvariantCulture, "CPU per {0}: Director {1:0.00} ms, PostgreSQL backends {2:0.00} ms, harness {3:0.00} ms",
                unit, Director * 1000 / units, Postgres * 1000 / units, Harness * 1000 / units);
    }

    public static async Task<CpuMeter> Start(int directorPid, string cs)
    {
        var meter = new CpuMeter(directorPid, cs);
        meter._director0 = Seconds(directorPid) ?? 0;
        meter._harness0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        (meter._backends0, meter._commits0, meter._rollbacks0) = await meter.Backends();
        return meter;
    }

    public async Task<Reading> Stop()
    {
        var director = (Seconds(_directorPid) ?? 0) - _director0;
        var harness = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - _harness0;
        var (backends, commits, rollbacks) = await Backends();
        // A backend that ended in between is missed; the Director's pool keeps its connections, so few do.
        var postgres = backends.Sum(b => b.Value - _backends0.GetValueOrDefault(b.Key));
        return new Reading(director, postgres, harness, commits - _commits0, rollbacks - _rollbacks0);
    }

    private async Task<(Dictionary<int, double>, long, long)> Backends()
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_cs) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        var result = new Dictionary<int, double>();
        await using (var cmd = new NpgsqlCommand("select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()", conn))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync())
                if (Seconds(r.GetInt32(0)) is { } s)
                    result[r.GetInt32(0)] = s;
        // Transaction counts lag by up to a second or so (PostgreSQL 15 flushes backend statistics in intervals).
        await using var stats = new NpgsqlCommand("select xact_commit, xact_rollback from pg_stat_database where datname = current_database()", conn);
        await using var s2 = await stats.ExecuteReaderAsync();
        await s2.ReadAsync();
        return (result, s2.GetInt64(0), s2.GetInt64(1));
    }

    /// <summary>utime + stime of a process, from /proc/&lt;pid&gt;/stat (clock ticks of 1/100 s).</summary>
    public static double? Seconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
