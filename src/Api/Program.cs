using Conpaas.Api.Certificates;
using Conpaas.Api.Hosting;
using JasperFx;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
// The README's variables, for the operator who starts the Director by hand.
if (Environment.GetEnvironmentVariable("DIRECTOR_ADMIN_PASSWORD") is { Length: > 0 } adminPassword)
    builder.Configuration["Director:AdminPassword"] = adminPassword;
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls($"http://127.0.0.1:{Environment.GetEnvironmentVariable("DIRECTOR_PORT") ?? "5555"}");

try
{
    builder.AddDirectorOptions()
        .AddDirectorStore()
        .AddIdentity()
        .AddCertificates()
        .AddApplicationsAndServices()
        .AddDirectorGraphQL();

    var app = builder.Build();
    // Settings are checked before anything starts, so a bad one ends in one clear line and no host error log.
    app.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
    app.MapDirectorGraphQL();
    app.MapCertificateAuthority();
    if (args is [RebuildCommand.Verb]) return await app.RebuildReadModels();
    // JasperFx commands (codegen, db-apply, …) when asked for; a plain start otherwise.
    if (args.Length > 0 && !args[0].StartsWith('-')) return await app.RunJasperFxCommands(args);
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // A bad setting refuses to start and names the key; no stack trace for an operator's typo.
    await Console.Error.WriteLineAsync("The Director cannot start: " + string.Join("; ", ex.Failures));
    return 2;
}
catch (Exception ex) when (Conpaas.Api.GraphQL.Errors.IsDatabaseUnavailable(ex))
{
    // The schema and the queues are set up at start, so the database must answer then; say so in one line.
    await Console.Error.WriteLineAsync("The Director cannot start: database unreachable: " + ex.Message);
    return 3;
}

public partial class Program;
