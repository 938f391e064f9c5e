using Conpaas.Api.GraphQL;
using Conpaas.Domain.Users;
using GraphQL;
using GraphQL.Types;
using Conpaas.Api.Hosting;
using Conpaas.Domain;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;

namespace Conpaas.Api.Identity;

public sealed class RoleType : EnumerationGraphType<Role>
{
    public RoleType() => Name = "Role";
}

public sealed class UserType : ObjectGraphType<User>
{
    public UserType()
    {
        Name = "User";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("username").Resolve(c => c.Source.Username);
        Field<NonNullGraphType<StringGraphType>>("email").Resolve(c => c.Source.Email);
        Field<StringGraphType>("firstName").Resolve(c => c.Source.FirstName);
        Field<StringGraphType>("lastName").Resolve(c => c.Source.LastName);
        Field<StringGraphType>("affiliation").Resolve(c => c.Source.Affiliation);
        Field<NonNullGraphType<RoleType>>("role").Resolve(c => c.Source.Role);
        Field<NonNullGraphType<IntGraphType>>("credit").Resolve(c => c.Source.Credit);
        Field<NonNullGraphType<DateTimeScalar>>("createdAt").Resolve(c => c.Source.CreatedAt);
        Field<DateTimeScalar>("creditRunsOutAt")
            .Description("When the current credit runs out at the current rate of running VMs; null when nothing runs.")
            .ResolveAsync(async c => await c.Get<Credits.CreditCommands>().RunsOutAt(c.Source, c.CancellationToken));
    }
}

public sealed class SessionType : ObjectGraphType<SessionResult>
{
    public SessionType()
    {
        Name = "Session";
        Field<NonNullGraphType<StringGraphType>>("token").Resolve(c => c.Source.Token);
        Field<NonNullGraphType<DateTimeScalar>>("expiresAt").Resolve(c => c.Source.ExpiresAt);
        Field<NonNullGraphType<UserType>>("user").Resolve(c => c.Source.User);
    }
}

public sealed class RegisterInputType : InputObjectGraphType
{
    public RegisterInputType()
    {
        Name = "RegisterInput";
        Field<NonNullGraphType<StringGraphType>>("username");
        Field<NonNullGraphType<StringGraphType>>("email");
        Field<NonNullGraphType<StringGraphType>>("password");
        Field<StringGraphType>("firstName");
        Field<StringGraphType>("lastName");
        Field<StringGraphType>("affiliation");
        Field<IntGraphType>("credit").Description("Initial credit, 0..MaxCredit (default MaxCredit = 50).");
    }

    public static RegisterUser ToCommand(Dictionary<string, object?> input, Role role) => new(
        input.GetValueOrDefault("username") as string,
        input.GetValueOrDefault("email") as string,
        input.GetValueOrDefault("password") as string,
        input.GetValueOrDefault("firstName") as string,
        input.GetValueOrDefault("lastName") as string,
        input.GetValueOrDefault("affiliation") as string,
        input.GetValueOrDefault("credit") as int?,
        role);
}

/// <summary>The identity slice of the contract: register, login, logout, changePassword, me, users, createUser.</summary>
public static class IdentitySchema
{
    public static void AddIdentityQueries(this ObjectGraphType query)
    {
        query.Field<UserType>("me").Description("The signed-in user, or null.")
            .Resolve(c => c.Get<Caller>().User);

        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<UserType>>>>("users").Description("Administrators only.")
            .ResolveAsync(async c =>
            {
                c.Get<Caller>().RequireAdmin();
                return await c.Get<IQuerySession>().Query<User>().OrderBy(u => u.UsernameKey).ToListAsync(c.CancellationToken);
            });
    }

    public static void AddIdentityMutations(this ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<UserType>>("register")
            .Description("Self-registration (can be switched off by configuration).")
            .Argument<NonNullGraphType<RegisterInputType>>("input")
            .ResolveAsync(async c =>
            {
                if (!c.Get<IOptions<DirectorOptions>>().Value.AllowRegistration)
                    throw DomainError.Forbidden("Self-registration is switched off on this Director; ask an administrator").ToException();
                c.Get<AnonymousSignIns>().Count(c.Get<Caller>());
                var input = RegisterInputType.ToCommand(c.GetArgument<Dictionary<string, object?>>("input"), Role.USER);
                return await RegisterHandler.Answer(c.InvokeAnonymous<User>(new Register(input)), input, c.Get<ILogger<Register>>());
            });

        mutation.Field<NonNullGraphType<SessionType>>("login")
            .Argument<NonNullGraphType<StringGraphType>>("username")
            .Argument<NonNullGraphType<StringGraphType>>("password")
            .ResolveAsync(async c => await LoginHandler.Send(c.Get<IMessageContext>(), c.Get<Caller>(), c.Get<AnonymousSignIns>(),
                c.GetArgument<string>("username"), c.GetArgument<string>("password"), c.CancellationToken));

        mutation.Field<NonNullGraphType<BooleanGraphType>>("logout").Description("Revokes the token used for this call.")
            .ResolveAsync(async c => await c.Invoke(by => new Logout(by.Id, c.Get<Caller>().SessionId!.Value)));

        mutation.Field<NonNullGraphType<BooleanGraphType>>("changePassword").Description("Ends every other session of the user.")
            .Argument<NonNullGraphType<StringGraphType>>("oldPassword")
            .Argument<NonNullGraphType<StringGraphType>>("newPassword")
            .ResolveAsync(async c => await c.Invoke(by => new ChangePassword(by.Id, c.Get<Caller>().SessionId!.Value,
                c.GetArgument<string>("oldPassword"), c.GetArgument<string>("newPassword"))));

        mutation.Field<NonNullGraphType<BooleanGraphType>>("setPassword")
            .Description("A first password for a user who has none (registered by an identity provider), from a session the provider's " +
                         "sign-in started in the last 10 minutes; ends every other session. A user with a password changes it with changePassword.")
            .Argument<NonNullGraphType<StringGraphType>>("newPassword")
            .ResolveAsync(async c => await c.Invoke(by => new ChangePassword(by.Id, c.Get<Caller>().SessionId!.Value,
                null, c.GetArgument<string>("newPassword"))));

        mutation.Field<NonNullGraphType<UserType>>("createUser").Description("Administrators only.")
            .Argument<NonNullGraphType<RegisterInputType>>("input")
            .Argument<RoleType>("role", a => a.DefaultValue = Role.USER)
            .ResolveAsync(async c =>
            {
                c.Get<Caller>().RequireAdmin();
                var input = RegisterInputType.ToCommand(c.GetArgument<Dictionary<string, object?>>("input"), c.GetArgument("role", Role.USER));
                return await RegisterHandler.Answer(c.Invoke<User>(_ => new Register(input)), input, c.Get<ILogger<Register>>());
            });
    }
}
