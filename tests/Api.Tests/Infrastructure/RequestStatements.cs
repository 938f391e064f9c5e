using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Conpaas.Api.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL commands one GraphQL request runs, found by the trace id the request carries: the request's own
/// activity carries the trace into the resolvers and handlers, and Npgsql starts one activity per command.
/// </summary>
public static class RequestStatements
{
    public static async Task<(List<string> Statements, JsonNode Data)> Of(DirectorApp app, string? token, string query, object? variables = null)
    {
        var trace = ActivityTraceId.CreateRandom();
        var commands = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.Source.Name == "Npgsql" && a.TraceId == trace)
                    commands.Enqueue((a.GetTagItem("db.query.text") ?? a.GetTagItem("db.statement"))?.ToString() ?? a.DisplayName);
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var http = app.Http();
        http.DefaultRequestHeaders.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        var data = await new GraphQLClient(http, token).Ok(query, variables);
        return ([.. commands], data);
    }
}
