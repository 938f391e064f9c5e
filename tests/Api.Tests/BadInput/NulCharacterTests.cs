using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Services;
using Xunit;

namespace Conpaas.Api.Tests.BadInput;

/// <summary>
/// A NUL character (or a lone surrogate, which is not text at all) in any string argument, as a literal or in a
/// variable, nested in input objects and lists: INVALID_INPUT naming the field, nothing written.
/// </summary>
public sealed class NulCharacterTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static readonly string SomeId = Guid.NewGuid().ToString();

    /// <summary>(operation, variable type, selection using $s, the field named).</summary>
    public static TheoryData<string, string, string, string> Arguments => new()
    {
        { "query", "String!", "auditLog(filter: { username: $s }) { events { sequence } }", "username" },
        { "query", "String!", "auditLog(filter: { types: [\"ServiceAdded\", $s] }) { events { sequence } }", "types" },
        { "query", "String!", $"history(entityId: \"{SomeId}\", after: $s) {{ events {{ sequence }} }}", "after" },
        { "query", "String!", "creditLedger(after: $s) { amount }", "after" },
        { "query", "ID!", "service(id: $s) { id }", "id" },
        { "mutation", "String!", "login(username: $s, password: \"whatever-password\") { token }", "username" },
        { "mutation", "String!", "register(input: { username: $s, email: \"x@example.org\", password: \"long-enough\" }) { id }", "username" },
        { "mutation", "String!", "register(input: { username: \"nul-test\", email: \"x@example.org\", password: $s }) { id }", "password" },
        { "mutation", "String!", "changePassword(oldPassword: $s, newPassword: \"long-enough\")", "oldPassword" },
        { "mutation", "String!", "createApplication(name: $s) { id }", "name" },
        { "mutation", "String!", "createApplication(name: \"ok\", idempotencyKey: $s) { id }", "idempotencyKey" },
        { "mutation", "String!", $"startService(id: \"{SomeId}\", cloud: $s) {{ id }}", "cloud" },
        { "mutation", "String!", $"addNodes(serviceId: \"{SomeId}\", nodes: [{{ count: 1 }}, {{ role: $s, count: 1 }}]) {{ id }}", "role" },
        { "mutation", "String!", "grantCredit(username: $s, amount: 1, reason: \"r\") { id }", "username" },
        { "mutation", "String!", "grantCredit(username: \"admin\", amount: 1, reason: $s) { id }", "reason" },
        { "mutation", "String!", "revokeCertificate(serial: $s)", "serial" },
    };

    [Theory]
    [MemberData(nameof(Arguments))]
    public async Task a_nul_in_a_variable_is_invalid_input_naming_the_field(string operation, string type, string selection, string field)
    {
        var admin = await app.Admin();
        // (A lone surrogate cannot be sent in a variable from here: the JSON writer replaces it; the literal test covers it.)
        foreach (var bad in new[] { "a\u0000b", "\u0000", "nul at the end\u0000" })
        {
            var error = await admin.RefusedAndNothingAppended(app, "INVALID_INPUT", $"{operation}($s: {type}) {{ {selection} }}", new { s = bad });
            Assert.Equal(field, error.Field());
        }
    }

    [Theory]
    [MemberData(nameof(Arguments))]
    public async Task a_nul_in_a_literal_is_invalid_input_naming_the_field(string operation, string type, string selection, string field)
    {
        Assert.NotEmpty(type);
        var admin = await app.Admin();
        foreach (var escaped in new[] { @"a\u0000b", @"\ud800" })
        {
            var document = $"{operation} {{ {selection.Replace("$s", $"\"{escaped}\"")} }}";
            var error = await admin.RefusedAndNothingAppended(app, "INVALID_INPUT", document);
            Assert.Equal(field, error.Field());
        }
    }

    [Fact]
    public async Task a_nul_nested_in_an_input_object_variable_names_the_inner_field()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var (_, running) = await user.RunningService();
        var id = running.Str("id");

        var nodes = await user.Client.RefusedAndNothingAppended(app, "INVALID_INPUT", Ops.AddNodes,
            new { id, nodes = new object[] { new { count = 1 }, new { count = 1, cloud = "default\u0000" } }, v = (int?)null });
        Assert.Equal("cloud", nodes.Field());

        var filter = await user.Client.RefusedAndNothingAppended(app, "INVALID_INPUT",
            "query($f: AuditFilter) { auditLog(filter: $f) { events { sequence } } }", new { f = new { username = "ann\u0000" } });
        Assert.Equal("username", filter.Field());
        Assert.Equal("RUNNING", (await user.Service(id)).Str("state"));
    }

    [Fact]
    public async Task a_nul_in_a_default_value_of_a_variable_is_refused()
    {
        var admin = await app.Admin();
        var error = await admin.RefusedAndNothingAppended(app, "INVALID_INPUT",
            "mutation($s: String = \"a\\u0000\") { createApplication(name: $s) { id } }");
        Assert.Equal("s", error.Field());
    }

    [Fact]
    public async Task the_same_document_with_clean_and_then_bad_variables_is_refused_the_second_time()
    {
        // The document cache skips the rules that look at the document alone; this one must run on every request.
        var user = await app.NewUser();
        const string document = "query($u: String) { auditLog(filter: { username: $u }) { events { sequence } } }";
        await user.Ok(document, new { u = "nobody" });
        await user.Ok(document, new { u = "nobody" });

        var error = await user.RefusedAndNothingAppended(app, "INVALID_INPUT", document, new { u = "nobody\u0000" });
        Assert.Equal("username", error.Field());
    }

    [Fact]
    public async Task a_long_bad_value_is_quoted_shortened_in_the_message()
    {
        var user = await app.NewUser();
        var error = await user.RefusedAndNothingAppended(app, "INVALID_INPUT", "mutation($n: String!) { createApplication(name: $n) { id } }",
            new { n = new string('x', 60_000) + "\u0000" });
        Assert.True(error.Message().Length < 300, error.Message());
    }
}
