using System.Text;

namespace Conpaas.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) =>
        Cli.Run(args, Console.Out, Console.Error, CpsSettings.DefaultDirectory, terminal: !Console.IsOutputRedirected,
            readSecret: Console.IsInputRedirected ? null : ReadSecret);

    /// <summary>Reads a line from the terminal without echoing it.</summary>
    private static string? ReadSecret(string prompt)
    {
        Console.Error.Write(prompt);
        var secret = new StringBuilder();
        while (Console.ReadKey(intercept: true) is var key && key.Key != ConsoleKey.Enter)
        {
            if (key.Key == ConsoleKey.Backspace) secret.Length = Math.Max(0, secret.Length - 1);
            else if (!char.IsControl(key.KeyChar)) secret.Append(key.KeyChar);
        }

        Console.Error.WriteLine();
        return secret.ToString();
    }
}
