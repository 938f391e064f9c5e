using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;
using Conpaas.Api.Certificates;
using Conpaas.CloudAgents.Clouds;
using Conpaas.CloudAgents.Drivers;
using Conpaas.Domain.Vpn;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Hosting;

[JsonConverter(typeof(JsonStringEnumConverter<CheckStatus>))]
public enum CheckStatus { OK, WARN, ERROR }

/// <summary>One line of the check: what was checked, what was found, and what to do about it (null when nothing).</summary>
public sealed record CheckResult(CheckStatus Status, string Name, string Cause, string? Fix);

/// <summary>
/// The installation guide's cpscheck.py, done properly: `dotnet Conpaas.Api.dll check [--json]` looks at what the
/// Director needs (settings, database and schema, CA, HTTPS certificate, clouds, VPN plan, clock, reachability) with
/// its own configuration, without starting it, and says for each OK, WARN or ERROR with a cause and a fix.
/// The same report is the administrators' directorCheck query.
/// </summary>
public static class CheckCommand
{
    public const string Verb = "check";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Prints the report (a table, or JSON with --json); 1 when anything is an ERROR, 0 otherwise.</summary>
    public static async Task<int> RunFromCommandLine(this WebApplication app, string[] args, TextWriter output)
    {
        var results = await Run(app.Services, settings: true);
        if (args.Contains("--json")) await output.WriteLineAsync(JsonSerializer.Serialize(results, Json));
        else
        {
            foreach (var r in results)
            {
                await output.WriteLineAsync($"{r.Status,-5} {r.Name}: {r.Cause}");
                if (r.Fix is not null) await output.WriteLineAsync($"      fix: {r.Fix}");
            }
        }

        return results.Any(r => r.Status == CheckStatus.ERROR) ? 1 : 0;
    }

    /// <summary>
    /// Every check; one that throws is an ERROR of its own, never the end of the report. The settings are validated
    /// here only from the command line: a running Director has passed that validation already.
    /// </summary>
    public static async Task<IReadOnlyList<CheckResult>> Run(IServiceProvider services, bool settings)
    {
        var results = new List<CheckResult>();
        if (settings) results.Add(Guarded("settings", () => Settings(services)));
        results.AddRange(await Guarded("database", () => Database(services)));
        results.Add(Guarded("certificate authority", () => Authority(services)));
        results.Add(Guarded("https certificate", () => Https(services)));
        results.AddRange(await Guarded("clouds", () => Clouds(services)));
        results.Add(Guarded("vpn", () => Vpn(services)));
        results.Add(Guarded("reachability", () => Reachability(services)));
        return results;
    }

    private static CheckResult Guarded(string name, Func<CheckResult> check)
    {
        try
        {
            return check();
        }
        catch (Exception ex)
        {
            return Error(name, Message(ex), "correct the setting named above and run the check again");
        }
    }

    private static async Task<IReadOnlyList<CheckResult>> Guarded(string name, Func<Task<IReadOnlyList<CheckResult>>> check)
    {
        try
        {
            return await check();
        }
        catch (Exception ex)
        {
            return [Error(name, Message(ex), "correct the setting named above and run the check again")];
        }
    }

    private static string Message(Exception ex) => ex switch
    {
        OptionsValidationException bad => string.Join("; ", bad.Failures),
        AggregateException all => string.Join("; ", all.Flatten().InnerExceptions.Select(Message)),
        _ => ex.Message,
    };

    private static CheckResult Ok(string name, string cause) => new(CheckStatus.OK, name, cause, null);
    private static CheckResult Warn(string name, string cause, string fix) => new(CheckStatus.WARN, name, cause, fix);
    private static CheckResult Error(string name, string cause, string fix) => new(CheckStatus.ERROR, name, cause, fix);

    private static CheckResult Settings(IServiceProvider services)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
            return Ok("settings", "every setting is valid");
        }
        catch (Exception ex) when (ex is OptionsValidationException or AggregateException)
        {
            return Error("settings", Message(ex), "correct the settings named; the Director refuses to start with them");
        }
    }

    /// <summary>The database answers, its schema is current, and its clock agrees with this machine's.</summary>
    private static async Task<IReadOnlyList<CheckResult>> Database(IServiceProvider services)
    {
        var store = services.GetRequiredService<IDocumentStore>();
        DateTimeOffset database, local;
        try
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync();
            await using var now = new Npgsql.NpgsqlCommand("select now()", connection);
            // This machine's time is taken halfway through the round trip, so a slow answer is not mistaken for a skew.
            var before = TimeProvider.System.GetUtcNow();
            var watch = Stopwatch.StartNew();
            database = new DateTimeOffset((DateTime)(await now.ExecuteScalarAsync())!); // timestamptz comes as a UTC DateTime
            local = before + watch.Elapsed / 2;
        }
        catch (Exception ex) when (EventStore.PostgresErrors.IsDatabaseUnavailable(ex) || ex is Npgsql.NpgsqlException)
        {
            return [Error("database", $"the database does not answer: {ex.Message}", "start PostgreSQL, or correct ConnectionStrings:Director")];
        }

        var behind = await OperatorCommands.Behind(services);
        var skew = local - database;
        return
        [
            Ok("database", "the database answers"),
            behind.Count == 0
                ? Ok("schema", "the database schema is current")
                : Error("schema", $"the database schema of {string.Join(" and ", behind)} is behind this Director",
                    $"run 'dotnet Conpaas.Api.dll {OperatorCommands.Migrate}' with the same settings"),
            skew.Duration() <= TimeSpan.FromSeconds(1)
                ? Ok("clock", $"this machine's clock agrees with PostgreSQL's ({skew.TotalMilliseconds:0} ms)")
                : Warn("clock", $"this machine's clock is {skew.TotalSeconds:0.0} s off PostgreSQL's",
                    "synchronise both machines' clocks (NTP): certificates, credits and leases depend on them"),
        ];
    }

    private static CheckResult Authority(IServiceProvider services)
    {
        const string name = "certificate authority";
        var ca = services.GetRequiredService<CertificateAuthority>();
        var keyPath = Path.Combine(ca.Folder, CaFiles.KeyFile);
        if (!File.Exists(keyPath))
            return Warn(name, $"there is no CA in {ca.Folder} yet", "none needed: the Director creates it at its first start (or put your own ca.crt and ca.key there)");
        if (CaFiles.KeyProblem(keyPath) is { } problem) return Error(name, problem, $"chmod 600 {keyPath}");

        // Loading it checks the pair and its fitness as a CA (the start-up's own checks).
        var notAfter = new DateTimeOffset(ca.Certificate.NotAfter);
        var validity = services.GetRequiredService<IOptions<CertificateOptions>>().Value.Validity;
        return notAfter - TimeProvider.System.GetUtcNow() < validity
            ? Warn(name, $"the CA expires on {notAfter.UtcDateTime:u}, within Certificates:Validity", "plan a new CA: certificates issued from now on end with it")
            : Ok(name, $"{ca.Certificate.Subject} in {ca.Folder}, valid until {notAfter.UtcDateTime:u}");
    }

    /// <summary>cpscheck.py's check: the host of Director:Url must be the certificate's CN or subjectAltName.</summary>
    private static CheckResult Https(IServiceProvider services)
    {
        const string name = "https certificate";
        var url = services.GetRequiredService<IOptions<DirectorOptions>>().Value.Url;
        if (!url.StartsWith("https:", StringComparison.OrdinalIgnoreCase)) return Ok(name, $"not used: Director:Url {url} is http");

        var tls = services.GetRequiredService<IOptions<TlsOptions>>().Value;
        var server = services.GetRequiredService<ServerCertificates>();
        var file = tls.OperatorCertificate ? tls.CertificateFile! : Path.Combine(services.GetRequiredService<CertificateAuthority>().Folder, ServerCertificates.File);
        if (!File.Exists(file)) return Ok(name, $"the Director issues a certificate for '{server.Host}' at its first start");

        // Only the certificate (the first of a chain): its key is not needed to see whom it is for.
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(file));
        if (server.Problem(certificate) is not { } problem) return Ok(name, $"{file} is for '{server.Host}', the host of Director:Url");
        // The Director renews its own certificate by itself; an operator's is the operator's to replace.
        return tls.OperatorCertificate
            ? Error(name, $"{file}: {problem}", $"use a certificate for '{server.Host}' (Tls:CertificateFile), or set Director:Url to the host it is for")
            : Warn(name, $"{file}: {problem}", "none needed: the Director issues a new one at its next start");
    }

    /// <summary>The default cloud has a driver; every cloud has its keys and answers with them.</summary>
    private static async Task<IReadOnlyList<CheckResult>> Clouds(IServiceProvider services)
    {
        var registry = services.GetRequiredService<CloudDriverRegistry>();
        var results = new List<CheckResult>();
        foreach (var cloud in await registry.Health())
        {
            var name = $"cloud '{cloud.Name}'";
            if (!cloud.IsHealthy)
                results.Add(Error(name, string.Join("; ", cloud.Problems),
                    $"set the keys named under {CloudOptions.Section}:{cloud.Name} (or correct the credentials), then run the check again"));
            else if (!registry.Drivers.ContainsKey(cloud.Name))
                results.Add(Error(name, $"the {cloud.Driver} driver is not available", $"choose another driver for {CloudOptions.Section}:{cloud.Name}:Driver"));
            else results.Add(Ok(name, $"{cloud.Driver} driver, {(cloud.IsDefault ? "the default cloud, " : "")}configured and answering"));
        }

        return results;
    }

    private static CheckResult Vpn(IServiceProvider services)
    {
        var settings = services.GetRequiredService<IOptions<VpnOptions>>().Value.ToSettings();
        if (!VpnPlan.TryCreate(settings, out var plan, out var problems))
            return Error("vpn", string.Join("; ", problems), "correct the Vpn settings named (or leave them all empty for no VPN)");
        return plan.IsEnabled
            ? Ok("vpn", $"each application gets {plan.Network} (any number of applications): " +
                        $"{plan.ServicesPerApplication} services per application, {plan.VmsPerService} VMs per service")
            : Ok("vpn", "no VPN (Vpn settings empty)");
    }

    /// <summary>VMs call the Director back at Director:Url: a loopback address only works for clouds on this machine.</summary>
    private static CheckResult Reachability(IServiceProvider services)
    {
        var url = new Uri(services.GetRequiredService<IOptions<DirectorOptions>>().Value.Url);
        var loopback = url.IsLoopback || (IPAddress.TryParse(url.IdnHost, out var address) && IPAddress.IsLoopback(address));
        var remote = services.GetRequiredService<CloudCatalog>().Settings
            .Where(c => c.Value.Driver is not ("local" or "sim")).Select(c => c.Key).ToList();
        if (loopback && remote.Count > 0)
            return Warn("reachability", $"Director:Url {url} is a loopback address, but VMs of {string.Join(", ", remote.Select(c => $"'{c}'"))} cannot reach it",
                "set Director:Url to an address or name the VMs can reach");
        return Ok("reachability", loopback ? $"Director:Url {url} is loopback; only clouds on this machine are configured" : $"VMs call the Director at {url}");
    }
}
