using System.Text;
using GraphQLParser.AST;

namespace Conpaas.Api.Tests.Fuzz;

/// <summary>
/// Requests built from the schema: one field of Query, Mutation or Subscription with hostile values in its arguments
/// (and in the fields of input-object arguments). A mutation or subscription always carries at least one value that
/// must be refused, so none of them may be accepted, return data or append an event.
/// </summary>
public sealed class ArgumentAttacks(FuzzSchema schema, FuzzWorld world, Random rng)
{
    /// <summary>Mutations a caller without a token may call.</summary>
    private static readonly HashSet<string> Open = ["register", "login"];

    /// <summary>Arguments no value of the pools can satisfy: secrets the attacker does not know, a CSR, a serial it never got.</summary>
    private static readonly HashSet<string> Unsatisfiable =
        ["login.password", "changePassword.oldPassword", "issueCertificate.csrPem", "revokeCertificate.serial"];

    private int _names;

    /// <summary>One argument, or one field of an input-object argument.</summary>
    private sealed record Leaf(GraphQLInputValueDefinition Argument, GraphQLInputValueDefinition? Field)
    {
        public GraphQLType Type => (Field ?? Argument).Type;
        public string Name => (Field ?? Argument).Name.StringValue;
        public string Path => Field is null ? Argument.Name.StringValue : $"{Argument.Name.StringValue}.{Field.Name.StringValue}";
    }

    public IReadOnlyList<(string Root, GraphQLFieldDefinition Field)> Operations =>
    [
        .. schema.Fields("Mutation").Select(f => ("mutation", f)),
        .. schema.Fields("Query").Select(f => ("query", f)),
        .. schema.Fields("Subscription").Select(f => ("subscription", f)),
    ];

    /// <summary>Every value of every pool in every argument leaf of every mutation: the coverage part of a run.</summary>
    public IEnumerable<Func<int, FuzzCase?>> Sweep()
    {
        foreach (var field in schema.Fields("Mutation"))
        {
            var leaves = Leaves(field);
            if (leaves.Count == 0)
            {
                yield return index => Build(index, "mutation", field, PickWho(field, "mutation"), null, null, Via.Post);
                continue;
            }

            // The owner's pool: values refused for anyone (its own ids are left out), so any caller may send them.
            foreach (var leaf in leaves)
                foreach (var value in Pool(leaf.Type, Who.Owner))
                    yield return index => Build(index, "mutation", field, PickWho(field, "mutation"), leaf, value, PickVia(false));
        }
    }

    /// <summary>A random operation with random hostile values.</summary>
    public FuzzCase? Random(int index)
    {
        var (root, field) = Operations[rng.Next(Operations.Count)];
        var leaves = Leaves(field);
        var who = PickWho(field, root);
        var leaf = leaves.Count == 0 ? null : leaves[rng.Next(leaves.Count)];
        var value = leaf is null ? null : Pick(Pool(leaf.Type, who));
        return Build(index, root, field, who, leaf, value, PickVia(root == "subscription"));
    }

    private Via PickVia(bool subscription) => subscription
        ? rng.Next(2) == 0 ? Via.WebSocket : Via.Sse
        : rng.Next(20) switch { < 11 => Via.Post, < 14 => Via.WebSocket, < 17 => Via.Sse, _ => Via.Get };

    private T Pick<T>(IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    private List<Leaf> Leaves(GraphQLFieldDefinition field) =>
        FuzzSchema.Arguments(field).SelectMany(a =>
        {
            var inputFields = schema.InputFields(FuzzSchema.NamedOf(a.Type));
            // An input object is attacked as a whole and field by field; a list of them as a whole (counts lists).
            return a.Type is GraphQLNonNullType { Type: GraphQLNamedType } or GraphQLNamedType && inputFields.Count > 0
                ? inputFields.Select(f => new Leaf(a, f)).Prepend(new Leaf(a, null))
                : [new Leaf(a, null)];
        }).ToList();

    private Who PickWho(GraphQLFieldDefinition field, string root)
    {
        var name = FuzzSchema.Name(field);
        if (FuzzSchema.Arguments(field).Count == 0 && root == "mutation") return Who.Anonymous; // logout would end a session
        if (FuzzSchema.AdminOnly(field)) return rng.Next(10) switch { < 5 => Who.Admin, < 8 => Who.Stranger, _ => Who.Anonymous };
        if (Open.Contains(name)) return rng.Next(10) < 7 ? Who.Anonymous : Who.Stranger;
        return rng.Next(10) switch { < 6 => Who.Stranger, < 9 => Who.Owner, _ => Who.Anonymous };
    }

    /// <summary>
    /// The request: <paramref name="leaf"/> carries <paramref name="value"/>, the other required arguments valid values;
    /// a mutation or subscription without any value that must be refused gets one in another leaf.
    /// </summary>
    private FuzzCase? Build(int index, string root, GraphQLFieldDefinition field, Who who, Leaf? leaf, Hostile? value, Via via)
    {
        var name = FuzzSchema.Name(field);
        var values = new Dictionary<string, Hostile>();
        if (leaf is not null && value is not null) values[leaf.Path] = value;

        var mustRefuse = root != "query";
        if (mustRefuse && !Refuses(name, who, values))
        {
            // Poison another leaf (not one overlapping the hostile one); with none, this leaf; else go without a token.
            var others = Leaves(field).Where(l => !values.Keys.Any(k => k == l.Path || k.StartsWith(l.Path + ".") || l.Path.StartsWith(k + "."))).ToList();
            var poisons = others.SelectMany(l => Pool(l.Type, who).Where(v => v.Refused).Select(v => (l, v))).ToList();
            if (poisons.Count == 0 && leaf is not null) poisons = [.. Pool(leaf.Type, who).Where(v => v.Refused).Select(v => (leaf, v))];
            if (poisons.Count > 0)
            {
                var (l, v) = Pick(poisons);
                values[l.Path] = v;
            }
            else if (!Open.Contains(name))
            {
                who = Who.Anonymous;
            }

            if (!Refuses(name, who, values)) return null;
        }

        // A clear answer when exactly one value was hostile and it has a code of its own. The stranger's other ids are
        // someone else's (NOT_FOUND may come first); the owner's objects may be in a state that refuses first (CONFLICT).
        HashSet<string>? expect = null;
        if (values.Count == 1 && values.Values.Single().Refusal is { } code and not "ANY" && who != Who.Anonymous
            && !(FuzzSchema.AdminOnly(field) && who != Who.Admin) && !Unsatisfiable.Contains(name + "." + values.Keys.Single()))
        {
            expect = [code];
            if (who == Who.Stranger && FuzzSchema.Arguments(field).Any(a => FuzzSchema.NamedOf(a.Type) == "ID")) expect.Add(Hostile.NotFound);
            if (who == Who.Owner) expect.Add("CONFLICT");
        }

        var (query, variables) = Document(root, field, values, who);
        var description = string.Join(", ", values.Select(v => $"{v.Key}={v.Value.Label}"));
        return new FuzzCase
        {
            Index = index,
            Kind = $"{root} {name}" + (leaf is null ? "" : "." + leaf.Path),
            Detail = description.Length == 0 ? "no arguments" : description,
            Via = via,
            Who = who,
            MustRefuse = mustRefuse,
            Expect = via == Via.Get && root != "query" ? null : expect,
            Query = query,
            Variables = variables,
            Subscription = root == "subscription",
            Method = via == Via.Get ? "GET" : "POST",
        };
    }

    /// <summary>Whether the request must be refused whatever the Director thinks of the other values.</summary>
    private bool Refuses(string field, Who who, Dictionary<string, Hostile> values) =>
        values.Values.Any(v => v.Refused)
        || (who == Who.Anonymous && !Open.Contains(field))
        || Unsatisfiable.Any(u => u.StartsWith(field + ".", StringComparison.Ordinal))
        // The stranger owns nothing: any id it names (the victim's, nil, unknown) is NOT_FOUND.
        || (who == Who.Stranger && schema.Fields("Mutation").Concat(schema.Fields("Subscription"))
            .Where(f => FuzzSchema.Name(f) == field)
            .SelectMany(FuzzSchema.Arguments)
            .Any(a => a.Type is GraphQLNonNullType && FuzzSchema.NamedOf(a.Type) == "ID"));

    /// <summary>The document and its variables: every argument through a variable of its declared type.</summary>
    private (string Query, string Variables) Document(string root, GraphQLFieldDefinition field, Dictionary<string, Hostile> values, Who who)
    {
        var definitions = new List<string>();
        var arguments = new List<string>();
        var variables = new List<string>();
        var i = 0;
        foreach (var argument in FuzzSchema.Arguments(field))
        {
            var argName = argument.Name.StringValue;
            string? json;
            if (values.TryGetValue(argName, out var whole)) json = whole.Json;
            else if (values.Keys.Any(k => k.StartsWith(argName + ".", StringComparison.Ordinal)))
                json = InputObject(FuzzSchema.NamedOf(argument.Type), argName, values, who);
            else json = Valid(field, argument, who);
            if (json is null) continue;

            var variable = "v" + i++;
            definitions.Add($"${variable}: {FuzzSchema.Print(argument.Type)}");
            arguments.Add($"{argName}: ${variable}");
            // "missing" stands for a declared variable the request does not give.
            if (json != Missing) variables.Add($"\"{variable}\":{json}");
        }

        var name = FuzzSchema.Name(field);
        var header = definitions.Count == 0 ? root : $"{root} Fuzz({string.Join(", ", definitions)})";
        var call = arguments.Count == 0 ? name : $"{name}({string.Join(", ", arguments)})";
        return ($"{header} {{ {call}{schema.Selection(field.Type)} }}", "{" + string.Join(",", variables) + "}");
    }

    public const string Missing = "<missing>";

    private string InputObject(string type, string argName, Dictionary<string, Hostile> values, Who who)
    {
        var fields = new List<string>();
        foreach (var f in schema.InputFields(type))
        {
            var json = values.TryGetValue($"{argName}.{f.Name.StringValue}", out var v) ? v.Json : ValidOf(f.Type, f.Name.StringValue, null, who);
            if (json is not null && json != Missing) fields.Add($"{HostileValues.Str(f.Name.StringValue)}:{json}");
        }

        return "{" + string.Join(",", fields) + "}";
    }

    /// <summary>A value the Director would accept for a required argument (null: leave an optional one out).</summary>
    private string? Valid(GraphQLFieldDefinition field, GraphQLInputValueDefinition argument, Who who) =>
        argument.Type is GraphQLNonNullType ? ValidOf(argument.Type, argument.Name.StringValue, FuzzSchema.Name(field), who) : null;

    private string? ValidOf(GraphQLType type, string name, string? field, Who who)
    {
        if (type is GraphQLNonNullType n) return ValidOf(n.Type, name, field, who);
        if (type is GraphQLListType l) return "[" + ValidOf(l.Type, name, field, who) + "]";
        var named = FuzzSchema.NamedOf(type);
        var fresh = $"fz{++_names}x{rng.Next(1_000_000)}";
        return named switch
        {
            "ID" => HostileValues.Str(who == Who.Owner ? OwnId(name, field) : Pick(world.VictimIds)),
            "Int" => name switch { "credit" => "0", "first" => "10", _ => "1" },
            "Long" => "0",
            "Boolean" => "false",
            "DateTime" => HostileValues.Str(DateTimeOffset.UtcNow.ToString("O")),
            "String" => HostileValues.Str(name switch
            {
                "username" when field is "register" or "createUser" or null => fresh,
                "username" => world.StrangerName,
                "email" => fresh + "@example.org",
                "password" or "newPassword" => "fuzz-password-" + fresh,
                "oldPassword" => "not-the-password",
                "type" => "helloworld",
                "csrPem" => "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
                "serial" => "0A1B",
                _ => fresh,
            }),
            _ when schema.EnumValues(named) is { Count: > 0 } e => HostileValues.Str(e[0]),
            _ when schema.InputFields(named).Count > 0 => "{" + string.Join(",", schema.InputFields(named)
                .Where(f => f.Type is GraphQLNonNullType)
                .Select(f => $"{HostileValues.Str(f.Name.StringValue)}:{ValidOf(f.Type, f.Name.StringValue, null, who)}")) + "}",
            _ => HostileValues.Str("fuzz"),
        };
    }

    /// <summary>The owner's object an id argument of a field means.</summary>
    private string OwnId(string argument, string? field) => (argument, field ?? "") switch
    {
        ("applicationId", _) => world.AppId,
        ("serviceId", _) => world.RunningServiceId,
        (_, var f) when f.Contains("Application", StringComparison.Ordinal) => world.AppId,
        (_, var f) when f.Contains("Service", StringComparison.Ordinal) => rng.Next(2) == 0 ? world.RunningServiceId : world.IdleServiceId,
        _ => Pick(world.VictimIds),
    };

    /// <summary>The hostile values for a type; for an id, <paramref name="who"/> decides whether it names someone else's object.</summary>
    private IReadOnlyList<Hostile> Pool(GraphQLType type, Who who)
    {
        var nonNull = type is GraphQLNonNullType;
        var inner = type is GraphQLNonNullType n ? n.Type : type;
        var named = FuzzSchema.NamedOf(type);
        IReadOnlyList<Hostile> pool = inner switch
        {
            GraphQLListType when named == "NodeCountInput" => HostileValues.CountLists(rng),
            GraphQLListType => [.. ScalarPool(named, who).Where(v => v.Refused).Select(v => v with { Json = "[" + v.Json + "]", Label = "[" + v.Label + "]" }),
                new Hostile("[" + string.Join(",", Enumerable.Repeat("\"x\"", 5_000)) + "]", "5,000 elements", null),
                new Hostile("[null]", "null element", FuzzSchema.Print(type).Contains("!]") ? Hostile.InvalidInput : null)],
            _ when schema.InputFields(named).Count > 0 =>
            [
                new Hostile("{\"bogus\":1}", "unknown field", Hostile.InvalidInput),
                new Hostile("\"x\"", "string for an input object", Hostile.InvalidInput),
                new Hostile("[]", "empty list for an input object", schema.InputFields(named).Any(f => f.Type is GraphQLNonNullType) ? Hostile.InvalidInput : null),
            ],
            _ => ScalarPool(named, who),
        };
        return nonNull
            ? [.. pool, new Hostile("null", "null for a non-null argument", Hostile.InvalidInput), new Hostile(Missing, "missing variable", Hostile.InvalidInput)]
            : pool;
    }

    private IReadOnlyList<Hostile> ScalarPool(string named, Who who) => named switch
    {
        // The owner's own ids are valid, so only the nil, unknown and malformed ones are refused for it; the stranger's all are.
        "ID" => who == Who.Owner
            ? [.. HostileValues.Ids(world, rng).Where(v => !v.Label.StartsWith("victim", StringComparison.Ordinal))]
            : HostileValues.Ids(world, rng),
        "Int" => HostileValues.Ints(),
        "Long" => HostileValues.Longs(),
        "Boolean" => HostileValues.Booleans(),
        "DateTime" => HostileValues.DateTimes(),
        "String" => HostileValues.Strings(rng),
        _ when schema.EnumValues(named) is { Count: > 0 } values => HostileValues.Enums(values),
        _ => HostileValues.Strings(rng),
    };
}
