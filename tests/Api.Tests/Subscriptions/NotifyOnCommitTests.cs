using System.Collections.Concurrent;
using Conpaas.Api.Tests.CloudAgents;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Domain.Users;
using Conpaas.EventStore;
using Conpaas.EventStore.Live;
using Marten;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Conpaas.Api.Tests.Subscriptions;

/// <summary>The commit notifier says when the NOTIFY that wakes the live feeds fails, once per outage, not at every commit.</summary>
public sealed class NotifyOnCommitTests
{
    [Fact]
    public async Task a_failing_notify_is_logged_once_as_a_warning_not_at_every_commit()
    {
        var cs = await TestDatabase.CreateDatabase("notify_fails");
        try
        {
            var log = new Recorder();
            // A channel PostgreSQL refuses by name: every NOTIFY fails, as it does while the database is unreachable.
            using var store = DocumentStore.For(o =>
            {
                DirectorStore.Configure(o, cs);
                o.Listeners.Add(new NotifyOnCommit("no such channel", log));
            });

            for (var i = 0; i < 5; i++)
            {
                await using var session = store.LightweightSession();
                var user = Guid.NewGuid();
                session.Events.StartStream<User>(user,
                    new UserRegistered(user, $"ann{i}", $"ann{i}@example.org", "hash", null, null, null, Role.USER, 50, DateTimeOffset.UtcNow));
                await session.SaveChangesAsync(Wait.Ct);
            }

            // Commits that land while a NOTIFY is on its way share the next one: five commits make two attempts at least.
            await Wait.Until(() => log.Entries.Count, n => n >= 2, Wait.Short, "two NOTIFY attempts");
            Assert.Single(log.Entries, e => e.Level == LogLevel.Warning);
            Assert.Equal(LogLevel.Warning, log.Entries.First().Level);
            Assert.All(log.Entries.Skip(1), e => Assert.Equal(LogLevel.Debug, e.Level));
            Assert.Contains("no such channel", log.Entries.First().Message);
        }
        finally
        {
            await TestDatabase.DropDatabase(cs);
        }
    }

    private sealed class Recorder : ILogger
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

        public IReadOnlyList<(LogLevel Level, string Message)> Entries => _entries.ToList();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
