using System.Collections;
using System.Text.Json.Nodes;
using Xunit;

namespace Conpaas.Api.Tests.Infrastructure;

/// <summary>
/// The one bounded wait of the test suites, for what a Wolverine tracked session cannot see: a real process booting,
/// a subscription frame, a fake cloud, a timer of the Director (the reconciler, the charger). Every wait names what
/// it waits for and shows the last thing it saw. What a mutation sets off as Wolverine messages is awaited as a
/// tracked session instead (<c>Tracked.Settled</c>).
/// </summary>
public static class Wait
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static readonly TimeSpan Short = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    /// <summary>A read over the network (GraphQL, HTTP, a cloud driver) is repeated every 250 ms.</summary>
    private static readonly TimeSpan ReadEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>A condition on this process's memory is cheap: checked every 20 ms.</summary>
    private static readonly TimeSpan CheckEvery = TimeSpan.FromMilliseconds(20);

    /// <summary>Reads until <paramref name="done"/>; <paramref name="failFast"/> names a state that will not get better,
    /// <paramref name="show"/> what else a failure shows (a process's output).</summary>
    public static Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what, Func<T, string?>? failFast = null,
        Func<string>? show = null) =>
        Repeat(read, done, timeout, what, failFast, ReadEvery, show);

    /// <summary>The same for a value of this process's memory or files (a command's output so far, /proc), which is cheap
    /// to read: checked every 20 ms.</summary>
    public static Task<T> Until<T>(Func<T> read, Func<T, bool> done, TimeSpan timeout, string what, Func<T, string?>? failFast = null,
        Func<string>? show = null) =>
        Repeat(() => Task.FromResult(read()), done, timeout, what, failFast, CheckEvery, show);

    public static Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        Repeat(condition, ok => ok, timeout, what, null, ReadEvery, null);

    /// <summary>Every 250 ms too: what the cloud tests check this way (/proc, a fake cloud's machines) is a scan.</summary>
    public static Task Eventually(Func<bool> condition, TimeSpan timeout, string what) =>
        Repeat(() => Task.FromResult(condition()), ok => ok, timeout, what, null, ReadEvery, null);

    /// <summary>A condition on this process's memory (a counter, a list a handler fills), 15 s unless told.</summary>
    public static Task Until(Func<bool> condition, string what, TimeSpan? within = null) =>
        Repeat(() => Task.FromResult(condition()), ok => ok, within ?? TimeSpan.FromSeconds(15), what, null, CheckEvery, null);

    private static async Task<T> Repeat<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what, Func<T, string?>? failFast,
        TimeSpan every, Func<string>? show)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var last = await read();
            if (done(last)) return last;
            if (failFast?.Invoke(last) is { } broken) Assert.Fail($"{what}: gave up early, {broken}; last seen: {Describe(last)}{show?.Invoke()}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"{what}: not within {timeout.TotalSeconds:0} s; last seen: {Describe(last)}{show?.Invoke()}");
            await Task.Delay(every, Ct);
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        JsonNode node => node.ToJsonString(),
        string s => s,
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Describe)) + "]",
        _ => value.ToString() ?? "",
    };

    public static void Log(string line) => TestContext.Current.TestOutputHelper?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
}
