using System.Collections.Concurrent;
using System.Diagnostics;

namespace Conpaas.Bench;

/// <summary>
/// P3 (and the P7 fill, and P8 on the ec2 cloud): helloworld services on a cloud (sim unless told) started and scaled
/// out over GraphQL, timed from the first startService until every VM is RUNNING. A started helloworld service holds
/// 2 VMs (manager + 1 node); once it is RUNNING, addNodes brings it to its share. A service is done when it is RUNNING
/// again after the addNodes.
/// </summary>
public static class VmRamp
{
    public const int ServicesPerApplication = 25; // the default VPN plan has 32 service subnets per application

    public sealed record Setup(string Token, List<string> Applications, List<string> Services);

    public sealed record Result(int Vms, double Seconds, double VmsPerSecond, int Mutations, int Polls);

    /// <summary>Applications (≤25 services each) and helloworld services in INIT; not timed.</summary>
    public static async Task<Setup> Prepare(Gql gql, string token, int services, string tag)
    {
        var apps = new List<string>();
        for (var a = 0; a * ServicesPerApplication < services; a++) apps.Add(await gql.CreateApp(token, $"{tag}-app{a}"));
        var ids = new ConcurrentDictionary<int, string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, services), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (s, _) =>
            ids[s] = await gql.AddService(token, apps[s / ServicesPerApplication]));
        return new Setup(token, apps, Enumerable.Range(0, services).Select(s => ids[s]).ToList());
    }

    public static async Task<Result> Run(Gql gql, Setup setup, int totalVms, TimeSpan pollInterval, TimeSpan timeout, int concurrency = 16,
        string cloud = "sim", string row = "P3")
    {
        var services = setup.Services;
        // Spread the VMs: every service gets at least 2, the rest goes round-robin.
        var share = services.Select((_, i) => totalVms / services.Count + (i < totalVms % services.Count ? 1 : 0)).ToArray();
        var phase = new int[services.Count];            // 0 start sent, 1 started, 2 scaling, 3 done
        var answeredAt = new long[services.Count];      // when the last mutation for it was answered
        var index = services.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var mutations = 0;
        var polls = 0;
        using var gate = new SemaphoreSlim(concurrency);
        var pending = new List<Task>();
        Exception? failure = null;

        async Task Mutate(int i, Func<Task> call, int nextPhase)
        {
            await gate.WaitAsync();
            try
            {
                await call();
                Interlocked.Increment(ref mutations);
                Volatile.Write(ref answeredAt[i], Stopwatch.GetTimestamp());
                Volatile.Write(ref phase[i], nextPhase);
            }
            catch (Exception ex)
            {
                failure ??= ex;
            }
            finally
            {
                gate.Release();
            }
        }

        var t0 = Stopwatch.GetTimestamp();
        for (var i = 0; i < services.Count; i++)
        {
            var s = i;
            pending.Add(Mutate(s, () => gql.StartService(setup.Token, services[s], cloud), 1));
        }

        var deadline = t0 + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        long end = 0;
        while (true)
        {
            if (failure is not null) throw new InvalidOperationException($"{row}: a mutation failed", failure);
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"{row}: not every VM was RUNNING within {timeout}: phases {string.Join(",", phase.GroupBy(p => p).Select(g => $"{g.Key}:{g.Count()}"))}");
            var pollStart = Stopwatch.GetTimestamp();
            var states = new ConcurrentDictionary<string, string>();
            await Parallel.ForEachAsync(setup.Applications, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (app, ct) =>
            {
                foreach (var (id, state) in await gql.ServiceStates(setup.Token, app, ct)) states[id] = state;
            });
            polls++;
            foreach (var (id, state) in states)
            {
                if (!index.TryGetValue(id, out var i)) continue;
                if (state is "ERROR" or "STOPPED") throw new InvalidOperationException($"{row}: service {id} is {state}");
                // Only a poll that began after the mutation was answered says anything about its outcome.
                if (state != "RUNNING" || Volatile.Read(ref answeredAt[i]) > pollStart) continue;
                switch (Volatile.Read(ref phase[i]))
                {
                    case 1 when share[i] > 2:
                        phase[i] = -1; // in flight
                        var s = i;
                        pending.Add(Mutate(s, () => gql.AddNodes(setup.Token, services[s], share[s] - 2), 2));
                        break;
                    case 1 or 2:
                        phase[i] = 3;
                        break;
                }
            }

            if (phase.All(p => p == 3))
            {
                end = Stopwatch.GetTimestamp(); // when the harness learned it: at most one poll late, never early
                break;
            }

            await Task.Delay(pollInterval);
        }

        await Task.WhenAll(pending);
        var seconds = Stats.Ms(t0, end) / 1000.0;

        // Check with the VM list itself: every VM of these applications is RUNNING.
        var running = 0;
        foreach (var app in setup.Applications)
        {
            var vms = await gql.VmStates(setup.Token, app);
            running += vms.Count(v => v == "RUNNING");
            if (vms.Any(v => v != "RUNNING")) throw new InvalidOperationException($"{row}: VMs not RUNNING in {app}: {string.Join(",", vms.Distinct())}");
        }

        if (running != totalVms) throw new InvalidOperationException($"{row}: {running} VMs RUNNING, expected {totalVms}");
        return new Result(running, seconds, running / seconds, mutations, polls);
    }
}
