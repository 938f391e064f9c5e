using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Files;

/// <summary>A Director with a content folder of its own and small limits: 1 MiB per upload, 3 MiB per user.</summary>
public class FilesApp : DirectorApp
{
    public const long MaxBytes = 1024 * 1024;
    public const long QuotaBytes = 3 * MaxBytes;

    public string Folder { get; } = Directory.CreateTempSubdirectory("conpaas-files-").FullName;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Files:Folder"] = Folder,
        ["Files:MaxBytes"] = MaxBytes.ToString(),
        ["Files:QuotaBytes"] = QuotaBytes.ToString(),
    };

    /// <summary>Every content and temporary file the Director holds, relative to its folder.</summary>
    public IReadOnlyList<string> StoredFiles() =>
        Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Folder, f)).Order().ToList();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>Uploads as a client of the GraphQL multipart request spec does it, with HttpClient's multipart content.</summary>
public static class Uploads
{
    public const string UploadMutation = "mutation($file: Upload!, $name: String) { uploadFile(file: $file, name: $name) { id name size sha256 } }";

    public static MultipartFormDataContent Multipart(HttpContent file, string fileName = "script.sh", string? name = null,
        string map = """{"0": ["variables.file"]}""", bool withMap = true)
    {
        var content = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(new { query = UploadMutation, variables = new { file = (object?)null, name } })), "operations" },
        };
        if (withMap) content.Add(new StringContent(map), "map");
        content.Add(file, "0", fileName);
        return content;
    }

    public static async Task<GraphQLResponse> Send(this GraphQLClient client, HttpContent body, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = body };
        if (client.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", client.Token);
        configure?.Invoke(request);
        using var response = await client.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new GraphQLResponse((int)response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    /// <summary>Uploads <paramref name="bytes"/> and returns the new file (id, name, size, sha256).</summary>
    public static async Task<JsonNode> Upload(this GraphQLClient client, byte[] bytes, string fileName = "script.sh", string? name = null)
    {
        var response = await client.Send(Multipart(new ByteArrayContent(bytes), fileName, name));
        Assert.True(response.Errors is null, $"upload refused ({response.Status}): {response.Body.ToJsonString()}");
        return response.Data!["uploadFile"]!;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    public static byte[] RandomBytes(int length) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);
}
