namespace Conpaas.Domain.Users;

/// <summary>Self-registration or an administrator's createUser (ConPaaS /new_user).</summary>
public sealed record RegisterUser(
    string? Username,
    string? Email,
    string? Password,
    string? FirstName,
    string? LastName,
    string? Affiliation,
    int? Credit,
    Role Role);

public sealed record RegistrationPolicy(int MaxCredit, int MinPasswordLength);

public static class Registration
{
    public const int MaxPasswordLength = 1024;

    /// <summary>Every check that needs no database; the glue checks uniqueness and hashes the password after.</summary>
    public static DomainError? Validate(RegisterUser cmd, RegistrationPolicy policy)
    {
        if (string.IsNullOrEmpty(cmd.Username)) return DomainError.Missing("username");
        if (string.IsNullOrEmpty(cmd.Email)) return DomainError.Missing("email");
        if (string.IsNullOrEmpty(cmd.Password)) return DomainError.Missing("password");

        var error = Text.CheckName("username", cmd.Username)
            ?? CheckUsernameCharacters(cmd.Username)
            ?? Text.CheckName("email", cmd.Email)
            ?? CheckEmail(cmd.Email)
            ?? CheckPassword("password", cmd.Password, policy)
            ?? Text.CheckOptional("firstName", cmd.FirstName)
            ?? Text.CheckOptional("lastName", cmd.LastName)
            ?? Text.CheckOptional("affiliation", cmd.Affiliation);
        if (error is not null) return error;

        // ConPaaS /new_user messages, kept word for word.
        return cmd.Credit switch
        {
            < 0 => DomainError.Invalid("credit", $"Required credit {cmd.Credit} cannot be a negative integer."),
            { } c when c > policy.MaxCredit => DomainError.Invalid("credit",
                $"Cannot allocate {c} credit for a new user (max credit {policy.MaxCredit})."),
            _ => null,
        };
    }

    public static DomainError? CheckPassword(string field, string? password, RegistrationPolicy policy)
    {
        if (string.IsNullOrEmpty(password)) return DomainError.Missing(field);
        if (string.IsNullOrWhiteSpace(password)) return DomainError.Invalid(field, "The password must not be only white space");
        if (password.Length < policy.MinPasswordLength)
            return DomainError.Invalid(field, $"The password must have at least {policy.MinPasswordLength} characters");
        if (password.Length > MaxPasswordLength)
            return DomainError.Invalid(field, $"The password must have at most {MaxPasswordLength} characters");
        return null;
    }

    public static UserRegistered Decide(RegisterUser cmd, RegistrationPolicy policy, Guid userId, string passwordHash, DateTimeOffset now) =>
        new(userId, cmd.Username!.Trim(), cmd.Email!.Trim(), passwordHash,
            Text.Clean(cmd.FirstName), Text.Clean(cmd.LastName), Text.Clean(cmd.Affiliation),
            cmd.Role, cmd.Credit ?? policy.MaxCredit, now);

    public static DomainError UsernameTaken(string username) =>
        DomainError.Conflict($"Username '{username.Trim()}' is already taken", "username");

    public static DomainError EmailTaken(string email) =>
        DomainError.Conflict($"E-mail '{email.Trim()}' is already registered", "email");

    private static DomainError? CheckUsernameCharacters(string username)
    {
        var name = username.Trim();
        if (name.Any(char.IsWhiteSpace)) return DomainError.Invalid("username", "The username must not contain white space");
        // Lone surrogates (and U+FFFD) are not text anyone can type; they also break Unicode normalisation.
        if (name.EnumerateRunes().Any(r => r == System.Text.Rune.ReplacementChar))
            return DomainError.Invalid("username", "The username must be valid Unicode text");
        if (UsernameScripts.Mixed(name) is { Count: > 1 } scripts)
            return DomainError.Invalid("username",
                $"The username mixes letters of {string.Join(" and ", scripts)} that look alike: use the letters of one script");
        if (UsernameScripts.StyledForm(name) is { } styled)
            return DomainError.Invalid("username", $"The username must not use styled forms of letters ({styled}): type them plainly");
        return null;
    }

    private static DomainError? CheckEmail(string email)
    {
        var at = email.Trim().IndexOf('@');
        var ok = at > 0 && at == email.Trim().LastIndexOf('@') && at < email.Trim().Length - 1 && !email.Trim().Any(char.IsWhiteSpace);
        return ok ? null : DomainError.Invalid("email", $"E-mail '{email}' is not a valid address");
    }
}
