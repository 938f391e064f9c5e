using Conpaas.Api.Identity;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Marten;
using Microsoft.Extensions.Options;
using JasperFx;
using Weasel.Core;
using Weasel.Core.Migrations;
using Wolverine.Persistence.Durability;

namespace Conpaas.Api.Hosting;

/// <summary>
/// The operator's verbs (the installation guide's cpsadduser.py and its database upgrade script), run with the
/// Director's own configuration instead of starting it: `dotnet Conpaas.Api.dll migrate` and
/// `dotnet Conpaas.Api.dll adduser EMAIL USERNAME [PASSWORD] [CREDIT]`.
/// </summary>
public static class OperatorCommands
{
    public const string Migrate = "migrate";
    public const string AddUser = "adduser";

    /// <summary>Whether the Director brings its schema up to date at start (Director:AutoMigrate; default: in Development only).</summary>
    public static bool AutoMigrate(WebApplicationBuilder builder) =>
        builder.Configuration.GetValue<bool?>("Director:AutoMigrate") ?? builder.Environment.IsDevelopment();

    /// <summary>Applies every schema change the event store, the read models and the message queues need; prints what it did.</summary>
    public static async Task<int> MigrateDatabase(this WebApplication app)
    {
        var store = app.Services.GetRequiredService<IDocumentStore>();
        var messages = app.Services.GetRequiredService<IMessageStore>();
        var behind = await Behind(app.Services);
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync(AutoCreate.CreateOrUpdate);
        await messages.Admin.MigrateAsync();
        Console.WriteLine(behind.Count == 0
            ? "The database schema was already current."
            : $"The database schema is current: applied changes to {string.Join(", ", behind)}.");
        return 0;
    }

    /// <summary>Which stores' schemas differ from what this Director needs (empty when current).</summary>
    public static async Task<IReadOnlyList<string>> Behind(IServiceProvider services)
    {
        var behind = new List<string>();
        var store = services.GetRequiredService<IDocumentStore>();
        if ((await store.Storage.Database.CreateMigrationAsync()).Difference != SchemaPatchDifference.None) behind.Add("the event store and read models");
        if (services.GetRequiredService<IMessageStore>() is IDatabase queues && (await queues.CreateMigrationAsync()).Difference != SchemaPatchDifference.None)
            behind.Add("the message queues");
        return behind;
    }

    /// <summary>Creates a user the way `register` does (same rules, same events), for an operator at the Director's machine.</summary>
    public static async Task<int> AddUserFromCommandLine(this WebApplication app, string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        if (args.Length is < 3 or > 5)
        {
            await error.WriteLineAsync("usage: Conpaas.Api.dll adduser EMAIL USERNAME [PASSWORD] [CREDIT]   (asks for the password when it is left out)");
            return 2;
        }

        var options = app.Services.GetRequiredService<IOptions<DirectorOptions>>().Value;
        int? credit = null;
        if (args.Length == 5)
        {
            if (!int.TryParse(args[4], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            {
                await error.WriteLineAsync($"error: Required credit '{(args[4].Length > 64 ? args[4][..64] + "…" : args[4])}' is not a valid integer. (INVALID_INPUT)");
                return 2;
            }

            credit = parsed;
        }

        var password = args.Length >= 4 ? args[3] : ReadPassword(input, output);
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var details = new RegisterUser(args[2], args[1], password, null, null, null, credit ?? options.MaxCredit, Role.USER);
        var log = services.GetRequiredService<ILogger<Register>>();
        try
        {
            var user = await RegisterHandler.Answer(Registering(), details, log);
            await output.WriteLineAsync($"User {user.Username} <{user.Email}> created with {user.Credit} credit");
            return 0;
        }
        catch (DomainException ex)
        {
            // A duplicate or a bad value is named, as `register` names it: "Username 'ann' is already taken".
            await error.WriteLineAsync($"error: {ex.Error.Message} ({ex.Error.Code})");
            return 1;
        }

        // The Director is not started here, nor its message bus: the handler runs as Wolverine would run it, then its session is saved.
        async Task<User> Registering()
        {
            var session = services.GetRequiredService<IDocumentSession>();
            session.CorrelationId = "adduser";
            var user = await RegisterHandler.Handle(new Register(details), session, services.GetRequiredService<PasswordHasher>(),
                services.GetRequiredService<IOptions<DirectorOptions>>(), services.GetRequiredService<CloudAgents.Clouds.ServiceContextFactory>(),
                services.GetRequiredService<TimeProvider>(), log, CancellationToken.None);
            await session.SaveChangesAsync();
            return user;
        }
    }

    /// <summary>Asks on the terminal without echo; reads a line from standard input when it is not a terminal.</summary>
    private static string ReadPassword(TextReader input, TextWriter output)
    {
        if (!Console.IsInputRedirected && ReferenceEquals(input, Console.In))
        {
            output.Write("Password: ");
            var password = new System.Text.StringBuilder();
            for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
            {
                if (key.Key == ConsoleKey.Backspace && password.Length > 0) password.Length--;
                else if (!char.IsControl(key.KeyChar)) password.Append(key.KeyChar);
            }

            output.WriteLine();
            return password.ToString();
        }

        return input.ReadLine() ?? "";
    }
}

/// <summary>Outside development the Director never changes its schema on its own: it refuses to start until `migrate` ran.</summary>
public static class SchemaGate
{
    public static async Task<string?> Problem(IServiceProvider services)
    {
        try
        {
            var behind = await OperatorCommands.Behind(services);
            return behind.Count == 0 ? null
                : $"the database schema of {string.Join(" and ", behind)} is behind this Director: run 'dotnet Conpaas.Api.dll {OperatorCommands.Migrate}' " +
                  "with the same settings (or set Director:AutoMigrate=true)";
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // An unreachable database is not a schema problem: the Director starts and says so (/health, HTTP 503).
            return null;
        }
    }
}
