using Conpaas.Domain.Applications;
using Conpaas.Domain.Files;
using Conpaas.Domain.Manifests;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Xunit;
using Conpaas.Domain.Tests.Services;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Manifests;

public class ManifestParserTests
{
    private static IReadOnlyList<ManifestProblem> Problems(string json)
    {
        var (manifest, problems) = ManifestParser.Parse(json);
        Assert.Null(manifest);
        return problems;
    }

    [Fact]
    public void the_originals_keys_are_read_as_they_were()
    {
        var (manifest, problems) = ManifestParser.Parse("""
            {"Application": " blog ", "Services": [
              {"Type": "php", "ServiceName": "web", "Cloud": "ec2-eu", "Start": 1, "StartupInstances": {"backend": 2, "proxy": 1}},
              {"Type": "mysql", "Start": 0}]}
            """);

        Assert.Empty(problems);
        Assert.Equal("blog", manifest!.Application);
        Assert.False(manifest.Prune);
        var (web, db) = (manifest.Services[0], manifest.Services[1]);
        Assert.Equal(("php", "web", "ec2-eu", true), (web.Type, web.Name, web.Cloud, web.Start));
        Assert.Equal(2, web.StartupInstances!["backend"]);
        Assert.Equal(("mysql", "New mysql service", false), (db.Type, db.Name, db.Start));
        Assert.Matches("^[0-9a-f]{64}$", manifest.Digest);
    }

    [Fact]
    public void the_digest_ignores_layout_but_not_content()
    {
        var a = ManifestParser.Parse("""{"Application": "a"}""").Manifest!.Digest;
        Assert.Equal(a, ManifestParser.Parse("{ \"Application\" :\n \"a\" }").Manifest!.Digest);
        Assert.NotEqual(a, ManifestParser.Parse("""{"Application": "b"}""").Manifest!.Digest);
    }

    [Fact]
    public void every_problem_is_listed_with_its_path_not_only_the_first()
    {
        var problems = Problems("""
            {"Services": [{"ServiceName": "x"}, {"Type": "tomcat"}, {"Type": "php", "Password": "s3cret", "Archive": "https://example.org/code.tar.gz"},
                          {"Type": "helloworld", "StartupInstances": {"node": -1, "web": 1}}, {"Type": "generic", "Start": "yes"}],
             "Colour": "blue"}
            """);

        Assert.Equal(
        [
            "$.Colour", "$.Application", "$.Services[0].Type", "$.Services[1].Type", "$.Services[2].Password", "$.Services[2].Archive",
            "$.Services[3].StartupInstances.node", "$.Services[3].StartupInstances.web", "$.Services[4].Start",
        ], problems.Select(p => p.Path));
        Assert.Equal(ErrorCode.UNKNOWN_SERVICE_TYPE, problems[3].Code);
        Assert.Equal("'Password' is not supported by this Director yet (setting a database password): remove it from the manifest", problems[4].Message);
    }

    [Theory]
    [InlineData("{\"Application\": ", "The manifest is not valid JSON")]
    [InlineData("[]", "The manifest must be a JSON object")]
    [InlineData("{\"Application\": \"  \"}", "'Application' must not be empty")]
    [InlineData("{\"Application\": \"a\", \"Services\": {}}", "'Services' must be a list of services")]
    public void a_manifest_that_is_not_one_is_refused_at_its_root(string json, string message)
    {
        Assert.StartsWith(message, Assert.Single(Problems(json)).Message);
    }

    [Fact]
    public void a_manifest_over_the_size_limit_is_refused_before_it_is_parsed()
    {
        var json = $$"""{"Application": "{{new string('a', ManifestParser.MaxBytes)}}"}""";
        Assert.StartsWith("The manifest is too large", Assert.Single(Problems(json)).Message);
    }

    [Fact]
    public void two_services_of_one_name_are_refused()
    {
        var problems = Problems("""{"Application": "a", "Services": [{"Type": "php"}, {"Type": "php"}]}""");
        Assert.Equal("$.Services[1].ServiceName", Assert.Single(problems).Path);
    }

    [Fact]
    public void a_role_asks_for_at_least_the_nodes_its_type_starts_with()
    {
        var problems = Problems("""{"Application": "a", "Services": [{"Type": "php", "StartupInstances": {"backend": 0}}]}""");
        Assert.Equal("A php service has at least 1 'backend' node(s)", Assert.Single(problems).Message);
    }
    [Fact]
    public void startup_script_and_archive_name_an_uploaded_file_and_a_url_is_refused_with_what_to_do()
    {
        var (manifest, problems) = ManifestParser.Parse(
            """{"Application": "a", "Services": [{"Type": "php", "StartupScript": " start.sh ", "Archive": "0190a000-0000-7000-8000-000000000001"}]}""");
        Assert.Empty(problems);
        Assert.Equal(new Dictionary<ServiceFileKind, string> { [ServiceFileKind.STARTUP_SCRIPT] = "start.sh", [ServiceFileKind.ARCHIVE] = "0190a000-0000-7000-8000-000000000001" },
            manifest!.Services[0].Files);

        var refused = Problems("""{"Application": "a", "Services": [{"Type": "php", "StartupScript": "http://example.org/s.sh", "Archive": 3}]}""");
        Assert.Equal(["$.Services[0].StartupScript", "$.Services[0].Archive"], refused.Select(p => p.Path));
        Assert.Contains("Upload the file first", refused[0].Message);
        Assert.Contains("not a URL", refused[0].Message);
    }
}

public class ManifestPlannerTests
{
    private static readonly Guid NewAppId = Guid.Parse("00000000-0000-7000-8000-00000000a991");
    private int _ids;

    private ServiceContext Context(int credit = 50) =>
        new(ServiceTestKit.Clouds, GuidesVpn, credit, () => Guid.Parse($"00000000-0000-7000-9000-{++_ids:x12}"), Now);

    private static Manifest Parse(string json)
    {
        var (manifest, problems) = ManifestParser.Parse(json);
        Assert.Empty(problems);
        return manifest!;
    }

    private ManifestPlan Plan(string json, Application? app = null, IReadOnlyList<Service>? services = null, int credit = 50, ManifestFiles? files = null) =>
        ManifestPlanner.Plan(Parse(json), app, services ?? [], OwnerId, NewAppId, Context(credit), files);

    private const string Hello = """{"Application": "shop", "Services": [{"Type": "helloworld", "ServiceName": "greeter", "Start": true}]}""";

    [Fact]
    public void a_new_application_is_created_with_its_services_added_and_started()
    {
        var plan = Plan("""{"Application": "shop", "Services": [{"Type": "php", "ServiceName": "web", "Start": 1, "StartupInstances": {"backend": 3}}]}""");

        Assert.False(plan.IsRefused);
        Assert.Equal([ManifestAction.CREATE_APPLICATION, ManifestAction.ADD_SERVICE, ManifestAction.START_SERVICE], plan.Steps.Select(s => s.Action));
        Assert.Equal(NewAppId, plan.ApplicationId);
        Assert.IsType<ApplicationCreated>(plan.Events[0].Event);
        // The manager and one backend from the start, two more backends asked for while it starts.
        var vms = plan.Events.Select(e => e.Event).OfType<VmRequested>().ToList();
        Assert.Equal(4, vms.Count);
        Assert.Equal(3, vms.Count(v => v.ServiceRole == "backend"));
        Assert.Equal(2, plan.Events.Select(e => e.Event).OfType<NodesRequested>().Count());
    }

    [Fact]
    public void an_application_already_as_described_needs_nothing()
    {
        var app = GivenApplication(AppCreated(), new ServiceSubnetAllocated(ServiceId, 1, FirstSubnet));
        var greeter = Given(Added() with { Name = "greeter" });
        var scenario = new ServiceScenario(Added() with { Name = "greeter" });
        scenario.Start();

        Assert.Empty(Plan(Hello, app, [scenario.Service]).Steps);
        Assert.Equal([ManifestAction.START_SERVICE], Plan(Hello, app, [greeter]).Steps.Select(s => s.Action));
    }

    [Fact]
    public void the_plan_leaves_the_aggregates_it_is_given_as_they_were()
    {
        var scenario = ServiceScenario.Running();
        var app = GivenApplication(AppCreated(), new ServiceSubnetAllocated(ServiceId, 1, FirstSubnet));
        var json = """{"Application": "shop", "Services": [{"Type": "helloworld", "StartupInstances": {"node": 3}}]}""";

        var plan = Plan(json, app, [scenario.Service]);

        Assert.Equal([ManifestAction.ADD_NODES], plan.Steps.Select(s => s.Action));
        Assert.Equal(1, scenario.Service.DesiredCounts["node"]);
        Assert.Equal(ServiceState.RUNNING, scenario.Service.State);
    }

    [Fact]
    public void scaling_down_and_renaming_and_pruning_converge_and_a_stop_is_explicit()
    {
        var scenario = ServiceScenario.Running();
        scenario.AddNodes(new NodeCount(null, 2, null));
        scenario.ReadyAll();
        var otherId = Guid.Parse("00000000-0000-7000-8000-0000000000b2");
        var other = Given(Added("mysql", 2, "172.16.128.0/17", otherId));
        var app = GivenApplication(AppCreated(), new ServiceSubnetAllocated(ServiceId, 1, FirstSubnet),
            new ServiceSubnetAllocated(otherId, 2, "172.16.128.0/17"));
        var json = $$$"""
            {"Application": "Shop", "prune": true,
             "Services": [{"Id": "{{{ServiceId}}}", "Type": "helloworld", "ServiceName": "hello", "StartupInstances": {"node": 1}}]}
            """;

        var plan = Plan(json, app, [scenario.Service, other]);

        Assert.Equal(
            [ManifestAction.RENAME_APPLICATION, ManifestAction.REMOVE_SERVICE, ManifestAction.RENAME_SERVICE, ManifestAction.REMOVE_NODES],
            plan.Steps.Select(s => s.Action));
        Assert.Equal("Remove 2 node nodes from 'hello'", plan.Steps[^1].Description);

        var stop = Plan("""{"Application": "shop", "Services": [{"Type": "helloworld", "Start": false}]}""", app, [scenario.Service]);
        Assert.Equal([ManifestAction.STOP_SERVICE], stop.Steps.Select(s => s.Action));
    }

    [Fact]
    public void more_vms_than_credits_and_an_exhausted_vpn_are_problems_of_the_plan()
    {
        var poor = Plan("""{"Application": "shop", "Services": [{"Type": "php", "Start": 1, "StartupInstances": {"backend": 4}}]}""", credit: 3);
        var problem = Assert.Single(poor.Problems);
        Assert.Equal((ErrorCode.INSUFFICIENT_CREDIT, "$"), (problem.Code, problem.Path));

        // The guide's VPN plan has room for 32 services per application.
        var services = string.Join(", ", Enumerable.Range(1, 33).Select(i => $$"""{"Type": "helloworld", "ServiceName": "s{{i}}"}"""));
        var full = Plan($$"""{"Application": "shop", "Services": [{{services}}]}""");
        var exhausted = Assert.Single(full.Problems);
        Assert.Equal((ErrorCode.VPN_EXHAUSTED, "$.Services[32]"), (exhausted.Code, exhausted.Path));
    }

    [Fact]
    public void a_name_matched_service_of_another_type_and_an_unknown_id_are_problems()
    {
        var app = GivenApplication(AppCreated(), new ServiceSubnetAllocated(ServiceId, 1, FirstSubnet));
        var greeter = Given(Added() with { Name = "greeter" });
        var json = $$"""
            {"Application": "shop", "Services": [{"Type": "php", "ServiceName": "greeter"},
             {"Id": "{{Guid.Parse("00000000-0000-7000-8000-0000000000ff")}}", "Type": "php"}]}
            """;

        var plan = Plan(json, app, [greeter]);

        Assert.Equal([("$.Services[1].Id", ErrorCode.NOT_FOUND), ("$.Services[0].Type", ErrorCode.CONFLICT)],
            plan.Problems.Select(p => (p.Path, p.Code)));
    }

    private static readonly OwnedFile Script = new(Guid.Parse("0190a000-0000-7000-8000-0000000000f1"), OwnerId, "start.sh", 20, new string('a', 64));
    private static readonly OwnedFile Code = new(Guid.Parse("0190a000-0000-7000-8000-0000000000f2"), OwnerId, "code.tar.gz", 900, new string('b', 64));
    private static readonly OwnedFile OtherScript = Script with { Id = Guid.Parse("0190a000-0000-7000-8000-0000000000f3"), Sha256 = new string('c', 64) };

    private static ManifestFiles Owned(params OwnedFile[] files) => new(files, ManifestFiles.None.Current);

    [Fact]
    public void a_new_service_gets_its_files_by_name_or_id_before_it_starts()
    {
        var json = $$"""{"Application": "shop", "Services": [{"Type": "helloworld", "Start": true, "StartupScript": "start.sh", "Archive": "{{Code.Id}}"}]}""";
        var plan = Plan(json, files: Owned(Script, Code));

        Assert.False(plan.IsRefused);
        Assert.Equal([ManifestAction.CREATE_APPLICATION, ManifestAction.ADD_SERVICE, ManifestAction.SET_SERVICE_FILE, ManifestAction.SET_SERVICE_FILE,
            ManifestAction.START_SERVICE], plan.Steps.Select(s => s.Action));
        Assert.Equal(["$.Services[0].StartupScript", "$.Services[0].Archive"],
            plan.Steps.Where(s => s.Action == ManifestAction.SET_SERVICE_FILE).Select(s => s.Path));
        var set = plan.Events.Select(e => e.Event).OfType<ServiceFileSet>().ToList();
        Assert.Equal([(ServiceFileKind.STARTUP_SCRIPT, Script.Id, Script.Sha256), (ServiceFileKind.ARCHIVE, Code.Id, Code.Sha256)],
            set.Select(e => (e.Kind, e.FileId, e.Sha256)));
        var serviceId = plan.Events.Select(e => e.Event).OfType<ServiceAdded>().Single().ServiceId;
        Assert.All(plan.Events.Where(e => e.Event is ServiceFileSet), e => Assert.Equal(serviceId, e.StreamId));
    }

    [Fact]
    public void the_file_a_service_has_needs_nothing_and_another_one_converges()
    {
        var app = GivenApplication(AppCreated(), new ServiceSubnetAllocated(ServiceId, 1, FirstSubnet));
        var greeter = Given(Added() with { Name = "greeter" });
        var json = """{"Application": "shop", "Services": [{"Type": "helloworld", "ServiceName": "greeter", "StartupScript": "start.sh"}]}""";
        var has = new Dictionary<Guid, IReadOnlyDictionary<ServiceFileKind, Guid>> { [greeter.Id] = new Dictionary<ServiceFileKind, Guid> { [ServiceFileKind.STARTUP_SCRIPT] = Script.Id } };

        Assert.Empty(Plan(json, app, [greeter], files: new ManifestFiles([Script], has)).Steps);

        var changed = Plan(json.Replace("start.sh", OtherScript.Id.ToString()), app, [greeter], files: new ManifestFiles([Script, OtherScript], has));
        var step = Assert.Single(changed.Steps);
        Assert.Equal((ManifestAction.SET_SERVICE_FILE, "$.Services[0].StartupScript"), (step.Action, step.Path));
        Assert.Equal(OtherScript.Id, Assert.IsType<ServiceFileSet>(Assert.Single(changed.Events).Event).FileId);

        // The export writes the file back by id, and applying it needs nothing.
        var exported = ManifestExport.Export(app, [greeter], has).ToJsonString();
        Assert.Contains($"\"StartupScript\":\"{Script.Id}\"", exported);
        Assert.Empty(Plan(exported, app, [greeter], files: new ManifestFiles([Script], has)).Steps);
    }

    [Fact]
    public void an_unknown_file_an_ambiguous_name_and_someone_elses_file_are_problems_with_their_paths()
    {
        var someoneElses = Code with { OwnerId = Guid.Parse("0190a000-0000-7000-8000-0000000000aa") };
        var json = $$"""
            {"Application": "shop", "Services": [
              {"Type": "helloworld", "ServiceName": "a", "StartupScript": "missing.sh", "Archive": "{{Guid.Parse("0190a000-0000-7000-8000-0000000000ff")}}"},
              {"Type": "helloworld", "ServiceName": "b", "StartupScript": "start.sh", "Archive": "{{someoneElses.Id}}"}]}
            """;

        var plan = Plan(json, files: Owned(Script, OtherScript, someoneElses));

        Assert.True(plan.IsRefused);
        Assert.Equal([("$.Services[0].StartupScript", ErrorCode.NOT_FOUND), ("$.Services[0].Archive", ErrorCode.NOT_FOUND),
            ("$.Services[1].StartupScript", ErrorCode.INVALID_INPUT), ("$.Services[1].Archive", ErrorCode.NOT_FOUND)], plan.Problems.Select(p => (p.Path, p.Code)));
        Assert.Contains("ambiguous, use the id", plan.Problems[2].Message);
    }

    [Fact]
    public void an_export_plans_nothing_when_applied_to_what_it_came_from()
    {
        var scenario = ServiceScenario.Running("php");
        scenario.AddNodes(new NodeCount("web", 1, null));
        scenario.ReadyAll();
        var app = GivenApplication(AppCreated(), new ServiceSubnetAllocated(ServiceId, 1, FirstSubnet));

        var exported = ManifestExport.Export(app, [scenario.Service], ManifestFiles.None.Current).ToJsonString();

        Assert.Empty(Plan(exported, app, [scenario.Service]).Steps);
        Assert.Contains("\"StartupInstances\":{\"backend\":1,\"web\":1,\"proxy\":0}", exported);
    }
}
