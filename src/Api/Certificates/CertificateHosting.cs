using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Certificates;

/// <summary>Registers the certificate slice: settings, the CA, the CRL and its well-known URLs (the certificate index is the store's, <see cref="Conpaas.EventStore.DirectorStore"/>).</summary>
public static class CertificateHosting
{
    public const string CertificatePath = "/ca/certificate";
    public const string CrlPath = "/ca/crl";
    public const string CrlPemPath = "/ca/crl.pem";

    public static WebApplicationBuilder AddCertificates(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<IValidateOptions<CertificateOptions>, CertificateOptionsValidator>();
        services.AddOptions<CertificateOptions>().BindConfiguration(CertificateOptions.Section).ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CertificateOptions>>().Value;
            var folder = options.ResolveDirectory(sp.GetRequiredService<IHostEnvironment>().ContentRootPath)
                         ?? throw CaFiles.Failure("is empty and this account has no home folder");
            return new CertificateAuthority(folder, options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CertificateAuthority>>());
        });
        services.AddSingleton<RevocationLists>();
        services.AddSingleton<VmCertificates>();
        services.AddSingleton<Conpaas.CloudAgents.Provisioning.IVmCertificates>(sp => sp.GetRequiredService<VmCertificates>());
        services.AddHostedService<CertificateAuthorityStartup>();
        services.AddHostedService<RevocationListRefresher>();
        return builder;
    }

    /// <summary>The CA certificate and the CRL, for anyone (no sign-in): what relying parties fetch.</summary>
    public static IEndpointRouteBuilder MapCertificateAuthority(this IEndpointRouteBuilder app)
    {
        app.MapGet(CertificatePath, (CertificateAuthority ca) => Results.Text(ca.CertificatePem, "application/x-pem-file"));
        app.MapGet(CrlPath, async (RevocationLists crls, HttpContext http, CancellationToken ct) =>
        {
            var crl = await crls.Current(ct);
            http.Response.Headers.CacheControl = "no-cache";
            return Results.Bytes(crl.Der, "application/pkix-crl");
        });
        app.MapGet(CrlPemPath, async (RevocationLists crls, HttpContext http, CancellationToken ct) =>
        {
            var crl = await crls.Current(ct);
            http.Response.Headers.CacheControl = "no-cache";
            return Results.Text(PemEncoding.WriteString("X509 CRL", crl.Der) + "\n", "application/x-pem-file");
        });
        return app;
    }
}

/// <summary>Loads (or creates) the CA before the Director serves anything: a CA it cannot use stops the start-up, naming the setting.</summary>
public sealed class CertificateAuthorityStartup(CertificateAuthority ca) : IHostedService
{
    public Task StartAsync(CancellationToken ct)
    {
        _ = ca.Certificate;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Keeps the CRL from expiring on a Director where nobody revokes or fetches anything for a while.</summary>
public sealed class RevocationListRefresher(RevocationLists crls, IOptions<CertificateOptions> options, TimeProvider clock, ILogger<RevocationListRefresher> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        // A quarter of the validity: Current() publishes once half has passed, so a new CRL is always well ahead of nextUpdate.
        var period = options.Value.CrlValidity / 4;
        if (period > TimeSpan.FromHours(1)) period = TimeSpan.FromHours(1);
        using var timer = new PeriodicTimer(period, clock);
        do
        {
            try
            {
                await crls.Current(ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "The CRL could not be checked or published; trying again in {Period}", period);
            }
        } while (await timer.WaitForNextTickAsync(ct));
    }
}
