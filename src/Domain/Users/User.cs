namespace Conpaas.Domain.Users;

/// <summary>The user aggregate: identity, password and credit. Its inline snapshot doubles as the user read model.</summary>
public sealed class User
{
    public Guid Id { get; set; }
    public int Version { get; set; }
    public string Username { get; set; } = "";
    public string UsernameKey { get; set; } = "";
    public string Email { get; set; } = "";
    public string EmailKey { get; set; } = "";
    public string PasswordHash { get; set; } = "";
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public string? Affiliation { get; set; }
    public Role Role { get; set; }
    public int Credit { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    public bool IsAdmin => Role == Role.ADMIN;

    private static User Begin(UserRegistered e) => new()
    {
        Id = e.UserId,
        Username = e.Username,
        UsernameKey = Text.Key(e.Username),
        Email = e.Email,
        EmailKey = Text.Key(e.Email),
        PasswordHash = e.PasswordHash,
        FirstName = e.FirstName,
        LastName = e.LastName,
        Affiliation = e.Affiliation,
        Role = e.Role,
        Credit = e.Credit,
        CreatedAt = e.RegisteredAt,
    };

    /// <summary>
    /// The one dispatch (named so that Marten does not take it for a convention method) of a user stream's events: the first creates the user, the password and credit events change
    /// it; sessions and certificates have read models of their own. The inline projection (UserProjection) delegates here.
    /// </summary>
    public static User? After(User? user, object e)
    {
        switch (e)
        {
            case UserRegistered x: return Begin(x);
            case PasswordChanged x: user?.On(x); break;
            case CreditGranted x: user?.On(x); break;
            case CreditCharged x: user?.On(x); break;
        }

        return user;
    }

    private void On(PasswordChanged e) => PasswordHash = e.PasswordHash;

    private void On(CreditGranted e) => Credit = e.Balance;

    private void On(CreditCharged e) => Credit = e.Balance;
}
