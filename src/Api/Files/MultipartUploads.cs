using System.Text.Json;
using Conpaas.Api.GraphQL;
using Conpaas.Api.Hosting;
using Conpaas.Api.Identity;
using Conpaas.Api.Transport;
using GraphQL;
using GraphQL.Transport;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Conpaas.Api.Files;

/// <summary>
/// POST /graphql as multipart/form-data, the GraphQL multipart request spec
/// (github.com/jaydenseric/graphql-multipart-request-spec): a part <c>operations</c> (the usual JSON request, a null
/// where each file goes), a part <c>map</c> (<c>{"0": ["variables.file"]}</c>), then one part per file. The body is
/// read as it arrives: the JSON parts within GraphQL:MaxRequestBytes, each file streamed to a private temporary file
/// (hashed on the way) within Files:MaxBytes, and the rest of an oversized body never read. Only signed-in callers
/// may send files (the cookie session's CSRF rule applies before this, as to any POST).
/// </summary>
public sealed class MultipartUploads(
    ContentFolder contents,
    IOptions<DataFileOptions> files,
    IOptions<GraphQLOptions> graphql,
    IGraphQLTextSerializer serializer,
    Authenticator authenticator,
    Caller caller)
{
    public const string MediaType = "multipart/form-data";
    /// <summary>More files in one request are refused: each is a temporary file until the request ends.</summary>
    public const int MaxFiles = 16;

    public static bool Accepts(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && string.Equals(type.MediaType.Value, MediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The request with every mapped variable holding its <see cref="SpooledFile"/>, or why not (a message and an HTTP status).</summary>
    public async Task<(GraphQLRequest?, string?, int)> Read(HttpContext http)
    {
        var ct = http.RequestAborted;
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(http.Request.ContentType).Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
            return Bad("The multipart/form-data Content-Type needs a boundary of 1 to 70 characters");

        // Before a byte of a file is read: strangers do not get to fill the Director's disk.
        await authenticator.Authenticate(http.Request.Headers.Authorization, caller, ct);
        if (!caller.IsSignedIn)
            return (null, caller.RejectedBecause ?? "Sign in to upload files: send 'Authorization: Bearer <token>' from login",
                StatusCodes.Status401Unauthorized);

        var jsonLimit = graphql.Value.MaxRequestBytes;
        var fileLimit = files.Value.MaxBytes;
        // Two JSON parts, the files and the multipart framing.
        var bodyLimit = fileLimit + 2L * jsonLimit + 64 * 1024;
        if (http.Request.ContentLength > bodyLimit) return TooLarge(fileLimit);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = bodyLimit;

        var spooled = new Dictionary<string, SpooledFile>();
        // Whatever the request ends with, no temporary file outlives it (a placed one has moved already).
        http.Response.RegisterForDispose(new Discarding(spooled.Values));
        try
        {
            var reader = new MultipartReader(boundary, http.Request.Body) { HeadersLengthLimit = 16 * 1024, HeadersCountLimit = 16 };
            var operations = await JsonPart(await reader.ReadNextSectionAsync(ct), "operations", jsonLimit, ct);
            if (operations.Problem is not null) return (null, operations.Problem, operations.Status);
            using var operationsJson = operations.Json!;
            var mapPart = await JsonPart(await reader.ReadNextSectionAsync(ct), "map", jsonLimit, ct);
            if (mapPart.Problem is not null) return (null, mapPart.Problem, mapPart.Status);
            using var mapJson = mapPart.Json!;

            if (operationsJson.RootElement.ValueKind != JsonValueKind.Object)
                return Bad("'operations' must be one JSON object with a 'query' (batched operations are not served)");
            if (ReadMap(mapJson.RootElement, out var problem) is not { } map) return Bad(problem!);

            long total = 0;
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                var name = PartName(section);
                if (name is null || !map.ContainsKey(name) || spooled.ContainsKey(name))
                    return Bad($"Unexpected part '{Quoted.Shorten(name ?? "")}': every part after 'map' must be a file that 'map' names, once");
                var file = await contents.Spool(section.Body, FileName(section), fileLimit - total, ct);
                if (file is null) return TooLarge(fileLimit);
                spooled[name] = file;
                total += file.Size;
            }

            if (map.Keys.FirstOrDefault(k => !spooled.ContainsKey(k)) is { } missing)
                return Bad($"The file part '{Quoted.Shorten(missing)}' that 'map' names is missing");

            return ToRequest(operationsJson.RootElement, map, spooled);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(fileLimit);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException && !ct.IsCancellationRequested)
        {
            // MultipartReader's words for a malformed body (no boundary, headers too long, the end missing).
            return Bad("Malformed multipart/form-data body: " + ex.Message);
        }
    }

    private (GraphQLRequest?, string?, int) ToRequest(JsonElement operations, Dictionary<string, List<string>> map,
        Dictionary<string, SpooledFile> spooled)
    {
        GraphQLRequest? request;
        try
        {
            request = serializer.ReadNode<GraphQLRequest>(operations);
        }
        catch (JsonException ex)
        {
            return Bad("'operations' is not a GraphQL request: " + ex.Message);
        }

        if (request is null || string.IsNullOrWhiteSpace(request.Query)) return Bad("'operations' needs a 'query'");
        var variables = request.Variables is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(request.Variables);
        foreach (var (key, paths) in map)
        foreach (var path in paths)
            if (!Place(variables, path, spooled[key]))
                return Bad($"The map path '{Quoted.Shorten(path)}' does not name a null in 'variables' (e.g. 'variables.file')");

        request.Variables = new Inputs(variables);
        return (request, null, 0);
    }

    /// <summary>Puts the file where the path's null placeholder is: variables.file, variables.files.0, variables.input.file.</summary>
    private static bool Place(Dictionary<string, object?> variables, string path, SpooledFile file)
    {
        var segments = path.Split('.');
        if (segments.Length < 2 || segments[0] != "variables") return false;
        object? container = variables;
        for (var i = 1; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            switch (container)
            {
                case IDictionary<string, object?> obj when obj.TryGetValue(segments[i], out var value):
                    if (last)
                    {
                        if (value is not null) return false;
                        obj[segments[i]] = file;
                        return true;
                    }

                    container = value;
                    break;
                case IList<object?> list when int.TryParse(segments[i], out var index) && index >= 0 && index < list.Count:
                    if (last)
                    {
                        if (list[index] is not null) return false;
                        list[index] = file;
                        return true;
                    }

                    container = list[index];
                    break;
                default:
                    return false;
            }
        }

        return false;
    }

    private static Dictionary<string, List<string>>? ReadMap(JsonElement root, out string? problem)
    {
        problem = null;
        var map = new Dictionary<string, List<string>>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            problem = "'map' must be a JSON object: {\"0\": [\"variables.file\"]}";
            return null;
        }

        foreach (var entry in root.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Array || entry.Value.GetArrayLength() == 0
                || entry.Value.EnumerateArray().Any(p => p.ValueKind != JsonValueKind.String))
            {
                problem = $"'map' entry '{Quoted.Shorten(entry.Name)}' must be a non-empty array of paths";
                return null;
            }

            map[entry.Name] = entry.Value.EnumerateArray().Select(p => p.GetString()!).ToList();
        }

        if (map.Count > MaxFiles) problem = $"At most {MaxFiles} files in one request";
        return problem is null ? map : null;
    }

    private static async Task<(JsonDocument? Json, string? Problem, int Status)> JsonPart(MultipartSection? section, string expected,
        int limit, CancellationToken ct)
    {
        if (section is null || PartName(section) != expected)
            return (null, $"The multipart request must start with the parts 'operations' then 'map' (the GraphQL multipart request spec): '{expected}' is missing", StatusCodes.Status400BadRequest);

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await section.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
                return (null, $"The '{expected}' part is larger than {limit} bytes", StatusCodes.Status413PayloadTooLarge);
            buffer.Write(chunk, 0, read);
        }

        return RequestJson.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), out var malformed) is { } document
            ? (document, null, 0)
            : (null, $"Malformed JSON in '{expected}': {malformed}", StatusCodes.Status400BadRequest);
    }

    private static string? PartName(MultipartSection section) =>
        section.GetContentDispositionHeader() is { } disposition
        && disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
            ? HeaderUtilities.RemoveQuotes(disposition.Name).Value
            : null;

    private static string? FileName(MultipartSection section)
    {
        var disposition = section.GetContentDispositionHeader();
        var name = disposition?.FileNameStar.Value ?? disposition?.FileName.Value;
        return name is null ? null : HeaderUtilities.RemoveQuotes(name).Value;
    }

    private static (GraphQLRequest?, string?, int) Bad(string problem) => (null, problem, StatusCodes.Status400BadRequest);

    private static (GraphQLRequest?, string?, int) TooLarge(long limit) =>
        (null, $"The files are larger than Files:MaxBytes ({limit} bytes)", StatusCodes.Status413PayloadTooLarge);

    private sealed class Discarding(IEnumerable<SpooledFile> files) : IDisposable
    {
        public void Dispose()
        {
            foreach (var file in files) ContentFolder.Discard(file);
        }
    }
}
