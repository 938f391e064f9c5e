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

    public static User Create(UserRegistered e) => new()
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

    public void Apply(PasswordChanged e) => PasswordHash = e.PasswordHash;

    public void Apply(CreditGranted e) => Credit = e.Balance;

    public void Apply(CreditCharged e) => Credit = e.Balance;
}
