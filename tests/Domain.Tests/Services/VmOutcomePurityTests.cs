using System.Text.Json;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Xunit;

namespace Conpaas.Domain.Tests.Services;

/// <summary>
/// The outcome decisions read the service and the VM and never change them; the recorder evolves copies of what it
/// loaded as it decides a batch, and only the events it commits move the stored aggregates.
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

    /// <summary>
    /// The recorder and the manifest planner evolve copies while they decide several things in a row: the instances a
    /// session loaded are the ones its inline projections apply the events to on commit (evolving those applied them twice).
    /// </summary>
    [Fact]
    public void evolving_a_copy_of_a_service_or_a_vm_leaves_the_original_as_it_was()
    {
        var changed = 0;
        foreach (var s in Scenarios())
            foreach (var vm in s.Vms.Values.ToList())
            {
                var before = (Json(s.Service), Json(vm));
                var (service, copy) = (s.Service.Copy(), vm.Copy());
                var lost = VmOutcomes.Lost(service, copy, "gone", s.Context);
                foreach (var e in lost.Events) Service.After(service, e);
                foreach (var other in lost.Others.Where(o => o.StreamId == copy.Id)) Vm.After(copy, other.Event);

                if (before != (Json(service), Json(copy))) changed++;
                Assert.Equal(before, (Json(s.Service), Json(vm)));
            }

        Assert.True(changed > 10, $"the copies changed in {changed} cases only");
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
