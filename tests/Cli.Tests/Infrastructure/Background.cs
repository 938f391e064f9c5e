using Xunit;

namespace Conpaas.Cli.Tests.Infrastructure;

/// <summary>
/// A cps command left running (watch, events --follow) in a shell, its output read while it runs, as through a pipe.
/// Dispose stops it (as Ctrl-C would) if it is still running.
/// </summary>
public sealed class Background : IAsyncDisposable
{
    private readonly StringWriter _out = new(), _err = new();
    private readonly TextWriter _syncOut, _syncErr;
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public Background(Cps shell, params string[] args)
    {
        _syncOut = TextWriter.Synchronized(_out);
        _syncErr = TextWriter.Synchronized(_err);
        Exit = Task.Run(() => Conpaas.Cli.Cli.Run(args, _syncOut, _syncErr, shell.ConfigDirectory, name => shell.Environment.GetValueOrDefault(name),
            ct: _stop.Token));
    }

    public Task<int> Exit { get; }

    public string Out
    {
        get { lock (_syncOut) return _out.ToString(); }
    }

    public string Err
    {
        get { lock (_syncErr) return _err.ToString(); }
    }

    /// <summary>Waits (at most a minute) until the output satisfies <paramref name="seen"/>: what cps prints is no
    /// Wolverine message to track.</summary>
    public Task<string> WaitFor(Func<string, bool> seen, string what) =>
        Wait.Until(() => Out, seen, TimeSpan.FromMinutes(1), what,
            _ => Exit.IsCompleted ? $"cps ended (exit {Exit.Result})" : null, () => $"\n--- stderr\n{Err}");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Exit;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
