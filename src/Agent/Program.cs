using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

// The program that runs "inside" a VM of the local cloud: it serves its role and answers the Director's
// readiness check. Started as: Conpaas.Agent --vm-name <name> --listen <ip:port> --boot <boot.json> --pid-file <file>
// (the VM name is on the command line so that an operator finds the VM with ps).
var options = Args.Parse(args);
var boot = JsonSerializer.Deserialize<BootContext>(File.ReadAllText(options["boot"]), BootContext.Json)
           ?? throw new InvalidOperationException("empty boot context");
if (boot.Name != options["vm-name"]) throw new InvalidOperationException("the boot context is for another VM");

using var listener = new HttpListener();
listener.Prefixes.Add($"http://{options["listen"]}/");
try
{
    listener.Start();
}
catch (HttpListenerException ex)
{
    // One line the local cloud can hand on as the reason (e.g. another process holds the address), no stack trace.
    Console.Error.WriteLine($"{boot.Name}: cannot listen on {options["listen"]}: {ex.Message}");
    return 1;
}

File.WriteAllText(options["pid-file"], Environment.ProcessId.ToString());

using var stopping = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopping.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopping.Cancel(); });
stopping.Token.Register(listener.Stop);
Console.WriteLine($"{boot.Name}: {boot.Role} of {boot.ServiceType} listening on {options["listen"]} (VPN {boot.VpnAddress ?? "none"})");
_ = ReportToDirector(boot, stopping.Token);
_ = BootFiles.Fetch(boot, Path.GetDirectoryName(Path.GetFullPath(options["boot"]))!, DirectorTrust(boot), stopping.Token);

while (!stopping.IsCancellationRequested)
{
    HttpListenerContext context;
    try
    {
        context = await listener.GetContextAsync();
    }
    catch (Exception) when (stopping.IsCancellationRequested)
    {
        break;
    }

    _ = Task.Run(() => Serve(context, boot));
}

return 0;

// The agent introduces itself with its own credential; the Director answers with what it knows of this VM.
static async Task ReportToDirector(BootContext boot, CancellationToken ct)
{
    try
    {
        using var http = new HttpClient(DirectorTrust(boot)) { Timeout = TimeSpan.FromSeconds(5) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(boot.DirectorUrl), "/agent/v1/self"));
        request.Headers.TryAddWithoutValidation("Authorization", $"Vm {boot.VmId} {boot.Credential}");
        using var response = await http.SendAsync(request, ct);
        Console.WriteLine($"{boot.Name}: the Director answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }
    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
    {
        Console.WriteLine($"{boot.Name}: the Director at {boot.DirectorUrl} did not answer ({ex.Message})");
    }
}

// Over HTTPS the agent trusts the Director's CA, which its boot context carries, and nothing else.
static HttpMessageHandler DirectorTrust(BootContext boot)
{
    var handler = new SocketsHttpHandler();
    if (boot.CaCertificatePem is { Length: > 0 } caPem)
        handler.SslOptions.CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(caPem) },
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
    return handler;
}

static void Serve(HttpListenerContext context, BootContext boot)
{
    var (status, type, body) = context.Request.Url?.AbsolutePath switch
    {
        // Not ready before the service's files are in place and its startup script has finished (GET /files says how far).
        "/health" when !BootFiles.Done => (503, "application/json", JsonSerializer.Serialize(new { status = "starting", vm = boot.Name })),
        "/health" => (200, "application/json", JsonSerializer.Serialize(new { status = "ready", vm = boot.Name, role = boot.Role, vmId = boot.VmId })),
        "/files" => (200, "application/json", JsonSerializer.Serialize(BootFiles.States.Values)),
        "/" when boot.ServiceType == "helloworld" && boot.Role == "AGENT" => (200, "text/plain", "Hello World"),
        "/" => (200, "application/json", JsonSerializer.Serialize(new
        {
            vm = boot.Name, role = boot.Role, serviceRole = boot.ServiceRole, serviceType = boot.ServiceType,
            vpnAddress = boot.VpnAddress, network = boot.Network, @namespace = boot.Namespace,
        })),
        _ => (404, "text/plain", "Not found"),
    };
    var bytes = Encoding.UTF8.GetBytes(body);
    context.Response.StatusCode = status;
    context.Response.ContentType = type + "; charset=utf-8";
    context.Response.ContentLength64 = bytes.Length;
    context.Response.OutputStream.Write(bytes);
    context.Response.Close();
}

/// <summary>What the Director hands a VM at boot (ConPaaS put the same facts in the VM's user-data).</summary>
internal sealed record BootContext(
    Guid VmId, string Name, string Role, string? ServiceRole, string ServiceType, string? VpnAddress, string? Network,
    IReadOnlyList<string> BootstrapNodes, string? Namespace, string DirectorUrl, string Credential, string? CaCertificatePem = null,
    IReadOnlyList<BootFile>? Files = null)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

internal static class Args
{
    public static Dictionary<string, string> Parse(string[] args)
    {
        var map = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
            map[args[i].TrimStart('-')] = args[i + 1];
        foreach (var required in new[] { "vm-name", "listen", "boot", "pid-file" })
            if (!map.ContainsKey(required)) throw new ArgumentException($"missing --{required}");
        return map;
    }
}
