using System.Globalization;
using System.Text;

namespace Conpaas.Bench;

/// <summary>One measured quantity: the value of every repetition, reported as their median.</summary>
public sealed record Metric(string Label, string Unit, List<double> Runs, int Decimals = 0)
{
    public double Median => Stats.Median(Runs);
    public string Format(double v) => v.ToString("N" + Decimals, CultureInfo.InvariantCulture);
    public string MedianText => $"{(Label.Length > 0 ? Label + " " : "")}**{Format(Median)}** {Unit}".TrimEnd();
    public string RunsText => string.Join(" / ", Runs.Select(Format));
}

public sealed class Row(string id, string what)
{
    public string Id { get; } = id;
    public string What { get; } = what;
    public List<Metric> Metrics { get; } = [];
    public string? BaselineWhat { get; set; }
    public List<Metric> Baseline { get; } = [];
    public string Ratio { get; set; } = "–";
    public string Target { get; set; } = "";
    public bool? Met { get; set; }
    public string? NotMeasured { get; set; }
    public List<string> Notes { get; } = [];
}

public static class Report
{
    public static string Markdown(IReadOnlyList<Row> rows, BenchOptions o, Dictionary<string, string> machine, IReadOnlyList<string> notes)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# ConPaaS Director benchmark results");
        sb.AppendLine();
        sb.AppendLine($"- date: {machine["date"]}");
        sb.AppendLine($"- machine: `{machine["uname"]}`");
        sb.AppendLine($"- CPU: {machine["cpu"]}; **{machine["cores"]} cores** (Environment.ProcessorCount); memory {machine["memory"]}");
        sb.AppendLine($"- software: .NET {machine["dotnet"]}, PostgreSQL {machine["postgres"]}; Director build: {machine["build"]}");
        sb.AppendLine($"- scale: `{o.Scale}`; every figure is the median of **{o.Repetitions}** repetitions (each run's value listed after it); " +
                      $"throughput windows {o.Seconds.ToString(CultureInfo.InvariantCulture)} s after {o.WarmupSeconds.ToString(CultureInfo.InvariantCulture)} s of warm-up");
        sb.AppendLine($"- load average (1 min) at the start / end of the run: {machine["load"]} / {Machine.LoadAverage()} (other work on the machine shows here)");
        sb.AppendLine($"- command: `./bench.sh{(o.Scale == "full" ? "" : " --scale " + o.Scale)}`; the harness and the Director share the machine's cores");
        sb.AppendLine();
        sb.AppendLine("| id | what | result (median; runs) | baseline in the same run (median; runs) | ratio | target | met |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            var result = r.NotMeasured is { } why
                ? $"not measured: {why}"
                : string.Join("<br>", r.Metrics.Select(m => $"{m.MedianText} ({m.RunsText})"));
            var baseline = r.BaselineWhat is null
                ? "–"
                : $"{r.BaselineWhat}: " + string.Join("<br>", r.Baseline.Select(m => $"{m.MedianText} ({m.RunsText})"));
            var met = r.Met switch { true => "yes", false => "**no**", null => "–" };
            sb.AppendLine($"| {r.Id} | {r.What} | {result} | {baseline} | {r.Ratio} | {r.Target} | {met} |");
        }

        var rowNotes = rows.SelectMany(r => r.Notes.Select(n => $"- {r.Id}: {n}")).ToList();
        if (rowNotes.Count > 0 || notes.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Notes:");
            foreach (var n in rowNotes) sb.AppendLine(n);
            foreach (var n in notes) sb.AppendLine($"- {n}");
        }

        return sb.ToString();
    }
}
