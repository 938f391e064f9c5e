using System.CommandLine;

namespace Conpaas.Cli.Commands;

/// <summary>The contract's RegisterInput as a username argument and options: `register` and `admin user create`.</summary>
internal sealed class RegisterInputOptions
{
    private readonly Argument<string> _user;
    private readonly Option<string> _email;
    private readonly Option<string?> _password;
    private readonly Option<string?> _firstName;
    private readonly Option<string?> _lastName;
    private readonly Option<string?> _affiliation;
    private readonly Option<int?> _credit;

    /// <param name="whose">"Your" or "The user's", for the help texts.</param>
    public RegisterInputOptions(string user, string whose, Option<string?> password, string credit)
    {
        _user = new Argument<string>("USER") { Description = user };
        _email = new Option<string>("--email", "-e") { Description = $"{whose} e-mail address", Required = true };
        _password = password;
        _firstName = new Option<string?>("--first-name") { Description = $"{whose} first name" };
        _lastName = new Option<string?>("--last-name") { Description = $"{whose} last name" };
        _affiliation = new Option<string?>("--affiliation") { Description = $"{whose} organisation" };
        _credit = new Option<int?>("--credit") { Description = credit };
    }

    public void AddTo(Command command)
    {
        command.Add(_user);
        command.Add(_email);
        command.Add(_password);
        command.Add(_firstName);
        command.Add(_lastName);
        command.Add(_affiliation);
        command.Add(_credit);
    }

    /// <summary>The input object, the password asked for (twice) when neither the option nor $CPS_PASSWORD gives it.</summary>
    public object Input(CommandContext ctx, ParseResult r) => new
    {
        username = r.GetValue(_user),
        email = r.GetValue(_email),
        password = ctx.Password(r.GetValue(_password), confirm: true),
        firstName = r.GetValue(_firstName),
        lastName = r.GetValue(_lastName),
        affiliation = r.GetValue(_affiliation),
        credit = r.GetValue(_credit),
    };
}
