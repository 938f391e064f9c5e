using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Services;
using Xunit;

namespace Conpaas.Api.Tests.BadInput;

/// <summary>A message that quotes what the client sent quotes at most 64 characters of it, never a 10 KB echo.</summary>
public sealed class QuotedInputTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static readonly string Long = "v" + new string('x', 10_000);

    [Fact]
    public async Task every_message_quoting_input_shortens_it()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        var admin = await app.Admin();

        var refusals = new[]
        {
            await user.Client.RefusedAndNothingAppended(app, "INVALID_INPUT", Ops.Service, new { id = Long }),
            await user.Client.RefusedAndNothingAppended(app, "UNKNOWN_SERVICE_TYPE", Ops.AddService,
                new { app = await user.NewApplicationId(), type = Long, name = (string?)null, key = (string?)null }),
            await user.Client.RefusedAndNothingAppended(app, "UNKNOWN_CLOUD", Ops.AddNodes, new { id, nodes = Ops.Nodes(1, cloud: Long), v = (int?)null }),
            await user.Client.RefusedAndNothingAppended(app, "INVALID_INPUT", Ops.AddNodes, new { id, nodes = Ops.Nodes(1, role: Long), v = (int?)null }),
            await user.Client.RefusedAndNothingAppended(app, "INVALID_INPUT", "query($a: String) { creditLedger(after: $a) { amount } }", new { a = Long }),
            await user.Client.RefusedAndNothingAppended(app, "INVALID_INPUT", "query($id: ID!, $a: String) { history(entityId: $id, after: $a) { nextCursor } }",
                new { id, a = Long }),
            await admin.RefusedAndNothingAppended(app, "NOT_FOUND", "mutation($u: String!) { grantCredit(username: $u, amount: 1, reason: \"r\") { id } }",
                new { u = Long }),
        };

        foreach (var error in refusals)
        {
            Assert.True(error.Message().Length < 200, $"{error.Message().Length} characters: {Domain.Text.Quote(error.Message())}");
            Assert.Contains("vxxxxxxxxx", error.Message());
            Assert.Contains("…", error.Message());
        }
    }
}
