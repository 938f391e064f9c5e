using Conpaas.Api.Certificates;
using Conpaas.Api.Files;
using Conpaas.Api.Hosting;
using JasperFx;
using Microsoft.Extensions.Options;

// ICU is on for the Unicode normalisation of names (Text.Key); nothing the Director writes depends on the machine's locale.
System.Globalization.CultureInfo.DefaultThreadCurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
System.Globalization.CultureInfo.DefaultThreadCurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;

var builder = WebApplication.CreateBuilder(args);
// The README's variables, for the operator who starts the Director by hand.
if (Environment.GetEnvironmentVariable("DIRECTOR_ADMIN_PASSWORD") is { Length: > 0 } adminPassword)
    builder.Configuration["Director:AdminPassword"] = adminPassword;
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(ServerTls.DefaultUrl(builder.Configuration));

// The check's report is standard output (JSON with --json): the host's log (e.g. the CA loaded) goes to standard error.
if (args is [CheckCommand.Verb, ..])
    builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
// The migrate verb is the one way the schema changes outside development.
if (args is [OperatorCommands.Migrate]) builder.Configuration["Director:AutoMigrate"] = "true";

try
{
    builder.AddDirectorOptions()
        .AddDirectorStore()
        .AddIdentity()
        .AddCertificates()
        .AddDirectorTls()
        .AddApplicationsAndServices()
        .AddDataFiles()
        .AddDirectorGraphQL()
        .AddDirectorTelemetry();

    var app = builder.Build();
    // The check reports bad settings and a schema behind instead of refusing on them, so it comes before both.
    if (args is [CheckCommand.Verb, ..]) return await app.RunFromCommandLine(args, Console.Out);
    // Settings are checked before anything starts, so a bad one ends in one clear line and no host error log.
    app.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
    app.MapDirectorGraphQL();
    app.MapCertificateAuthority();
    app.MapDataFiles();
    app.MapDirectorTelemetry();
    if (args is [OperatorCommands.Migrate]) return await app.MigrateDatabase();
    if (!OperatorCommands.AutoMigrate(builder) && await SchemaGate.Problem(app.Services) is { } behind)
    {
        await Console.Error.WriteLineAsync("The Director cannot start: " + behind);
        return 2;
    }

    if (args is [OperatorCommands.AddUser, ..]) return await app.AddUserFromCommandLine(args, Console.In, Console.Out, Console.Error);
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
catch (Exception ex) when (Conpaas.EventStore.PostgresErrors.IsDatabaseUnavailable(ex))
{
    // The schema and the queues are set up at start, so the database must answer then; say so in one line.
    await Console.Error.WriteLineAsync("The Director cannot start: database unreachable: " + ex.Message);
    return 3;
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
