using Conpaas.Api.Tests.Infrastructure;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Visitors;
using Xunit;

namespace Conpaas.Api.Tests.Transport;

/// <summary>
/// The served schema (/graphql/schema.graphql) against the public contract (shared/design/api.graphql): what is served
/// must keep the contract's names and types; what is not served yet is only reported.
/// </summary>
public sealed class ContractTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static string ContractPath()
    {
        var shared = Path.GetFullPath(Path.Combine(Repo.Root, "..", "shared", "design", "api.graphql"));
        return File.Exists(shared) ? shared : Path.Combine(Repo.Root, "docs", "contract", "api.graphql");
    }

    private static Dictionary<string, GraphQLTypeDefinition> Types(string sdl) =>
        Parser.Parse(sdl).Definitions.OfType<GraphQLTypeDefinition>().ToDictionary(t => t.Name.StringValue);

    private async Task<(Dictionary<string, GraphQLTypeDefinition> Contract, Dictionary<string, GraphQLTypeDefinition> Served)> Schemas()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        var served = await http.GetStringAsync("/graphql/schema.graphql", TestContext.Current.CancellationToken);
        var contract = await File.ReadAllTextAsync(ContractPath(), TestContext.Current.CancellationToken);
        return (Types(contract), Types(served));
    }

    private static string Print(ASTNode? node) => node is null ? "(none)" : new SDLPrinter().Print(node);

    private static IEnumerable<GraphQLFieldDefinition> Fields(GraphQLTypeDefinition type) => type switch
    {
        GraphQLObjectTypeDefinition o => o.Fields?.Items ?? [],
        GraphQLInterfaceTypeDefinition i => i.Fields?.Items ?? [],
        _ => [],
    };

    private static IEnumerable<GraphQLInputValueDefinition> InputFields(GraphQLTypeDefinition type) =>
        type is GraphQLInputObjectTypeDefinition input ? input.Fields?.Items ?? [] : [];

    private static IEnumerable<GraphQLInputValueDefinition> Arguments(GraphQLFieldDefinition field) => field.Arguments?.Items ?? [];

    private static HashSet<string> EnumValues(GraphQLTypeDefinition type) =>
        type is GraphQLEnumTypeDefinition e ? (e.Values?.Items ?? []).Select(v => v.Name.StringValue).ToHashSet() : [];

    /// <summary>Arguments or input fields: the contract's must be served alike; extra served ones must be optional.</summary>
    private static void CompareInputValues(string owner, IEnumerable<GraphQLInputValueDefinition> contract,
        IEnumerable<GraphQLInputValueDefinition> served, List<string> problems)
    {
        var servedByName = served.ToDictionary(v => v.Name.StringValue);
        var contractNames = new HashSet<string>();
        foreach (var c in contract)
        {
            var name = c.Name.StringValue;
            contractNames.Add(name);
            if (!servedByName.TryGetValue(name, out var s))
                problems.Add($"{owner}: '{name}' of the contract is missing");
            else if (Print(c.Type) != Print(s.Type) || Print(c.DefaultValue) != Print(s.DefaultValue))
                problems.Add($"{owner}: '{name}' is served as {Print(s.Type)} = {Print(s.DefaultValue)}, the contract has {Print(c.Type)} = {Print(c.DefaultValue)}");
        }

        foreach (var (name, s) in servedByName)
            if (!contractNames.Contains(name) && s.Type is GraphQLNonNullType && s.DefaultValue is null)
                problems.Add($"{owner}: '{name}' is required but not in the contract (clients of the contract cannot send it)");
    }

    [Fact]
    public async Task the_served_schema_keeps_every_contract_name_and_type_it_serves()
    {
        var (contract, served) = await Schemas();
        Assert.Contains("Query", served.Keys);
        Assert.Contains("Mutation", served.Keys);

        var problems = new List<string>();
        var notServedYet = new List<string>();
        foreach (var (name, c) in contract)
        {
            if (!served.TryGetValue(name, out var s))
            {
                notServedYet.Add(name);
                continue;
            }

            if (c.Kind != s.Kind)
            {
                problems.Add($"{name} is served as {s.Kind}, the contract has {c.Kind}");
                continue;
            }

            var servedFields = Fields(s).ToDictionary(f => f.Name.StringValue);
            foreach (var field in Fields(c))
            {
                var path = $"{name}.{field.Name.StringValue}";
                if (!servedFields.TryGetValue(field.Name.StringValue, out var servedField))
                {
                    notServedYet.Add(path);
                    continue;
                }

                if (Print(field.Type) != Print(servedField.Type))
                    problems.Add($"{path} is served as {Print(servedField.Type)}, the contract has {Print(field.Type)}");
                CompareInputValues(path, Arguments(field), Arguments(servedField), problems);
            }

            CompareInputValues(name, InputFields(c), InputFields(s), problems);

            var (contractValues, servedValues) = (EnumValues(c), EnumValues(s));
            foreach (var value in servedValues.Except(contractValues)) problems.Add($"{name}: value {value} is not in the contract");
            foreach (var value in contractValues.Except(servedValues)) problems.Add($"{name}: value {value} of the contract is not served");
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"Contract {ContractPath()}: not served yet ({notServedYet.Count}): {string.Join(", ", notServedYet)}");
        Assert.True(problems.Count == 0, "The served schema breaks the contract:\n" + string.Join("\n", problems));
    }

    /// <summary>Every name in a schema: types, Type.field, Type.field(arg), Input.field, Enum.VALUE.</summary>
    private static IEnumerable<string> Names(Dictionary<string, GraphQLTypeDefinition> types) =>
        types.Values.SelectMany(t => new[] { t.Name.StringValue }
            .Concat(Fields(t).SelectMany(f => Arguments(f).Select(a => $"{t.Name.StringValue}.{f.Name.StringValue}({a.Name.StringValue})")
                .Prepend($"{t.Name.StringValue}.{f.Name.StringValue}")))
            .Concat(InputFields(t).Select(f => $"{t.Name.StringValue}.{f.Name.StringValue}"))
            .Concat(EnumValues(t).Select(v => $"{t.Name.StringValue}.{v}")));

    private static List<string> CaseOnlyDifferences(Dictionary<string, GraphQLTypeDefinition> contract, Dictionary<string, GraphQLTypeDefinition> served)
    {
        var exact = Names(contract).ToHashSet();
        var ignoringCase = Names(contract).ToLookup(n => n, StringComparer.OrdinalIgnoreCase);
        return Names(served).Where(n => !exact.Contains(n) && ignoringCase.Contains(n))
            .Select(n => $"served {n}, the contract says {string.Join(" or ", ignoringCase[n])}").ToList();
    }

    [Fact]
    public async Task no_served_name_differs_from_the_contract_only_by_letter_case()
    {
        var (contract, served) = await Schemas();
        var typos = CaseOnlyDifferences(contract, served);
        Assert.True(typos.Count == 0, string.Join("\n", typos));
    }

    [Fact]
    public void the_letter_case_check_catches_a_miscased_field()
    {
        var contract = Types("type User { createdAt: String  role: Role }  enum Role { USER ADMIN }");
        var served = Types("type User { createdat: String  role: Role }  enum Role { USER Admin }");
        Assert.Equal(["served User.createdat, the contract says User.createdAt", "served Role.Admin, the contract says Role.ADMIN"],
            CaseOnlyDifferences(contract, served));
    }
}
