using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Conpaas.Api.Tests.CloudAgents;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Hosting;

/// <summary>
/// Alone: OpenTelemetry's meter provider listens to every meter of its name in the process, so the hosts of tests
/// running meanwhile would add their numbers, and their VM gauge (the same instrument name) could hide this host's.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryAlone
{
    public const string Name = "telemetry, with no other host running";
}

/// <summary>A Director with a sim cloud whose /metrics is not open to loopback callers: tests sign in to read it.</summary>
public sealed class MetricsForAdminsOnly : LocalCloudApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Telemetry:MetricsOpenToLoopback"] = "false",
    };
}

[Collection(TelemetryAlone.Name)]
public sealed class TelemetryTests(MetricsForAdminsOnly app) : IClassFixture<MetricsForAdminsOnly>
{
    [Fact]
    public async Task metrics_move_with_a_scale_out_on_the_sim_cloud()
    {
        var admin = await app.Admin();
        var before = await Scrape(admin.Token);
        var user = await CloudUser.New(app);
        var id = await user.AddService(await user.CreateApplication());

        // The sim cloud's VMs are ready at once: a start and a scale-out are each one message chain, tracked.
        await app.Settled(() => user.Start(id, "sim"));
        await app.Settled(() => user.AddNodes(id, 2, "sim"));
        Assert.Equal("RUNNING", (await user.Service(id)).Str("state"));

        // The VM gauge is read at most every few seconds: wait for it to count this service's three VMs.
        var after = await Wait.Until(() => Scrape(admin.Token), m => Sum(m, "conpaas_vms", "cloud=\"sim\"", "state=\"RUNNING\"") >= 3,
            Wait.Short, "the VM gauge counts the three RUNNING VMs");
        Assert.True(Sum(after, "conpaas_vm_provisioning_duration_seconds_count") >= Sum(before, "conpaas_vm_provisioning_duration_seconds_count") + 3,
            "provisioning times of the three VMs");
        Assert.True(Sum(after, "conpaas_cloud_calls_total", "driver=\"sim\"", "operation=\"create\"") >=
                    Sum(before, "conpaas_cloud_calls_total", "driver=\"sim\"", "operation=\"create\"") + 3, "three creates at the sim cloud");
        Assert.True(Sum(after, "conpaas_graphql_operation_duration_seconds_count", "operation_type=\"mutation\"", "operation_field=\"addNodes\"") >
                    Sum(before, "conpaas_graphql_operation_duration_seconds_count", "operation_type=\"mutation\"", "operation_field=\"addNodes\""),
            "the addNodes mutation was timed");
    }

    [Fact]
    public async Task metrics_are_refused_to_a_user_who_is_no_administrator_and_hidden_from_anonymous_callers()
    {
        var user = await app.NewUser();
        Assert.Equal(HttpStatusCode.Forbidden, (await Get("/metrics", user.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/metrics", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/metrics", "not-a-token")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Get("/metrics", (await app.Admin()).Token)).StatusCode);
    }

    [Fact]
    public async Task an_open_subscription_and_the_frames_it_is_sent_are_counted()
    {
        var admin = await app.Admin();
        var user = await app.NewUser();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("""{"query":"subscription { events { sequence type } }"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var http = app.Http();
        using var stream = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        await using var body = await stream.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        using var reader = new StreamReader(body);

        var open = await Wait.Until(() => Scrape(admin.Token), m => Sum(m, "conpaas_subscriptions_open") >= 1, Wait.Short,
            "the SSE subscription is counted open");
        await user.Ok("mutation { createApplication(name: \"counted\") { id } }");
        string? line;
        do line = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
        while (line is not null && !line.StartsWith("event: next", StringComparison.Ordinal));

        Assert.NotNull(line);
        var after = await Wait.Until(() => Scrape(admin.Token), m => Sum(m, "conpaas_subscription_frames_total", "transport=\"sse\"") >= 1,
            Wait.Short, "the next frame sent over SSE is counted");
        Assert.True(Sum(open, "conpaas_subscriptions_open") >= 1);
        Assert.True(Sum(after, "conpaas_subscription_frames_total", "transport=\"sse\"") >= 1);
    }

    private async Task<HttpResponseMessage> Get(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await app.Http().SendAsync(request, TestContext.Current.CancellationToken);
    }

    private async Task<string> Scrape(string? token)
    {
        var response = await Get("/metrics", token);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"/metrics answered {(int)response.StatusCode}: {text}");
        return text;
    }

    /// <summary>The sum of a metric's samples (Prometheus text format) whose labels include all of <paramref name="labels"/>.</summary>
    internal static double Sum(string metrics, string name, params string[] labels) =>
        metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => labels.All(l => line.Contains(l, StringComparison.Ordinal)))
            .Sum(line => double.Parse(line.Split(' ')[^1].Split(' ')[0], CultureInfo.InvariantCulture));
}

/// <summary>A Director as it starts by default: /metrics open to callers on its machine; the split health endpoints.</summary>
[Collection(TelemetryAlone.Name)]
public sealed class HealthAndLoopbackTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    [Fact]
    public async Task metrics_answer_a_loopback_caller_without_a_token()
    {
        var response = await app.Http().GetAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("# TYPE", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/health")]
    public async Task health_endpoints_answer_healthy(string path)
    {
        var response = await app.Http().GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
