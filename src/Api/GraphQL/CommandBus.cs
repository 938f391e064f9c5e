using Conpaas.Api.Identity;
using GraphQL;
using Wolverine;

namespace Conpaas.Api.GraphQL;

/// <summary>The resolver's half of a mutation: the signed-in caller's command, run by its Wolverine handler.</summary>
public static class CommandBus
{
    /// <summary>Invokes the command for the signed-in caller (UNAUTHENTICATED otherwise) and answers the handler's response.</summary>
    public static async Task<T> Invoke<T>(this IResolveFieldContext c, Func<Actor, object> command)
    {
        var (bus, message) = Address(c, command);
        return await bus.InvokeAsync<T>(message, c.CancellationToken);
    }

    /// <summary>A command whose mutation answers true once it is done.</summary>
    public static async Task<bool> Invoke(this IResolveFieldContext c, Func<Actor, object> command)
    {
        var (bus, message) = Address(c, command);
        await bus.InvokeAsync(message, c.CancellationToken);
        return true;
    }

    /// <summary>A command that needs no signed-in caller (register): its handler names the user it creates as the actor.</summary>
    public static async Task<T> InvokeAnonymous<T>(this IResolveFieldContext c, object command) =>
        await c.Get<Caller>().Stamp(c.Get<IMessageContext>()).InvokeAsync<T>(command, c.CancellationToken);

    /// <summary>The handler's session stamps the events with the request's correlation id and the caller's name.</summary>
    private static (IMessageContext, object) Address(IResolveFieldContext c, Func<Actor, object> command)
    {
        var caller = c.Get<Caller>();
        var actor = Actor.Of(caller.RequireUser());
        var bus = c.Get<IMessageContext>();
        bus.CorrelationId = caller.CorrelationId;
        bus.UserName = actor.Name;
        return (bus, command(actor));
    }
}
