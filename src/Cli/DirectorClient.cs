using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conpaas.Cli;

/// <summary>The Director's public GraphQL API over HTTP(S): one POST per operation, nothing else.</summary>
/// <param name="trustedCa">a CA certificate (PEM) that alone is trusted for an https Director, as <c>curl --cacert</c>; null: the system's roots</param>
public sealed class DirectorClient(Uri director, string? token, TimeSpan timeout, string? trustedCa = null) : IDisposable
{
    // Each request has its own time limit (an upload takes longer than an operation).
    private readonly HttpClient _http = new(Handler(trustedCa)) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>A handler that trusts <paramref name="caPem"/> and nothing else (the system's roots when null).</summary>
    public static SocketsHttpHandler Handler(string? caPem)
    {
        var handler = new SocketsHttpHandler();
        if (caPem is null) return handler;
        X509Certificate2 ca;
        try
        {
            ca = X509Certificate2.CreateFromPem(caPem);
        }
        catch (CryptographicException ex)
        {
            throw CliError.BadUsage($"The trusted CA is not a PEM certificate: {ex.Message}");
        }

        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { ca },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        return handler;
    }

    public Uri Director { get; } = director;
    public Uri Endpoint { get; } = new(director, "graphql");

    /// <summary>How long an upload may take, its answer included: far longer than one operation, the file is on its way.</summary>
    public static readonly TimeSpan UploadTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The operation's <c>data</c>; a GraphQL error becomes <see cref="CliError.Refused"/> with its extensions.code.</summary>
    public Task<JsonObject> Send(string query, object? variables, CancellationToken ct) =>
        Post(JsonContent.Create(new { query, variables }), timeout, ct);

    /// <summary>
    /// One operation with files, as the GraphQL multipart request spec sends it: a part <c>operations</c> (the request,
    /// a null where each file goes), a part <c>map</c> (part name → variable paths), then the file parts in that order,
    /// each streamed from its file as the request goes out. The answer is read as <see cref="Send"/> reads it.
    /// </summary>
    /// <param name="files">per part name ("0", "1", …): the variable path it fills (e.g. "variables.f") and the local file</param>
    public async Task<JsonObject> Upload(string query, IDictionary<string, object?> variables,
        IReadOnlyList<(string Part, string VariablePath, string Path)> files, CancellationToken ct)
    {
        var streams = new List<FileStream>();
        try
        {
            foreach (var file in files) streams.Add(OpenForUpload(file.Path));
            using var content = new MultipartFormDataContent();
            content.Add(new StringContent(JsonSerializer.Serialize(new { query, variables }), System.Text.Encoding.UTF8, "application/json"), "operations");
            content.Add(new StringContent(JsonSerializer.Serialize(files.ToDictionary(f => f.Part, f => new[] { f.VariablePath })),
                System.Text.Encoding.UTF8, "application/json"), "map");
            for (var i = 0; i < files.Count; i++)
            {
                var part = new StreamContent(streams[i], 64 * 1024);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                // Sets filename and filename* (RFC 5987, UTF-8): a name that is not ASCII arrives intact.
                content.Add(part, files[i].Part, Path.GetFileName(files[i].Path));
            }

            // Expect: 100-continue: a refusal that comes before the body is read (not signed in, larger than
            // Files:MaxBytes) is answered before a byte of the file is sent, not as a connection cut mid-upload.
            return await Post(content, UploadTimeout, ct, expectContinue: true);
        }
        finally
        {
            foreach (var stream in streams) await stream.DisposeAsync();
        }
    }

    /// <summary>A local file to send, opened for sequential reading; a missing or unreadable one is a usage error before anything is sent.</summary>
    private static FileStream OpenForUpload(string path)
    {
        try
        {
            if (Directory.Exists(path)) throw CliError.BadUsage($"{path} is a folder, not a file");
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliError.BadUsage($"Cannot read {path}: {(ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ex.Message)}");
        }
    }

    private async Task<JsonObject> Post(HttpContent content, TimeSpan limit, CancellationToken ct, bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = content };
        if (expectContinue) request.Headers.ExpectContinue = true;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        HttpResponseMessage response;
        string body;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(limit);
        try
        {
            response = await _http.SendAsync(request, timer.Token);
            body = await response.Content.ReadAsStringAsync(timer.Token);
        }
        catch (HttpRequestException ex) when (ex.InnerException is AuthenticationException)
        {
            throw CliError.Unreachable(Endpoint.ToString(),
                "its certificate is not trusted; check the CA's fingerprint with the Director's operator, then run 'cps trust' (or give --ca FILE)");
        }
        catch (HttpRequestException ex)
        {
            throw CliError.Unreachable(Endpoint.ToString(), ex.InnerException?.Message ?? ex.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw CliError.Unreachable(Endpoint.ToString(), $"no answer within {limit.TotalSeconds:0} s");
        }

        using (response)
        {
            if (Parse(body) is not { } answer || (answer["data"] is null && answer["errors"] is null))
                throw CliError.Unreachable(Endpoint.ToString(),
                    $"it answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}, not as a ConPaaS director");
            if (answer["errors"] is JsonArray { Count: > 0 } errors) throw Refusal(errors);
            return answer["data"] as JsonObject ?? [];
        }
    }

    /// <summary>A plain-text resource of the Director (e.g. ca/certificate), over the same trusted connection as the API.</summary>
    public async Task<string> GetText(string path, CancellationToken ct) =>
        await GetTextIfServed(path, ct) ?? throw CliError.Unreachable(new Uri(Director, path).ToString(), "it answered HTTP 404 Not Found");

    /// <summary>As <see cref="GetText"/>, but null when the Director answers 404 (an older Director that lacks the resource).</summary>
    public async Task<string?> GetTextIfServed(string path, CancellationToken ct)
    {
        var url = new Uri(Director, path);
        try
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timer.CancelAfter(timeout);
            using var response = await _http.GetAsync(url, timer.Token);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            var text = await response.Content.ReadAsStringAsync(timer.Token);
            return response.IsSuccessStatusCode ? text : throw CliError.Unreachable(url.ToString(), $"it answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (HttpRequestException ex)
        {
            throw CliError.Unreachable(url.ToString(), ex.InnerException?.Message ?? ex.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw CliError.Unreachable(url.ToString(), $"no answer within {timeout.TotalSeconds:0} s");
        }
    }

    private static JsonObject? Parse(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static CliError Refusal(JsonArray errors)
    {
        var first = errors[0];
        var messages = errors.Select(e => e?["message"]?.GetValue<string>()).OfType<string>().Distinct();
        var code = first?["extensions"]?["code"]?.GetValue<string>() ?? "ERROR";
        return CliError.Refused(string.Join("; ", messages), code);
    }

    /// <summary>
    /// A director address as people type it: "host" and "host:port" mean http (port 5555 when none is given,
    /// as cps-tools added it); a trailing /graphql is allowed.
    /// </summary>
    public static Uri ParseAddress(string value)
    {
        var text = value.Trim();
        if (!text.Contains("://"))
        {
            var hostPart = text.Split('/')[0];
            var hasPort = hostPart.StartsWith('[') ? hostPart.Contains("]:") : hostPart.Contains(':');
            text = "http://" + (hasPort ? text : hostPart + ":5555" + text[hostPart.Length..]);
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            throw CliError.BadUsage($"Invalid director URL '{value}': expected e.g. http://127.0.0.1:5555");
        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/graphql", StringComparison.Ordinal)) path = path[..^"/graphql".Length];
        return new UriBuilder(uri) { Path = path + "/", Query = "", Fragment = "" }.Uri;
    }

    /// <summary>
    /// The CA certificate the Director serves at /ca/certificate, fetched before anything is trusted, and the
    /// certificate the Director presented for HTTPS (null over http), so that the caller can check one against the other.
    /// </summary>
    public static async Task<(string CaPem, X509Certificate2? Served)> FetchCa(Uri director, TimeSpan timeout, CancellationToken ct)
    {
        X509Certificate2? served = null;
        var handler = new SocketsHttpHandler();
        // Nothing is trusted yet: the caller pins the CA only after the operator's fingerprint (or --yes) says so.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            if (certificate is not null) served = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return true;
        };
        using var http = new HttpClient(handler) { Timeout = timeout };
        var url = new Uri(director, "ca/certificate");
        try
        {
            using var response = await http.GetAsync(url, ct);
            var pem = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode || !pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
                throw CliError.Unreachable(url.ToString(), $"it answered HTTP {(int)response.StatusCode} without a CA certificate");
            return (pem, served);
        }
        catch (HttpRequestException ex)
        {
            throw CliError.Unreachable(url.ToString(), ex.InnerException?.Message ?? ex.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw CliError.Unreachable(url.ToString(), $"no answer within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Does <paramref name="served"/> chain to <paramref name="ca"/> alone, and name <paramref name="host"/>?</summary>
    public static bool IssuedFor(X509Certificate2 served, X509Certificate2 ca, string host)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(served) && served.MatchesHostname(host);
    }

    /// <summary>The SHA-256 fingerprint as openssl prints it (AA:BB:…).</summary>
    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2")));

    public void Dispose() => _http.Dispose();
}
