using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Subscriptions.Transport;
using GraphQL;
using GraphQL.Types;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Transport;

/// <summary>
/// GraphQL:ExecutionTimeout (issue 11): a query still running at the deadline is stopped and answered
/// SERVICE_UNAVAILABLE (HTTP 503); a subscription's stream outlives it.
/// </summary>
public sealed class DeadlineTests(DeadlineTests.DeadlineApp app) : IClassFixture<DeadlineTests.DeadlineApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A TEST-ONLY schema: a query field that never finishes by itself, and the test streams.</summary>
    public sealed class DeadlineApp : WsApp
    {
        protected override IReadOnlyDictionary<string, string?> Settings =>
            new Dictionary<string, string?>(base.Settings) { ["GraphQL:ExecutionTimeout"] = "00:00:01" };

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<StreamProbe>();
                services.AddSingleton<ISchema>(sp => new SlowSchema(sp));
            });
        }
    }

    public sealed class SlowSchema : Schema
    {
        public SlowSchema(IServiceProvider services) : base(services)
        {
            var query = new ObjectGraphType { Name = "Query" };
            query.Field<StringGraphType>("slow").ResolveAsync(async c =>
            {
                await Task.Delay(Timeout.Infinite, c.CancellationToken);
                return "never";
            });
            Query = query;
            Subscription = new TestSubscription(services.GetRequiredService<StreamProbe>());
        }
    }

    [Fact]
    public async Task a_query_past_the_deadline_is_stopped_with_service_unavailable()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        var clock = Stopwatch.StartNew();
        using var response = await http.PostAsync("/graphql",
            new StringContent(new JsonObject { ["query"] = "{ slow }" }.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Equal(503, (int)response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        var error = json["errors"]![0]!;
        Assert.Equal("SERVICE_UNAVAILABLE", error["extensions"]!["code"]!.GetValue<string>());
        Assert.Equal("EXECUTION_TIMEOUT", error["extensions"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_subscription_streams_past_the_deadline()
    {
        await using var client = await WsClient.Ready(app);
        await client.Subscribe("t", "subscription { ticks(count: 200) }"); // 10 ms apart: about 2 s, twice the deadline

        for (var i = 1; i <= 200; i++)
            Assert.Equal(i, (await client.Expect("next", "t")).Message!["payload"]!["data"]!["ticks"]!.GetValue<int>());
        await client.Expect("complete", "t");
    }
}
