using System.Globalization;

namespace Conpaas.Bench;

/// <summary>Every size of the run. `--scale smoke` is for the test suite (seconds), `--scale full` is the sizes.</summary>
public sealed class BenchOptions
{
    public string Scale { get; private set; } = "full";
    public int Repetitions { get; set; } = 3;
    /// <summary>Measured seconds of each throughput/latency window (P1, P2, raw inserts), after the warm-up.</summary>
    public double Seconds { get; set; } = 8;
    public double WarmupSeconds { get; set; } = 2;
    public int P1Clients { get; set; } = 16;
    public int RawConnections { get; set; } = 8;
    public int P2Clients { get; set; } = 4;
    public int P3Services { get; set; } = 100;
    public int P3Vms { get; set; } = 1000;
    public int P4Subscribers { get; set; } = 100;
    public int P4Rounds { get; set; } = 50;
    public int NotifySamples { get; set; } = 300;
    public int P5Events { get; set; } = 1_000_000;
    public int P6Events { get; set; } = 10_000;
    public int P6Queries { get; set; } = 20;
    public int P7Vms { get; set; } = 10_000;
    public int P8Services { get; set; } = 100;
    public int P8Vms { get; set; } = 1000;
    public int P10Applications { get; set; } = 20;
    /// <summary>How long P7 waits after the last VM is RUNNING before reading the RSS (one reconciliation round at least).</summary>
    public double P7SettleSeconds { get; set; } = 12;
    public HashSet<string> Only { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Connection string of a server where databases may be created; null: CONPAAS_BENCH_DATABASE, CONPAAS_TEST_DATABASE, scripts/postgres.sh.</summary>
    public string? Server { get; set; }
    /// <summary>Where the Markdown goes; "-" writes nothing. Default bench/results.md.</summary>
    public string? Out { get; set; }
    public string? DirectorDll { get; set; }
    public bool KeepDatabases { get; set; }
    /// <summary>Extra settings for every Director the run starts (experiments: `--director-env DOTNET_gcServer=0`).</summary>
    public Dictionary<string, string> DirectorEnvironment { get; } = [];

    public bool Runs(string id) => Only.Count == 0 || Only.Contains(id);

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        // --scale first, so that individual flags override its sizes whatever their order.
        for (var i = 0; i < args.Length - 1; i++)
            if (args[i] == "--scale") o.ApplyScale(args[i + 1]);

        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double Dbl() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (a)
            {
                case "--scale": Next(); break;
                case "--reps": o.Repetitions = Int(); break;
                case "--seconds": o.Seconds = Dbl(); break;
                case "--warmup": o.WarmupSeconds = Dbl(); break;
                case "--p1-clients": o.P1Clients = Int(); break;
                case "--raw-connections": o.RawConnections = Int(); break;
                case "--p2-clients": o.P2Clients = Int(); break;
                case "--p3-services": o.P3Services = Int(); break;
                case "--p3-vms": o.P3Vms = Int(); break;
                case "--p4-subscribers": o.P4Subscribers = Int(); break;
                case "--p4-rounds": o.P4Rounds = Int(); break;
                case "--notify-samples": o.NotifySamples = Int(); break;
                case "--p5-events": o.P5Events = Int(); break;
                case "--p6-events": o.P6Events = Int(); break;
                case "--p6-queries": o.P6Queries = Int(); break;
                case "--p7-vms": o.P7Vms = Int(); break;
                case "--p7-settle": o.P7SettleSeconds = Dbl(); break;
                case "--p8-services": o.P8Services = Int(); break;
                case "--p8-vms": o.P8Vms = Int(); break;
                case "--p10-applications": o.P10Applications = Int(); break;
                case "--only": foreach (var id in Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) o.Only.Add(id); break;
                case "--server": o.Server = Next(); break;
                case "--out": o.Out = Next(); break;
                case "--director": o.DirectorDll = Next(); break;
                case "--keep": o.KeepDatabases = true; break;
                case "--director-env":
                    var kv = Next().Split('=', 2);
                    if (kv.Length != 2) throw new ArgumentException("--director-env takes KEY=VALUE");
                    o.DirectorEnvironment[kv[0]] = kv[1];
                    break;
                case "-h" or "--help": throw new HelpRequested();
                default: throw new ArgumentException($"Unknown argument '{a}' (see --help)");
            }
        }

        if (o.Repetitions < 1) throw new ArgumentException("--reps must be at least 1");
        if (o.P3Vms < 2 * o.P3Services) throw new ArgumentException("--p3-vms must be at least 2 per service (a started helloworld service has 2 VMs)");
        if (o.P8Vms < 2 * o.P8Services) throw new ArgumentException("--p8-vms must be at least 2 per service (a started helloworld service has 2 VMs)");
        if (o.P7Vms < 20) throw new ArgumentException("--p7-vms must be at least 20");
        return o;
    }

    private void ApplyScale(string scale)
    {
        Scale = scale;
        switch (scale)
        {
            case "full":
                break;
            case "smoke":
                Repetitions = 2;
                Seconds = 1;
                WarmupSeconds = 0.5;
                P1Clients = 4;
                RawConnections = 2;
                P2Clients = 2;
                P3Services = 4;
                P3Vms = 20;
                P4Subscribers = 4;
                P4Rounds = 3;
                NotifySamples = 20;
                P5Events = 3_000;
                P6Events = 300;
                P6Queries = 3;
                P7Vms = 40;
                P7SettleSeconds = 1;
                P8Services = 2;
                P8Vms = 6;
                P10Applications = 3;
                break;
            default:
                throw new ArgumentException($"--scale must be smoke or full, not '{scale}'");
        }
    }

    public const string Usage = """
        Usage: ./bench.sh [--scale full|smoke] [--reps N] [--only P1,P3,...] [--out FILE|-] [size flags]
          --scale full     the issue's sizes (default); smoke: tiny sizes for the test suite
          --reps N         repetitions of every figure (median reported; default 3, smoke 2)
          --seconds S      measured seconds of each throughput window (default 8); --warmup S (default 2)
          --p1-clients N (16)  --raw-connections N (8)  --p2-clients N (4)
          --p3-services N (100)  --p3-vms N (1000)  --p4-subscribers N (100)  --p4-rounds N (50)  --notify-samples N (300)
          --p5-events N (1000000)  --p6-events N (10000)  --p6-queries N (20)  --p7-vms N (10000)  --p7-settle S (12)
          --p8-services N (100)  --p8-vms N (1000)
          --p10-applications N (20)
          --server CS      PostgreSQL connection string of a server where databases may be created
                           (default: CONPAAS_BENCH_DATABASE, else CONPAAS_TEST_DATABASE, else scripts/postgres.sh url)
          --out FILE       where the Markdown goes (default bench/results.md; '-' for none)
          --director DLL   the Director to run (default: Conpaas.Api.dll next to the harness)
          --keep           keep the databases the run created
          --director-env KEY=VALUE   an extra setting for every Director started (repeatable; for experiments)
        """;
}

public sealed class HelpRequested : Exception;
