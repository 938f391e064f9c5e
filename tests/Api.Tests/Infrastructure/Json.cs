using System.Text.Json.Nodes;
using Xunit;

namespace Conpaas.Api.Tests.Infrastructure;

/// <summary>Reading the JSON answers without noise: one set for every test (it was two, the services' and the clouds').</summary>
public static class Json
{
    public static string Str(this JsonNode node, string key) => node[key]?.GetValue<string>()
                                                                ?? throw new InvalidOperationException($"no '{key}' in {node.ToJsonString()}");

    public static string? StrOrNull(this JsonNode node, string key) => node[key]?.GetValue<string>();

    public static int Int(this JsonNode node, string key) => node[key]!.GetValue<int>();

    public static List<JsonNode> Items(this JsonNode node, string key) => node[key]!.AsArray().Select(n => n!).ToList();

    public static string Code(this JsonObject error) => error["extensions"]!["code"]!.GetValue<string>();

    public static string Message(this JsonObject error) => error["message"]!.GetValue<string>();

    public static string? Field(this JsonObject error) => error["extensions"]?["field"]?.GetValue<string>();

    /// <summary>VM states that still hold (or may hold) a machine.</summary>
    public static readonly string[] LiveStates = ["REQUESTED", "PROVISIONING", "BOOTING", "RUNNING", "TERMINATING"];

    public static List<JsonNode> Nodes(this JsonNode service) => service.Items("nodes");

    public static List<JsonNode> LiveNodes(this JsonNode service) => service.Nodes().Where(n => LiveStates.Contains(n.Str("state"))).ToList();

    public static List<JsonNode> LiveAgents(this JsonNode service) => service.LiveNodes().Where(n => n.Str("role") == "AGENT").ToList();

    public static JsonNode Manager(this JsonNode service) => Assert.Single(service.LiveNodes(), n => n.Str("role") == "MANAGER");

    public static JsonNode Vm(this JsonNode service, string vmId) => service.Nodes().Single(n => n.Str("id") == vmId);

    public static int Number(this JsonNode vm) => int.Parse(vm.Str("name").Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture);

    public static int Desired(this JsonNode service, string role) =>
        service.Items("nodeCounts").Single(c => c.Str("role") == role).Int("count");
}
