using Conpaas.EventStore;
using JasperFx;
using JasperFx.CodeGeneration;
using Wolverine;
using Wolverine.Configuration;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;

namespace Conpaas.Api.Hosting;

/// <summary>How the mutations' commands run as Wolverine handlers (src/Api/&lt;Slice&gt;/&lt;Command&gt;.cs).</summary>
public static class CommandPolicies
{
    public static void ConfigureCommands(this WolverineOptions opts)
    {
        // The caller's name (CommandBus sets it on the bus) becomes the events' user name, as the request's correlation id does.
        opts.EnableRelayOfUserName = true;
        opts.Policies.Add<CommandChains>();
    }

    /// <summary>The commands' chains (their messages are this assembly's).</summary>
    private sealed class CommandChains : IHandlerPolicy
    {
        public void Apply(IReadOnlyList<HandlerChain> chains, GenerationRules rules, IServiceContainer container)
        {
            foreach (var chain in chains.Where(c => c.MessageType.Assembly == typeof(CommandPolicies).Assembly))
            {
                // A refusal (a DomainException) is an answer for the client, not a failure; the GraphQL error handler
                // logs whatever is unexpected.
                chain.FailureLogLevel = LogLevel.Debug;
                // A lost race for a stream's version, or a deadlock PostgreSQL broke by aborting this writer: the
                // command runs again on fresh state, at once and then spread out (InvokeAsync applies only the
                // immediate retries, so the cloud side's scheduled ones would never come). Fifty writers of one user's
                // stream at once all commit within these.
                chain.OnException<ConcurrencyException>().Or(PostgresErrors.IsDeadlock)
                    .RetryWithCooldown(Cooldowns).WithFullJitter();
            }
        }

        private static readonly TimeSpan[] Cooldowns = [.. new[] { 5, 10, 20, 40, 80, 160, 320, 640, 1000 }.Select(ms => TimeSpan.FromMilliseconds(ms))];
    }
}
