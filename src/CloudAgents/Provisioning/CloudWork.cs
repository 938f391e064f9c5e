using Conpaas.Domain;
using Conpaas.Domain.Vms;
using Microsoft.Extensions.Options;
using Wolverine;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>
/// The cloud work a decision asks for, as the messages a handler cascades with its events (Wolverine's outbox commits
/// them together): a VM requested is provisioned, a VM whose termination is requested is terminated. None while
/// Agents:Enabled is off: the intents are recorded and no cloud is called.
/// </summary>
public sealed class CloudWork(IOptions<AgentOptions> options)
{
    public OutgoingMessages For(Decision decision)
    {
        var messages = new OutgoingMessages();
        if (!options.Value.Enabled) return messages;
        foreach (var other in decision.Others.DistinctBy(o => (o.StreamId, o.Event.GetType())))
        {
            switch (other.Event)
            {
                case VmRequested: messages.Add(new ProvisionVm(other.StreamId)); break;
                case VmTerminationRequested: messages.Add(new TerminateVm(other.StreamId)); break;
            }
        }

        return messages;
    }
}
