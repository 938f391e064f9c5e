using Conpaas.Api.Hosting;
using Internal.Generated.WolverineHandlers;
using Xunit;

namespace Conpaas.Api.Tests.Hosting;

/// <summary>
/// The Director loads its message handlers' code statically (no Roslyn at run time), and Wolverine then finds handlers
/// only through the generated registry: a handler added without running scripts/codegen.sh would never be called.
/// </summary>
public sealed class GeneratedHandlerTests
{
    [Fact]
    public void every_message_handler_has_generated_code()
    {
        // Wolverine's conventions: a public type named …Handler or …Consumer with a Handle/Consume method.
        var byConvention = new[] { typeof(Conpaas.CloudAgents.Configuration).Assembly, typeof(StoreSetup).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t.Name.EndsWith("Handler", StringComparison.Ordinal) || t.Name.EndsWith("Consumer", StringComparison.Ordinal))
            .Where(t => t.GetMethods().Any(m => m.Name is "Handle" or "HandleAsync" or "Consume" or "ConsumeAsync"))
            .Select(t => t.FullName).Order();

        var generated = new GeneratedHandlerRegistry().HandlerTypes().Select(t => t.FullName).Order();

        Assert.Equal(byConvention, generated);
    }
}
