using Conpaas.Api.Tests.CloudAgents;
using Conpaas.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Conpaas.Api.Tests.Hosting;

/// <summary>The local cloud with everything the host logs kept, at the levels its configuration lets through.</summary>
public sealed class LoggedLocalCloud : LocalCloudApp
{
    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(l => l.AddProvider(Logs));
    }
}

/// <summary>What an operator reads in the log: failures, not the routine, and no alarm for races the Director expects.</summary>
[Collection(RealProcesses.Name)]
public sealed class LoggingTests(LoggedLocalCloud app) : IClassFixture<LoggedLocalCloud>
{
    [Fact]
    public async Task a_service_that_starts_and_runs_logs_no_error_and_no_line_per_readiness_check()
    {
        var user = await CloudUser.New(app);
        var id = await user.AddService(await user.CreateApplication());
        var before = app.Logs.Entries.Count;

        await user.Start(id);
        var running = await user.WaitFor(id, "RUNNING", Wait.Short);
        await user.Stop(id);
        await user.WaitFor(id, "STOPPED", Wait.Short);

        var logged = app.Logs.Entries.Skip(before).ToList();
        var errors = logged.Where(e => e.Level >= LogLevel.Error).ToList();
        Assert.True(errors.Count == 0, $"errors logged:\n{string.Join("\n", errors)}");
        // Each VM may say it started; checking whether it answers is routine and says nothing at info level.
        var info = logged.Where(e => e.Level == LogLevel.Information).ToList();
        Assert.True(info.Count <= running.LiveNodes().Count,
            $"{info.Count} info lines for {running.LiveNodes().Count} VMs:\n{string.Join("\n", info)}");
    }

    [Fact]
    public async Task writers_racing_for_one_name_log_no_error()
    {
        var user = await app.NewUser();
        var before = app.Logs.Entries.Count;

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            user.Send("mutation { createApplication(name: \"contested\") { id } }")));

        Assert.Single(answers, a => a.Errors is null);
        Assert.All(answers.Where(a => a.Errors is not null), a => Assert.Equal("CONFLICT", a.Errors![0]!["extensions"]!["code"]!.GetValue<string>()));
        var errors = app.Logs.Entries.Skip(before).Where(e => e.Level >= LogLevel.Warning).ToList();
        Assert.True(errors.Count == 0, $"lost races logged as failures:\n{string.Join("\n", errors.Select(e => e.ToString()[..Math.Min(300, e.ToString().Length)]))}");
    }
}
