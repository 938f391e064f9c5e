using System.Text.Json;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Xunit;

namespace Conpaas.Domain.Tests.Services;

/// <summary>
/// The outcome decisions read the service and the VM and never change them: the recorder decides on the aggregates it
/// loaded, with no copy, and only the events it commits move them.
/// </summary>
public class VmOutcomePurityTests
{
    public static TheoryData<string> Outcomes => ["Provisioning", "Created", "Ready", "Failed", "Terminated", "Lost"];

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void an_outcome_decision_leaves_the_service_and_the_vm_it_is_given_as_they_were(string outcome)
    {
        foreach (var s in Scenarios())
            foreach (var vm in s.Vms.Values.ToList())
            {
                var before = (Json(s.Service), Json(vm));

                var decision = outcome switch
                {
                    "Provisioning" => VmOutcomes.Provisioning(vm),
                    "Created" => VmOutcomes.Created(vm, "i-1", "10.0.0.1:5555", ServiceTestKit.Now),
                    "Ready" => VmOutcomes.Ready(s.Service, vm, "10.0.0.1:5555"),
                    "Failed" => VmOutcomes.Failed(s.Service, vm, "did not boot", s.Context),
                    "Terminated" => VmOutcomes.Terminated(s.Service, vm, ServiceTestKit.Now),
                    _ => VmOutcomes.Lost(s.Service, vm, "gone", s.Context),
                };

                Assert.False(decision.IsRefused);
                Assert.Equal(before, (Json(s.Service), Json(vm)));
            }
    }

    /// <summary>A service starting, adapting (a replacement and a scale-out pending), running, and stopping.</summary>
    private static IEnumerable<ServiceScenario> Scenarios()
    {
        yield return ServiceScenario.Started();
        var adapting = ServiceScenario.Running();
        adapting.AddNodes(new NodeCount(null, 2, null));
        yield return adapting;
        var replacing = ServiceScenario.Running();
        replacing.Lost(replacing.VmId(2));
        yield return replacing;
        yield return ServiceScenario.Running();
        var stopping = ServiceScenario.Running();
        stopping.Stop();
        yield return stopping;
    }

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType());
}
