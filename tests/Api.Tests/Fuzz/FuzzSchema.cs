using GraphQLParser;
using GraphQLParser.AST;

namespace Conpaas.Api.Tests.Fuzz;

/// <summary>
/// The schema the running host serves (/graphql/schema.graphql), read with GraphQL-Parser: the fuzzer takes its
/// operations and argument types from it, so every argument of every field is attacked and new ones are too.
/// </summary>
public sealed class FuzzSchema
{
    private readonly Dictionary<string, GraphQLTypeDefinition> _types;

    public FuzzSchema(string sdl) =>
        _types = Parser.Parse(sdl).Definitions.OfType<GraphQLTypeDefinition>().ToDictionary(t => t.Name.StringValue);

    public IReadOnlyList<GraphQLFieldDefinition> Fields(string root) =>
        _types.TryGetValue(root, out var t) && t is GraphQLObjectTypeDefinition o ? [.. o.Fields?.Items ?? []] : [];

    public static IReadOnlyList<GraphQLInputValueDefinition> Arguments(GraphQLFieldDefinition field) => [.. field.Arguments?.Items ?? []];

    public static string Name(GraphQLFieldDefinition field) => field.Name.StringValue;

    /// <summary>Fields whose description says only administrators may call them (the contract's wording).</summary>
    public static bool AdminOnly(GraphQLFieldDefinition field) =>
        field.Description?.Value.ToString().Contains("Administrators only", StringComparison.Ordinal) == true;

    public static string Print(GraphQLType type) => type switch
    {
        GraphQLNonNullType n => Print(n.Type) + "!",
        GraphQLListType l => "[" + Print(l.Type) + "]",
        GraphQLNamedType n => n.Name.StringValue,
        _ => throw new NotSupportedException(type.GetType().Name),
    };

    public static string NamedOf(GraphQLType type) => type switch
    {
        GraphQLNonNullType n => NamedOf(n.Type),
        GraphQLListType l => NamedOf(l.Type),
        GraphQLNamedType n => n.Name.StringValue,
        _ => throw new NotSupportedException(type.GetType().Name),
    };

    public GraphQLTypeDefinition? Type(string name) => _types.GetValueOrDefault(name);

    public IReadOnlyList<GraphQLInputValueDefinition> InputFields(string inputType) =>
        _types.GetValueOrDefault(inputType) is GraphQLInputObjectTypeDefinition i ? [.. i.Fields?.Items ?? []] : [];

    public IReadOnlyList<string> EnumValues(string enumType) =>
        _types.GetValueOrDefault(enumType) is GraphQLEnumTypeDefinition e ? [.. (e.Values?.Items ?? []).Select(v => v.Name.StringValue)] : [];

    /// <summary>
    /// A selection for a field's result: nothing for a scalar; __typename and the type's argument-free scalar fields for an
    /// object, so that resolvers run on whatever an accepted request returns.
    /// </summary>
    public string Selection(GraphQLType type)
    {
        if (_types.GetValueOrDefault(NamedOf(type)) is not GraphQLObjectTypeDefinition o) return "";
        var leaves = (o.Fields?.Items ?? [])
            .Where(f => f.Arguments is null or { Items.Count: 0 } && IsLeaf(f.Type))
            .Select(f => f.Name.StringValue);
        return " { " + string.Join(" ", leaves.Prepend("__typename")) + " }";
    }

    private bool IsLeaf(GraphQLType type) =>
        _types.GetValueOrDefault(NamedOf(type)) is null or GraphQLScalarTypeDefinition or GraphQLEnumTypeDefinition;
}
