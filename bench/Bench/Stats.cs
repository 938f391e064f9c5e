namespace Conpaas.Bench;

public static class Stats
{
    public static double Median(IReadOnlyList<double> values) => Percentile(values, 50);

    /// <summary>Linear interpolation between closest ranks (the same as numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.OrderBy(v => v).ToArray();
        var rank = p / 100.0 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static double Ms(long fromTimestamp, long toTimestamp) =>
        (toTimestamp - fromTimestamp) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;

    public static double SecondsSince(long fromTimestamp) =>
        (System.Diagnostics.Stopwatch.GetTimestamp() - fromTimestamp) / (double)System.Diagnostics.Stopwatch.Frequency;
}
