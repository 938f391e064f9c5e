using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Conpaas.Bench;

/// <summary>
/// The dashboard's figures (P9, P10), read from a running Director as a browser sees it: the assets its pages name,
/// and Debian's Chromium (Playwright's own browser download is not reachable here) loading the applications page.
/// </summary>
public static partial class DashboardFigures
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>The script and style a page names, and their total size gzipped (level 6, as nginx and most servers send).</summary>
    public static async Task<(long Raw, long Gzip, int Files)> PageWeight(Uri director, string page)
    {
        using var http = new HttpClient { BaseAddress = director };
        var html = await http.GetStringAsync(page);
        var assets = Asset().Matches(html).Select(m => m.Groups[1].Value).Distinct().ToList();
        if (assets.Count == 0) throw new InvalidOperationException($"{page} names no asset: is the dashboard built (scripts/web.sh)?");
        long raw = 0, gzip = 0;
        foreach (var asset in assets)
        {
            var bytes = await http.GetByteArrayAsync(asset);
            raw += bytes.Length;
            using var buffer = new MemoryStream();
            await using (var z = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) await z.WriteAsync(bytes);
            gzip += buffer.Length;
        }

        return (raw, gzip, assets.Count);
    }

    /// <summary>
    /// Milliseconds from navigation start to the first frame in which the applications page shows its list (polled on
    /// every animation frame in the page, so the figure is the page's own clock, not the harness's round trips), for
    /// a signed-in user with <paramref name="applications"/> applications; and the same browser's load of a static
    /// text page from the same Director (the floor: connection, request, one paint). A fresh browser context each
    /// time, so nothing is cached.
    /// </summary>
    public static async Task<(List<double> Page, List<double> Floor)> Paint(Uri director, string username, string password, int repetitions)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        var page = new List<double>();
        var floor = new List<double>();
        for (var i = 0; i < repetitions + 1; i++) // the first is a warm-up (the Director's first requests, the browser's start)
        {
            await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = director.ToString() });
            var signIn = await context.APIRequest.PostAsync("/session", new APIRequestContextOptions
            {
                Headers = new Dictionary<string, string> { ["X-Conpaas-Csrf"] = "1" },
                DataObject = new { username, password },
            });
            if (!signIn.Ok) throw new InvalidOperationException($"POST /session answered {signIn.Status}");
            var tab = await context.NewPageAsync();
            await tab.GotoAsync("/", new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            var shown = await tab.WaitForFunctionAsync(
                "() => document.querySelector('ul[aria-label=Applications] li') ? performance.now() : 0",
                null, new PageWaitForFunctionOptions { PollingInterval = null, Timeout = 30_000 });
            var ms = await shown.JsonValueAsync<double>();

            var staticTab = await context.NewPageAsync();
            await staticTab.GotoAsync("/graphql/schema.graphql", new PageGotoOptions { WaitUntil = WaitUntilState.Load });
            var loaded = await staticTab.EvaluateAsync<double>("() => performance.getEntriesByType('navigation')[0].loadEventEnd");
            if (i == 0) continue;
            page.Add(ms);
            floor.Add(loaded);
            Log.Info($"P10 rep {i}: applications page shown after {ms:0} ms; a static page loaded after {loaded:0} ms");
        }

        return (page, floor);
    }

    [GeneratedRegex("(?:src|href|content)=\"(/assets/[^\"]+\\.(?:js|css))\"")]
    private static partial Regex Asset();
}
