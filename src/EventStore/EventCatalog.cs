using Conpaas.Domain;

namespace Conpaas.EventStore;

/// <summary>Every event type, and the names the API shows for them ("ServiceAdded", not Marten's "service_added").</summary>
public static class EventCatalog
{
    /// <summary>Every <see cref="IDomainEvent"/> of the domain, found in its assembly: a new event is catalogued by being declared.</summary>
    public static readonly Type[] All = typeof(IDomainEvent).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && t.IsAssignableTo(typeof(IDomainEvent)))
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .ToArray();

    /// <summary>The events that change aggregate <typeparamref name="T"/> (<see cref="IEvolves{T}"/>): what its inline projection is asked about.</summary>
    public static IEnumerable<Type> Evolving<T>() => All.Where(t => t.IsAssignableTo(typeof(IEvolves<T>)));

    private static readonly Dictionary<string, string> ByStoredName = All.ToDictionary(t => StoredName(t.Name), t => t.Name);

    /// <summary>Marten's type name for an event class: snake_case of the class name.</summary>
    public static string StoredName(string typeName) =>
        string.Concat(typeName.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    public static string PublicName(string storedName) => ByStoredName.GetValueOrDefault(storedName, storedName);

    /// <summary>Fields of event data that are secrets even in hashed form and never leave the Director.</summary>
    public static readonly string[] SecretFields = ["passwordHash", "tokenHash"];
}
