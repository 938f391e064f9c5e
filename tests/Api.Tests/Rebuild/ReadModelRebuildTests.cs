using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Certificates;
using Conpaas.Api.Tests.History;
using Conpaas.Api.Tests.Hosting;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Credits;
using Conpaas.CloudAgents.Outcomes;
using Conpaas.Domain.Files;
using Conpaas.Domain.Users;
using Conpaas.EventStore;
using Conpaas.EventStore.Rebuild;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace Conpaas.Api.Tests.Rebuild;

/// <summary>
/// The one-pass rebuild (`Conpaas.Api.dll rebuild`) gives back exactly the read models inline projection built through
/// the product's own paths, and exactly what Marten's own rebuild (the daemon's, what `projections --rebuild` runs)
/// makes of the same log: every projected document, its data, its version and its duplicated columns.
/// </summary>
public sealed class ReadModelRebuildTests(CertificateApp app) : IClassFixture<CertificateApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every table a projection of the Director writes (the certificate index included).</summary>
    private static readonly string[] Tables =
        ["user", "application", "service", "vm", "sessionview", "streamowner", "certificateview", "creditledgerline"];

    /// <summary>Aggregates carry their stream version in mt_version; the other tables a random Guid per write.</summary>
    private static readonly string[] Versioned = ["user", "application", "service", "vm"];

    /// <summary>Written by COPY with the time of the document's last event; replayed tables get the rebuild's own time.</summary>
    private static readonly string[] TimedByEvents = ["user", "application", "service", "vm", "streamowner", "creditledgerline"];

    [Fact]
    public async Task a_rebuild_gives_back_what_inline_projection_built()
    {
        await GivenALifeOfUsersApplicationsServicesAndCertificates();
        var inline = await Snapshot();
        var indexes = await Indexes();

        var report = await ReadModelRebuild.Run(app.Services.GetRequiredService<IDocumentStore>(), Ct);

        AssertSameReadModels(inline, await Snapshot());
        // The rebuild drops the secondary indexes of the tables it COPYs into and builds them again.
        Assert.Equal(indexes, await Indexes());
        await AssertLoadedVersionsAreStreamVersions();
        Assert.Equal(await EventCount(), report.Events);
        Assert.Equal(((DocumentStore)app.Services.GetRequiredService<IDocumentStore>()).Options.Projections.All.Count, report.Projections.Count);
    }

    [Fact]
    public async Task the_one_pass_rebuild_makes_what_martens_own_rebuild_makes_of_a_log_with_every_event_type()
    {
        await GivenALifeOfUsersApplicationsServicesAndCertificates();
        await GivenFailuresLossesAndCharges();
        Assert.Empty(EventCatalog.All.Select(t => EventCatalog.StoredName(t.Name)).Except(await StoredEventTypes()));
        var store = app.Services.GetRequiredService<IDocumentStore>();

        await ReadModelRebuild.Run(store, Ct);
        var ours = await Snapshot();
        var daemon = await store.BuildProjectionDaemonAsync();
        using (daemon as IDisposable)
            foreach (var projection in ((DocumentStore)store).Options.Projections.All)
                await daemon.RebuildProjectionAsync(projection.Name, TimeSpan.FromMinutes(2), Ct);
        var martens = await Snapshot();

        Assert.Equal(martens.Keys.Order(), ours.Keys.Order());
        foreach (var (key, marten) in martens)
        {
            var our = ours[key];
            Assert.True(JsonNode.DeepEquals(marten.Data, our.Data), $"{key}: Marten's {marten.Data?.ToJsonString()}\nours {our.Data?.ToJsonString()}");
            Assert.Equal(marten.DotNetType, our.DotNetType);
            Assert.True(marten.Duplicates == our.Duplicates, $"{key}: Marten's columns {marten.Duplicates}, ours {our.Duplicates}");
            // A numeric mt_version is the stream version (or a document's revision); a Guid one is new at every write.
            if (!Guid.TryParse(marten.Version, out _)) Assert.True(marten.Version == our.Version, $"{key}: Marten's mt_version {marten.Version}, ours {our.Version}");
            // mt_last_modified differs by design: Marten's rebuild writes the time of the rebuild, ours the time of the
            // document's last event (what inline projection wrote, a moment after it; see AssertSameReadModels).
        }

        // The other tests of this class take the read models as inline projection left them: the times were Marten's.
        await ReadModelRebuild.Run(store, Ct);
    }

    [Fact]
    public async Task deleted_and_corrupted_documents_are_restored()
    {
        await GivenALifeOfUsersApplicationsServicesAndCertificates();
        var inline = await Snapshot();
        await Sql("""
            delete from conpaas.mt_doc_vm where id in (select id from conpaas.mt_doc_vm limit 2);
            delete from conpaas.mt_doc_sessionview;
            delete from conpaas.mt_doc_certificateview where id in (select id from conpaas.mt_doc_certificateview limit 1);
            update conpaas.mt_doc_service set data = jsonb_set(data, '{state}', '"FAILED"'), mt_version = 99;
            update conpaas.mt_doc_user set data = jsonb_set(data, '{credit}', '0');
            insert into conpaas.mt_doc_streamowner (id, data, owner_id) values (gen_random_uuid(), '{"kind": "User"}', gen_random_uuid());
            """);

        await ReadModelRebuild.Run(app.Services.GetRequiredService<IDocumentStore>(), Ct);

        AssertSameReadModels(inline, await Snapshot());
    }

    [Fact]
    public async Task the_rebuild_verb_of_the_director_program_rebuilds_and_says_what_it_did()
    {
        await GivenALifeOfUsersApplicationsServicesAndCertificates();
        var inline = await Snapshot();
        await Sql("delete from conpaas.mt_doc_application; delete from conpaas.mt_doc_streamowner;");

        await using var process = DirectorProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Director"] = app.ConnectionString,
            ["Certificates__CaDirectory"] = app.CaFolder,
            ["Agents__Enabled"] = "false",
        }, "rebuild");
        var exit = await process.WaitForExit(TimeSpan.FromSeconds(60));

        Assert.True(exit == 0, $"rebuild exited with {exit}:\n{process.Logs}");
        Assert.Contains("Read models rebuilt:", process.StandardOutput);
        Assert.Contains("mt_doc_application", process.StandardOutput);
        AssertSameReadModels(inline, await Snapshot());
    }

    [Fact]
    public async Task a_store_without_events_rebuilds_to_empty_read_models()
    {
        var cs = await TestDatabase.CreateDatabase("rebuild_empty");
        try
        {
        using var store = DocumentStore.For(o => DirectorStore.Configure(o, cs));

        var report = await ReadModelRebuild.Run(store, Ct);

        Assert.Equal(0, report.Events);
        Assert.Equal(((DocumentStore)app.Services.GetRequiredService<IDocumentStore>()).Options.Projections.All.Count, report.Projections.Count);
        Assert.All(report.Projections, p => Assert.Equal(0L, p.Documents));
        }
        finally
        {
        await TestDatabase.DropDatabase(cs);
        }
    }

    /// <summary>
    /// Every kind of event the projections handle, through the public API: registrations, sessions started and ended,
    /// a changed password, credit, applications renamed and deleted, services started, scaled in, stopped and removed
    /// with their VMs through to the end, certificates issued and revoked.
    /// </summary>
    private async Task GivenALifeOfUsersApplicationsServicesAndCertificates()
    {
        var name = "r" + Guid.NewGuid().ToString("N")[..8];
        var ann = await app.NewUser(name);
        var other = await app.Client().SignIn(name, "password-" + name);
        await other.Ok("mutation { logout }");
        await ann.Ok("mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }",
            new { o = "password-" + name, n = "new-password-" + name });
        ann = await app.Client().SignIn(name, "new-password-" + name);
        var admin = await app.Admin();
        await admin.Ok("mutation($u: String!) { grantCredit(username: $u, amount: 7, reason: \"rebuild test\") { credit } }", new { u = name });

        var shop = await ann.CreateApplication("shop");
        await ann.RenameApplication(shop, "shop-renamed");
        var web = await ann.AddService(shop, "web");
        var vms = await ann.StartService(web);
        await app.MakeReady(vms);
        await ann.Ok("mutation($s: ID!) { addNodes(serviceId: $s, nodes: [{count: 2}]) { state } }", new { s = web });
        var all = (await ann.Ok("query($s: ID!) { service(id: $s) { nodes { id } } }", new { s = web }))["service"]!["nodes"]!.AsArray()
            .Select(n => n.S("id")).ToList();
        await app.MakeReady(all.Except(vms));
        await ann.Ok("mutation($s: ID!) { removeNodes(serviceId: $s, nodes: [{count: 1}]) { state } }", new { s = web });

        var db = await ann.AddService(shop, "db");
        var dbVms = await ann.StartService(db);
        await app.MakeReady(dbVms);
        await ann.Ok("mutation($s: ID!) { stopService(id: $s) { state } }", new { s = db });
        await app.MakeTerminated(dbVms);
        Assert.True((await ann.Ok("mutation($s: ID!) { removeService(id: $s) }", new { s = db }))["removeService"]!.GetValue<bool>());

        var old = await ann.CreateApplication("old");
        await ann.Ok("mutation($a: ID!) { deleteApplication(id: $a) }", new { a = old });

        var serial = (await ann.Issue(Requester.P256().CsrPem)).S("serial");
        await ann.Issue(Requester.P256().CsrPem);
        Assert.True(await ann.Revoke(serial, "KEY_COMPROMISE"));
    }

    /// <summary>
    /// The events the ordinary life above does not reach: a renamed service, VMs the cloud provisions, creates, fails
    /// (starting and running) and loses, and hourly charges until a user's credit runs out.
    /// </summary>
    private async Task GivenFailuresLossesAndCharges()
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..8];
        var user = await app.NewUser(name, credit: 3);
        var shop = await user.CreateApplication("shop");
        var recorder = app.Services.GetRequiredService<VmOutcomeRecorder>();

        var failing = await user.AddService(shop, "failing");
        await user.Ok("mutation($s: ID!, $n: String!) { renameService(id: $s, name: $n) { id } }", new { s = failing, n = "failing-renamed" });
        foreach (var vm in await user.StartService(failing))
            await recorder.Record(new VmOutcome.Failed(Guid.Parse(vm), "the cloud said no"), Ct);

        var lossy = await user.AddService(shop, "lossy");
        var vms = await user.StartService(lossy);
        foreach (var vm in vms)
        {
            await recorder.Record(new VmOutcome.Provisioning(Guid.Parse(vm)), Ct);
            await recorder.Record(new VmOutcome.Created(Guid.Parse(vm), "p-" + vm, null), Ct);
        }

        await app.MakeReady(vms);
        await recorder.Record(new VmOutcome.Lost(Guid.Parse(vms[0]), "gone from the cloud"), Ct);

        // A node that was running fails (one that fails while its service starts fails the service instead).
        var flaky = await user.AddService(shop, "flaky");
        vms = await user.StartService(flaky);
        await app.MakeReady(vms);
        await recorder.Record(new VmOutcome.Failed(Guid.Parse(vms[0]), "crashed"), Ct);

        // Data files and a provider's sign-in, appended as their slices append them (the uploads' content is on disk
        // and the provider is outside; the read models only see the events): one file kept as the failing service's
        // startup script, one deleted, one identity linked.
        var owner = Guid.Parse((string)(await user.Ok("{ me { id } }"))["me"]!["id"]!);
        var (kept, gone) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await using (var session = app.Services.GetRequiredService<IDocumentStore>().LightweightSession())
        {
            var at = app.Clock.GetUtcNow();
            session.Events.Append(owner, new FileUploaded(kept, owner, "start.sh", 12, new string('a', 64), at),
                new FileUploaded(gone, owner, "old.tar", 34, new string('b', 64), at), new FileDeleted(gone, owner, new string('b', 64), at),
                new SsoIdentityLinked("corp", "https://idp.example.org", "subject-" + name));
            session.Events.Append(Guid.Parse(failing), new ServiceFileSet(Guid.Parse(failing), owner, ServiceFileKind.STARTUP_SCRIPT, kept, "start.sh", 12, new string('a', 64)));
            await session.SaveChangesAsync(Ct);
        }

        // Hours pass until the credit is spent: charges, then exhaustion stops the service.
        var charger = app.Services.GetRequiredService<Charger>();
        for (var hour = 0; hour < 4; hour++)
        {
            await charger.RunOnce(Ct);
            app.Clock.Advance(TimeSpan.FromHours(1));
        }
    }

    private async Task<HashSet<string>> StoredEventTypes()
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        await conn.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand("select distinct type from conpaas.mt_events", conn);
        var types = new HashSet<string>();
        await using var reader = await cmd.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct)) types.Add(reader.GetString(0));
        return types;
    }

    private sealed record Row(JsonNode? Data, string Version, string? DotNetType, string Duplicates, DateTimeOffset LastModified);

    private async Task<Dictionary<string, Row>> Snapshot()
    {
        var rows = new Dictionary<string, Row>();
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        await conn.OpenAsync(Ct);
        foreach (var table in Tables)
        {
            // Duplicated columns (e.g. streamowner's owner_id) are whatever the row has besides Marten's own.
            await using var cmd = new NpgsqlCommand(
                $"select id::text, data::text, mt_version::text, mt_dotnet_type, " +
                $"(to_jsonb(t) - 'id' - 'data' - 'mt_version' - 'mt_last_modified' - 'mt_dotnet_type')::text, mt_last_modified " +
                $"from conpaas.mt_doc_{table} t", conn);
            await using var r = await cmd.ExecuteReaderAsync(Ct);
            while (await r.ReadAsync(Ct))
                rows[$"{table}/{r.GetString(0)}"] = new Row(JsonNode.Parse(r.GetString(1)), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                    r.GetString(4), r.GetFieldValue<DateTimeOffset>(5));
        }

        return rows;
    }

    private static void AssertSameReadModels(Dictionary<string, Row> inline, Dictionary<string, Row> rebuilt)
    {
        Assert.Equal(inline.Keys.Order(), rebuilt.Keys.Order());
        foreach (var (key, before) in inline)
        {
            var after = rebuilt[key];
            var table = key[..key.IndexOf('/')];
            // Write-time artifacts of inline projection: the JSON copy of an aggregate's `version` (0 or a past one,
            // depending on how it was appended; readers get the version from mt_version, compared below) and a VM's
            // `updatedAt` (the previous write's mt_last_modified; loading a VM takes it from mt_last_modified). The
            // rebuild stores what Marten's own rebuild stores: the stream version, and the default time.
            foreach (var artifact in table == "vm" ? ["version", "updatedAt"] : Versioned.Contains(table) ? new[] { "version" } : [])
            {
                before.Data!.AsObject().Remove(artifact);
                after.Data!.AsObject().Remove(artifact);
            }

            Assert.True(JsonNode.DeepEquals(before.Data, after.Data), $"{key}: inline {before.Data?.ToJsonString()}\nrebuilt {after.Data?.ToJsonString()}");
            Assert.Equal(before.DotNetType, after.DotNetType);
            Assert.Equal(before.Duplicates, after.Duplicates);
            if (Versioned.Contains(table)) Assert.True(before.Version == after.Version, $"{key}: mt_version {before.Version} became {after.Version}");
            // Inline writes in the appending transaction, a moment after the event's own timestamp.
            if (TimedByEvents.Contains(table))
                Assert.True((before.LastModified - after.LastModified).Duration() < TimeSpan.FromSeconds(5),
                    $"{key}: mt_last_modified {before.LastModified:O} became {after.LastModified:O}");
        }

        // The deleted application and the removed service stay, marked, as inline keeps them.
        Assert.Contains(rebuilt.Values, r => r.Data?["deleted"]?.GetValue<bool>() == true);
        Assert.Contains(rebuilt.Values, r => r.Data?["removed"]?.GetValue<bool>() == true);
        Assert.Contains(rebuilt.Values, r => r.Data?["revokedAt"] is JsonValue);
    }

    /// <summary>What the API shows as an application's or service's version (expectedVersion checks it) is its stream's.</summary>
    private async Task AssertLoadedVersionsAreStreamVersions()
    {
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var streams = new Dictionary<Guid, long>();
        await using (var conn = new NpgsqlConnection(app.ConnectionString))
        {
            await conn.OpenAsync(Ct);
            await using var cmd = new NpgsqlCommand("select id, version from conpaas.mt_streams", conn);
            await using var r = await cmd.ExecuteReaderAsync(Ct);
            while (await r.ReadAsync(Ct)) streams[r.GetGuid(0)] = r.GetInt64(1);
        }

        foreach (var a in await session.Query<Conpaas.Domain.Applications.Application>().ToListAsync(Ct)) Assert.Equal(streams[a.Id], a.Version);
        foreach (var s in await session.Query<Conpaas.Domain.Services.Service>().ToListAsync(Ct)) Assert.Equal(streams[s.Id], s.Version);
    }

    private async Task<long> EventCount()
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        await conn.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand("select count(*) from conpaas.mt_events where is_archived = false", conn);
        return (long)(await cmd.ExecuteScalarAsync(Ct))!;
    }

    private async Task<List<string>> Indexes()
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        await conn.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand("select indexdef from pg_indexes where schemaname = 'conpaas' order by indexname", conn);
        var indexes = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct)) indexes.Add(reader.GetString(0));
        return indexes;
    }

    private async Task Sql(string sql)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        await conn.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(Ct);
    }
}
