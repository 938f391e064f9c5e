using System.Text.Json.Nodes;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Files;
using Conpaas.Domain.Services;

namespace Conpaas.Domain.Manifests;

/// <summary>manifest(applicationId): the application's desired state as a manifest that re-applies to the same state.</summary>
public static class ManifestExport
{
    /// <param name="files">Each service's file id per kind (written by id: a name may become ambiguous later).</param>
    public static JsonObject Export(Application app, IEnumerable<Service> services,
        IReadOnlyDictionary<Guid, IReadOnlyDictionary<ServiceFileKind, Guid>> files)
    {
        var list = new JsonArray();
        foreach (var service in services.Where(s => s is { Removed: false, RemovalPending: false }).OrderBy(s => s.Sid))
        {
            var entry = new JsonObject
            {
                ["Id"] = service.Id.ToString(),
                ["Type"] = service.Type,
                ["ServiceName"] = service.Name,
            };
            if (service.Cloud is not null) entry["Cloud"] = service.Cloud;
            var running = service.State is ServiceState.PROLOGUE or ServiceState.RUNNING or ServiceState.ADAPTING;
            // A service in ERROR is neither: Start is left out, so applying the export leaves it as it is.
            if (service.State != ServiceState.ERROR) entry["Start"] = running;
            if (running)
            {
                var type = ServiceContext.TypeOf(service);
                // A role never asks for fewer than it starts with (a failed first node may have lowered its count).
                entry["StartupInstances"] = new JsonObject(type.Roles.Select(r =>
                    KeyValuePair.Create(r.Name, (JsonNode?)Math.Max(r.InitialCount, service.DesiredCounts.GetValueOrDefault(r.Name)))));
            }

            if (files.TryGetValue(service.Id, out var own))
                foreach (var (kind, fileId) in own.OrderBy(f => f.Key))
                    entry[ManifestParser.FileKeys[kind]] = fileId.ToString();
            list.Add(entry);
        }

        return new JsonObject { ["Application"] = app.Name, ["ApplicationId"] = app.Id.ToString(), ["Services"] = list };
    }
}
