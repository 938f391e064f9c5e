namespace Conpaas.Bench;

/// <summary>Progress goes to stderr; stdout carries only the table.</summary>
public static class Log
{
    private static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();

    public static void Info(string message) => Console.Error.WriteLine($"[{Clock.Elapsed.TotalSeconds,7:0.0}s] {message}");
}
