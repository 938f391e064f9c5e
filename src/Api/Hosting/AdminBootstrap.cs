using System.Security.Cryptography;
using Conpaas.Api.Identity;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;

namespace Conpaas.Api.Hosting;

/// <summary>Creates the administrator account on the first start; a generated password is printed once, never logged.</summary>
public sealed class AdminBootstrap(IServiceProvider services, IOptions<DirectorOptions> options, ILogger<AdminBootstrap> log) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        var o = options.Value;
        await using var scope = services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<IDocumentSession>();
        if (await session.Query<User>().AnyAsync(u => u.UsernameKey == Text.Key(o.AdminUsername), ct)) return;

        var generated = string.IsNullOrEmpty(o.AdminPassword);
        var password = generated ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_') : o.AdminPassword!;
        var bus = scope.ServiceProvider.GetRequiredService<IMessageContext>();
        bus.CorrelationId = "bootstrap";
        var input = new RegisterUser(o.AdminUsername, o.AdminEmail, password, null, null, null, o.MaxCredit, Role.ADMIN);
        try
        {
            await RegisterHandler.Answer(bus.InvokeAsync<User>(new Register(input), ct), input, log);
        }
        catch (DomainException ex) when (ex.Error.Code == ErrorCode.CONFLICT)
        {
            return; // another Director node created it at the same moment
        }

        log.LogInformation("Administrator account {Username} created", o.AdminUsername);
        if (generated)
        {
            // Printed to the console once, on purpose not through the logger.
            Console.WriteLine();
            Console.WriteLine($"  Administrator account created: username '{o.AdminUsername}', password '{password}'");
            Console.WriteLine("  (shown only this once; set DIRECTOR_ADMIN_PASSWORD to choose it yourself)");
            Console.WriteLine();
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
