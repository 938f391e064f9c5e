using System.Collections.Concurrent;
using System.Text.Json;
using Conpaas.Api.Identity;
using Conpaas.Api.Subscriptions;
using Conpaas.Api.Tests.Infrastructure;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Subscriptions;

/// <summary>The live feed and the subscription resolvers, executed in-process against the real host and database.</summary>
public sealed class LiveFeedTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task the_feed_hands_out_every_committed_event_once_and_in_order_while_writers_race()
    {
        var app = nodes.First;
        var feed = app.Services.GetRequiredService<EventFeed>();
        var subscriber = await feed.Subscribe(_ => true, Ct);
        try
        {
            var users = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => app.NewUser()));
            // Writers race each other, and some of their transactions fail (name conflicts), burning sequence numbers.
            await Task.WhenAll(users.SelectMany(u => Enumerable.Range(0, 15).Select(i =>
                u.Send("mutation($n: String!) { createApplication(name: $n) { id } }", new { n = $"app-{i % 12}" }))));

            var store = app.Services.GetRequiredService<IDocumentStore>();
            await using var session = store.QuerySession();
            // Marten fills numbers burnt by failed appends with tombstones, written later; they are not events.
            var expected = (await session.Events.QueryAllRawEvents().Where(e => e.Sequence > subscriber.StartPosition && e.EventTypeName != "tombstone")
                .OrderBy(e => e.Sequence).Select(e => e.Sequence).ToListAsync(Ct)).ToList();

            var received = new List<long>();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                while (received.Count < expected.Count)
                    received.Add((await subscriber.Reader.ReadAsync(timeout.Token)).Event.Sequence);
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                Assert.Fail($"received {received.Count} of {expected.Count}; first missing: {expected.Except(received).FirstOrDefault()}, "
                            + $"last received: {received.LastOrDefault()}, start {subscriber.StartPosition}, first expected {expected.FirstOrDefault()}");
            }

            Assert.Equal(expected, received);
        }
        finally
        {
            feed.Unsubscribe(subscriber);
        }
    }

    [Fact]
    public async Task an_event_committed_before_subscribing_is_never_handed_out_as_news()
    {
        // The feed hears of a commit a moment after it: a subscriber arriving in that moment must still start after it.
        var app = nodes.First;
        var feed = app.Services.GetRequiredService<EventFeed>();
        var user = await app.NewUser();
        var store = app.Services.GetRequiredService<IDocumentStore>();
        for (var i = 0; i < 20; i++)
        {
            await user.Ok("mutation($n: String!) { createApplication(name: $n) { id } }", new { n = $"before-{i}" });
            await using (var session = store.QuerySession())
            {
                var committed = await session.Events.QueryAllRawEvents().MaxAsync(e => e.Sequence, Ct);
                var subscriber = await feed.Subscribe(_ => true, Ct);
                feed.Unsubscribe(subscriber);
                Assert.True(subscriber.StartPosition >= committed, $"round {i}: the subscriber starts at {subscriber.StartPosition}, before {committed}, committed before it subscribed");
            }
        }
    }

    [Fact]
    public async Task the_events_subscription_catches_up_then_goes_live_without_gap_or_duplicate()
    {
        var app = nodes.First;
        var user = await app.NewUser();
        var first = (await user.Ok("mutation { createApplication(name: \"before\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        var history = await user.Ok("query($id: ID!) { history(entityId: $id) { events { sequence } } }", new { id = first });
        var resumeFrom = history["history"]!["events"]![0]!["sequence"]!.GetValue<long>() - 1;

        // Writers keep appending while the subscription catches up and switches to live.
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 40; i++)
                await user.Send("mutation($n: String!) { createApplication(name: $n) { id } }", new { n = $"during-{i}" });
        }, Ct);

        var seen = new ConcurrentQueue<long>();
        using var subscription = await Subscribe(app, user, "subscription($a: Long) { events(after: $a) { sequence type } }", new { a = resumeFrom },
            data => seen.Enqueue(data.GetProperty("events").GetProperty("sequence").GetInt64()));
        await writer;
        await user.Ok("mutation { createApplication(name: \"after\") { id } }");

        var all = await AllMySequences(app, user, resumeFrom);
        // A subscription frame is no Wolverine message to track: the shared bounded wait.
        await Wait.Until(() => seen.Count >= all.Count, "every event seen by the subscriber", Wait.Short);
        Assert.Equal(all, seen.ToList());
    }

    [Fact]
    public async Task a_change_made_through_one_node_reaches_a_subscriber_of_the_other()
    {
        var user = await nodes.First.NewUser();
        var onSecond = nodes.Second.Client(user.Token);
        var seen = new ConcurrentQueue<string>();
        using var subscription = await Subscribe(nodes.Second, onSecond, "subscription { events { type data } }", null,
            data => seen.Enqueue(data.GetProperty("events").GetProperty("type").GetString()!));

        await user.Ok("mutation { createApplication(name: \"cross-node\") { id } }");
        await Wait.Until(() => seen.Contains("ApplicationCreated"), "the other node's subscriber sees the change", Wait.Short);
    }

    [Fact]
    public async Task a_subscriber_never_receives_another_users_events()
    {
        var app = nodes.First;
        var ann = await app.NewUser();
        var bob = await app.NewUser();
        var annSees = new ConcurrentQueue<string>();
        using var subscription = await Subscribe(app, ann, "subscription { events { streamId type data } }", null,
            data => annSees.Enqueue(data.GetProperty("events").GetProperty("data").GetRawText()));

        for (var i = 0; i < 5; i++)
        {
            await bob.Ok("mutation($n: String!) { createApplication(name: $n) { id } }", new { n = $"bob-{i}" });
            await ann.Ok("mutation($n: String!) { createApplication(name: $n) { id } }", new { n = $"ann-{i}" });
        }

        await Wait.Until(() => annSees.Count(d => d.Contains("ann-")) >= 5, "ann sees her five applications", Wait.Short);
        Assert.DoesNotContain(annSees, d => d.Contains("bob-"));
    }

    [Fact]
    public async Task logging_out_ends_the_sessions_subscriptions()
    {
        var app = nodes.First;
        var user = await app.NewUser();
        var errors = new ConcurrentQueue<string>();
        using var subscription = await Subscribe(app, user, "subscription { events { type } }", null, _ => { }, errors.Enqueue);
        await user.Ok("mutation { logout }");
        await Wait.Until(() => errors.Any(e => e.Contains("UNAUTHENTICATED") || e.Contains("session ended")), "the subscription ended", Wait.Short);
    }

    private static async Task<List<long>> AllMySequences(DirectorApp app, GraphQLClient user, long after)
    {
        var all = new List<long>();
        string? cursor = null;
        do
        {
            var page = (await user.Ok("query($a: String) { auditLog(first: 1000, after: $a) { events { sequence } nextCursor } }", new { a = cursor }))["auditLog"]!;
            all.AddRange(page["events"]!.AsArray().Select(e => e!["sequence"]!.GetValue<long>()).Where(s => s > after));
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);

        return all;
    }

    /// <summary>Executes a subscription the way a transport does: its own scope, the caller signed in, the stream observed.</summary>
    private static async Task<IDisposable> Subscribe(DirectorApp app, GraphQLClient client, string query, object? variables,
        Action<JsonElement> onData, Action<string>? onError = null)
    {
        var scope = app.Services.CreateAsyncScope();
        var caller = scope.ServiceProvider.GetRequiredService<Caller>();
        await scope.ServiceProvider.GetRequiredService<Authenticator>().Authenticate("Bearer " + client.Token, caller, Ct);
        var serializer = scope.ServiceProvider.GetRequiredService<IGraphQLTextSerializer>();
        var result = await scope.ServiceProvider.GetRequiredService<IDocumentExecuter<ISchema>>().ExecuteAsync(new ExecutionOptions
        {
            Query = query,
            Variables = variables is null ? null : serializer.Deserialize<Inputs>(JsonSerializer.Serialize(variables)),
            RequestServices = scope.ServiceProvider,
        });
        Assert.True(result.Streams is { Count: 1 }, serializer.Serialize(result));
        var stream = result.Streams!.Values.Single().Subscribe(new Observer(serializer, onData, onError ?? (_ => { })));
        return new Both(stream, scope);
    }

    private sealed class Observer(IGraphQLTextSerializer serializer, Action<JsonElement> onData, Action<string> onError) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value)
        {
            using var json = JsonDocument.Parse(serializer.Serialize(value));
            if (json.RootElement.TryGetProperty("errors", out var errors)) onError(errors.GetRawText());
            if (json.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object) onData(data.Clone());
        }

        public void OnError(Exception error) => onError(error.Message);

        public void OnCompleted()
        {
        }
    }

    private sealed class Both(IDisposable stream, AsyncServiceScope scope) : IDisposable
    {
        public void Dispose()
        {
            stream.Dispose();
            _ = scope.DisposeAsync();
        }
    }
}
