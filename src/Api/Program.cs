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
catch (Exception ex) when (BadSettings(ex) is { Count: > 0 } failures)
{
    // A bad setting refuses to start and names the key; no stack trace for an operator's typo.
    await Console.Error.WriteLineAsync("The Director cannot start: " + string.Join("; ", failures));
    return 2;
}

// Several options classes with bad values come as one AggregateException (one inner exception per class): every
// key is named, in one line. Null when anything else went wrong, which is no settings problem.
static IReadOnlyList<string>? BadSettings(Exception ex) => ex switch
{
    OptionsValidationException bad => bad.Failures.ToList(),
    AggregateException all when all.Flatten().InnerExceptions.All(e => e is OptionsValidationException) =>
        all.Flatten().InnerExceptions.SelectMany(e => ((OptionsValidationException)e).Failures).ToList(),
    _ => null,
};

public partial class Program;
