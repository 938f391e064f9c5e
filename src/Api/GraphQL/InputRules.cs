using System.Collections;
using Conpaas.Domain;
using GraphQL.Validation;
using GraphQLParser.AST;

namespace Conpaas.Api.GraphQL;

/// <summary>
/// Every string a request carries, in any argument (literal or variable, nested in input objects and lists, or a
/// variable's default value), is text: no NUL, which PostgreSQL cannot store and which made lookups fail with a server
/// error, and no lone surrogate, which can be neither normalised nor encoded. Checked once here rather than in every
/// resolver; INVALID_INPUT names the innermost argument or input field. Not one of the core rules, so the document
/// cache keeps it: it runs on every request, with that request's variables.
/// </summary>
public sealed class InputRules : ValidationRuleBase
{
    private static readonly INodeVisitor Visitor = new NodeVisitors(
        new MatchingNodeVisitor<GraphQLArgument>((argument, context) => Check((string)argument.Name.Value, argument.Value, context)),
        new MatchingNodeVisitor<GraphQLVariableDefinition>((variable, context) =>
        {
            if (variable.DefaultValue is { } value) Check((string)variable.Variable.Name.Value, value, context);
        }));

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) => new(Visitor);

    private static void Check(string field, GraphQLValue value, ValidationContext context)
    {
        switch (value)
        {
            case GraphQLStringValue text:
                CheckText(field, (string)text.Value);
                break;
            case GraphQLListValue list:
                foreach (var item in list.Values ?? []) Check(field, item, context);
                break;
            case GraphQLObjectValue input:
                foreach (var inner in input.Fields ?? []) Check((string)inner.Name.Value, inner.Value, context);
                break;
            case GraphQLVariable variable when context.Variables?.TryGetValue((string)variable.Name.Value, out var given) == true:
                CheckVariable(field, given);
                break;
        }
    }

    /// <summary>A variable's value as the client sent it (JSON: strings, objects and arrays), before any coercion.</summary>
    private static void CheckVariable(string field, object? value)
    {
        switch (value)
        {
            case string text:
                CheckText(field, text);
                break;
            case IDictionary<string, object?> input:
                foreach (var (name, inner) in input) CheckVariable(name, inner);
                break;
            case IEnumerable list:
                foreach (var item in list) CheckVariable(field, item);
                break;
        }
    }

    // Thrown rather than reported: the executer hands a DirectorError to the one place that maps errors, which gives
    // it its code and field like any refusal (a reported ValidationError carries no field).
    private static void CheckText(string field, string text)
    {
        if (Text.CheckUnicode(field, text) is { } error) throw new DirectorError(error);
    }
}
