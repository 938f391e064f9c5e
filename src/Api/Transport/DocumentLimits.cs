using System.Runtime.CompilerServices;
using Conpaas.Api.Hosting;
using GraphQL.Execution;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;

namespace Conpaas.Api.Transport;

/// <summary>A document over one of the request limits (GraphQL:Max…): refused before validation, as one error.</summary>
public sealed class RequestLimitError : DocumentError
{
    public RequestLimitError(string message) : base(message) => Code = "REQUEST_LIMIT";
}

/// <summary>
/// Bounds the work a document can cause, measured on its text and its parsed tree before validation runs. Validation
/// and the complexity analyzer expand fragments: a chain of fragments each spreading the previous one twice (under
/// 1 KB) kept a core busy for a minute (issue 11). Here every fragment is measured once and a spread adds its
/// measure, so the estimate of 2^n fields takes n steps.
/// </summary>
public static class DocumentLimits
{
    /// <summary>The document, parsed within the limits; throws a <see cref="RequestLimitError"/> or a <see cref="SyntaxError"/>.</summary>
    public static GraphQLDocument Parse(string query, GraphQLOptions limits)
    {
        try
        {
            // Parsing is linear in the text, which GraphQL:MaxRequestBytes bounds. The parser's depth counts AST nodes,
            // not fields (a field and its selection set are two, an argument value a few more); it is also what keeps
            // the recursive parser, and every visitor after it, from overflowing the stack.
            var document = Parser.Parse(query, new ParserOptions { Ignore = IgnoreOptions.Comments, MaxDepth = 4 * limits.MaxDepth + 20 });
            new Measure(document, limits).Check();
            // Last, so that a document over a named limit hears of that one (3,000 directives are also 18,000 tokens).
            CountTokens(query, limits.MaxTokens);
            return document;
        }
        catch (GraphQLMaxDepthExceededException)
        {
            throw TooDeep(limits);
        }
        catch (GraphQLSyntaxErrorException ex)
        {
            throw new SyntaxError(ex);
        }
    }

    private static RequestLimitError TooDeep(GraphQLOptions limits) =>
        new($"The document is nested too deeply: the query depth limit is {limits.MaxDepth} levels of fields (GraphQL:MaxDepth)");

    private static void CountTokens(string query, int max)
    {
        var count = 0;
        for (var token = Lexer.Lex(query); token.Kind != TokenKind.EOF; token = Lexer.Lex(query, token.End))
        {
            if (++count > max)
                throw new RequestLimitError($"The document has more than {max} tokens (GraphQL:MaxTokens)");
        }
    }

    /// <summary>One walk over the tree: counts of what is written, and fields and depth as if fragments were expanded.</summary>
    private sealed class Measure(GraphQLDocument document, GraphQLOptions limits)
    {
        private readonly Dictionary<string, GraphQLFragmentDefinition> _byName = new(StringComparer.Ordinal);
        private readonly Dictionary<GraphQLFragmentDefinition, (long Fields, int Depth)> _measured = [];
        private readonly HashSet<GraphQLFragmentDefinition> _inProgress = [];
        private int _spreads, _aliases, _directives;

        public void Check()
        {
            var fragments = document.Definitions.OfType<GraphQLFragmentDefinition>().ToList();
            Limit(fragments.Count, limits.MaxFragments, "fragments", "MaxFragments");
            foreach (var fragment in fragments) _byName.TryAdd(fragment.FragmentName.Name.StringValue, fragment);

            long fields = 0;
            var depth = 0;
            foreach (var definition in document.Definitions)
            {
                var (f, d) = definition switch
                {
                    GraphQLOperationDefinition operation => Operation(operation),
                    GraphQLFragmentDefinition fragment => Fragment(fragment),
                    _ => (0, 0), // type system definitions: refused by validation
                };
                fields = Math.Max(fields, f);
                depth = Math.Max(depth, d);
            }

            Limit(_spreads, limits.MaxSpreads, "fragment spreads", "MaxSpreads");
            Limit(_aliases, limits.MaxAliases, "aliases", "MaxAliases");
            Limit(_directives, limits.MaxDirectives, "directives", "MaxDirectives");
            if (depth > limits.MaxDepth) throw TooDeep(limits);
            if (fields > limits.MaxFields)
                throw new RequestLimitError(
                    $"The document selects more than {limits.MaxFields} fields once its fragments are expanded (GraphQL:MaxFields)");
        }

        private static void Limit(int count, int max, string what, string key)
        {
            if (count > max) throw new RequestLimitError($"The document has {count} {what}, at most {max} are allowed (GraphQL:{key})");
        }

        private (long, int) Operation(GraphQLOperationDefinition operation)
        {
            Directives(operation.Directives);
            foreach (var variable in operation.Variables?.Items ?? []) Directives(variable.Directives);
            return SelectionSet(operation.SelectionSet);
        }

        /// <summary>Each fragment is measured once; a cycle (refused by validation) counts nothing the second time round.</summary>
        private (long, int) Fragment(GraphQLFragmentDefinition fragment)
        {
            if (_measured.TryGetValue(fragment, out var known)) return known;
            if (!_inProgress.Add(fragment)) return (0, 0);
            Directives(fragment.Directives);
            var measure = SelectionSet(fragment.SelectionSet);
            _inProgress.Remove(fragment);
            _measured[fragment] = measure;
            return measure;
        }

        private (long Fields, int Depth) SelectionSet(GraphQLSelectionSet? set)
        {
            if (set is null) return (0, 0);
            // Fragments nest within fragments: a long chain must end in the depth error, not a stack overflow.
            if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw TooDeep(limits);
            long fields = 0;
            var depth = 0;
            foreach (var selection in set.Selections)
            {
                var (f, d) = selection switch
                {
                    GraphQLField field => Field(field),
                    GraphQLInlineFragment inline => Inline(inline),
                    GraphQLFragmentSpread spread => Spread(spread),
                    _ => (0L, 0),
                };
                // Saturates instead of overflowing: anything past the limit is refused anyway.
                fields = Math.Min(fields + f, (long)limits.MaxFields + 1);
                depth = Math.Max(depth, d);
            }

            return (fields, depth);
        }

        private (long, int) Field(GraphQLField field)
        {
            if (field.Alias is not null) _aliases++;
            Directives(field.Directives);
            var (fields, depth) = SelectionSet(field.SelectionSet);
            return (fields + 1, depth + 1);
        }

        private (long, int) Inline(GraphQLInlineFragment inline)
        {
            Directives(inline.Directives);
            return SelectionSet(inline.SelectionSet);
        }

        private (long, int) Spread(GraphQLFragmentSpread spread)
        {
            _spreads++;
            Directives(spread.Directives);
            // An unknown fragment is refused by validation.
            return _byName.TryGetValue(spread.FragmentName.Name.StringValue, out var fragment) ? Fragment(fragment) : (0, 0);
        }

        private void Directives(GraphQLDirectives? directives) => _directives += directives?.Count ?? 0;
    }
}
