using System.Net;
using System.Net.Sockets;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Drivers;
using Xunit;

namespace Conpaas.Api.Tests.CloudAgents;

/// <summary>The local cloud on a host where something else already listens on the addresses it would hand out.</summary>
[Collection(RealProcesses.Name)]
public sealed class LocalAddressTests(LocalCloudApp app) : IClassFixture<LocalCloudApp>
{
    [Fact]
    public async Task addresses_another_process_listens_on_are_skipped_and_the_service_runs_on_free_ones()
    {
        // The first addresses this cloud would hand out, held by someone else (another Director's agents, any server).
        var busy = new[] { $"{app.AddressPrefix}.0.2:5555", $"{app.AddressPrefix}.0.3:5555" };
        var listeners = busy.Select(a => new TcpListener(IPEndPoint.Parse(a))).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            var user = await CloudUser.New(app);
            var id = await user.AddService(await user.CreateApplication());

            await user.Start(id);
            // Fails at once should the service end in ERROR.
            var running = await user.WaitFor(id, "RUNNING", Wait.Short);

            var addresses = running.LiveNodes().Select(n => n.Str("address")).ToList();
            Assert.Equal(2, addresses.Count);
            Assert.Empty(addresses.Intersect(busy));
            Assert.All(running.LiveNodes(), n => Assert.Null(n.StrOrNull("stateReason")));
            foreach (var agent in running.LiveAgents()) Assert.Equal("Hello World", await AgentHttp.Get(agent.Str("address")));
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    [Theory]
    [InlineData("Address already in use", "Address already in use")]
    [InlineData("Unhandled exception. System.Net.HttpListenerException (98): Address already in use\n   at System.Net.HttpEndPointManager.GetEPListener()",
        "Unhandled exception. System.Net.HttpListenerException (98): Address already in use…")]
    public void a_reason_is_the_first_line_of_a_message_without_stack_frames(string message, string reason) =>
        Assert.Equal(reason, Reasons.Of(new InvalidOperationException(message)));

    [Fact]
    public void a_long_reason_is_shortened()
    {
        var reason = Reasons.Shorten(new string('x', 70_000));

        Assert.Equal(Reasons.MaxLength, reason.Length);
        Assert.EndsWith("…", reason);
    }
}
