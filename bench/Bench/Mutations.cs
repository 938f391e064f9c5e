using System.Diagnostics;

namespace Conpaas.Bench;

/// <summary>P1 and P2: authenticated createApplication + renameApplication over HTTP, each client with its own user and token.</summary>
public static class Mutations
{
    public sealed record Result(double PerSecond, List<double> LatenciesMs, int Errors, int Total);

    public static async Task<Result> Run(Gql gql, IReadOnlyList<string> tokens, int clients, double warmup, double seconds, string tag)
    {
        if (tokens.Count < clients) throw new ArgumentException("one token per client");
        long measureFrom = 0, measureTo = 0;
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var latencies = new List<double>[clients];
        var errors = 0;
        var total = 0;
        var workers = Enumerable.Range(0, clients).Select(async c =>
        {
            var mine = latencies[c] = new List<double>(4096);
            var token = tokens[c];
            await go.Task;
            for (var n = 0; Stopwatch.GetTimestamp() < measureTo; n++)
            {
                try
                {
                    var t0 = Stopwatch.GetTimestamp();
                    var id = await gql.CreateApp(token, $"{tag}-c{c}-{n}");
                    var t1 = Stopwatch.GetTimestamp();
                    if (t1 >= measureFrom && t1 < measureTo) mine.Add(Stats.Ms(t0, t1));
                    Interlocked.Increment(ref total);
                    await gql.RenameApp(token, id, $"{tag}-c{c}-{n}-renamed");
                    var t2 = Stopwatch.GetTimestamp();
                    if (t2 >= measureFrom && t2 < measureTo) mine.Add(Stats.Ms(t1, t2));
                    Interlocked.Increment(ref total);
                }
                catch (GqlException ex)
                {
                    if (Interlocked.Increment(ref errors) <= 3) Log.Info($"  mutation failed: {ex.Message}");
                }
            }
        }).ToList();

        var start = Stopwatch.GetTimestamp();
        measureFrom = start + (long)(warmup * Stopwatch.Frequency);
        measureTo = measureFrom + (long)(seconds * Stopwatch.Frequency);
        go.SetResult();
        await Task.WhenAll(workers);
        var all = latencies.SelectMany(l => l).ToList();
        return new Result(all.Count / seconds, all, errors, total);
    }
}
