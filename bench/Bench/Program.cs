using Conpaas.Bench;

try
{
    // --profile-p5 [variant,...]: the P5 rebuild broken down, under the product's configuration and Marten's rebuild options.
    var profile = Array.IndexOf(args, "--profile-p5");
    if (profile >= 0)
    {
        var variants = profile + 1 < args.Length && !args[profile + 1].StartsWith('-') ? args[profile + 1].Split(',') : [];
        var rest = args.Where((_, i) => i != profile && (variants.Length == 0 || i != profile + 1)).ToArray();
        return await Profile.Run(BenchOptions.Parse(rest), variants);
    }

    return await Harness.Run(BenchOptions.Parse(args));
}
catch (HelpRequested)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"bench: {ex.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
