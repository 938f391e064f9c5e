using System.Text.Json.Nodes;

namespace Conpaas.Cli;

/// <summary>What one command works with: the writers, the settings, the Director it talks to.</summary>
internal sealed class CommandContext : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly string _configDirectory;
    private readonly Func<string, string?> _environment;
    private readonly Func<string, string?>? _readSecret;
    private readonly DirectorClient _client;

    public CommandContext(TextWriter output, TextWriter error, string configDirectory, Func<string, string?> environment,
        Func<string, string?>? readSecret, bool json, bool quiet, bool terminal, string? director, string? caFile, CancellationToken ct)
    {
        Out = output;
        Err = error;
        Json = json;
        Quiet = quiet;
        Terminal = terminal;
        Cancellation = ct;
        _configDirectory = configDirectory;
        _environment = environment;
        _readSecret = readSecret;
        Settings = CpsSettings.Load(configDirectory);
        Director = DirectorClient.ParseAddress(
            NonEmpty(director) ?? Env("CPS_DIRECTOR") ?? NonEmpty(Settings.Director) ?? CpsSettings.DefaultDirector);
        // A session token goes only to the Director that issued it.
        Token = Settings.Director is { Length: > 0 } saved && DirectorClient.ParseAddress(saved) == Director ? Settings.Token : null;
        CaPem = TrustedCa(NonEmpty(caFile) ?? Env("CPS_CA"));
        _client = new DirectorClient(Director, Token, RequestTimeout, CaPem);
    }

    public bool Quiet { get; }
    /// <summary>Standard output is a terminal: live views redraw in place.</summary>
    public bool Terminal { get; }
    /// <summary>Colours only on a terminal, and never with NO_COLOR set (no-color.org).</summary>
    public bool Color => Terminal && !Json && Env("NO_COLOR") is null;
    /// <summary>The session token for this Director (null when not signed in): subscriptions send it too.</summary>
    public string? Token { get; }
    /// <summary>The CA trusted for this Director (null: the system's roots).</summary>
    public string? CaPem { get; }

    public TextWriter Out { get; }
    public TextWriter Err { get; }
    public bool Json { get; }
    public CancellationToken Cancellation { get; }
    public CpsSettings Settings { get; private set; }
    public Uri Director { get; }

    /// <summary>The Director's URL as people write it (no trailing slash).</summary>
    public string DirectorName => Director.ToString().TrimEnd('/');
    public bool SignedIn => Token is not null;

    /// <summary>The CA to trust: the file given (--ca, $CPS_CA), else the one `cps trust` pinned for this Director.</summary>
    private string? TrustedCa(string? file)
    {
        if (file is null)
            return Settings.TrustedCaDirector is { Length: > 0 } pinned && DirectorClient.ParseAddress(pinned) == Director ? Settings.TrustedCa : null;
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliError.BadUsage($"Cannot read the CA file {file}: {ex.Message}");
        }
    }

    public Task<JsonObject> Send(string query, object? variables = null) => _client.Send(query, variables, Cancellation);

    /// <summary>One operation with one file, streamed from <paramref name="path"/> into the variable <paramref name="variable"/> (a null in <paramref name="variables"/>).</summary>
    public Task<JsonObject> Upload(string query, IDictionary<string, object?> variables, string variable, string path) =>
        _client.Upload(query, variables, [("0", "variables." + variable, path)], Cancellation);

    /// <summary>A plain-text resource of the Director, e.g. "ca/certificate".</summary>
    public Task<string> GetText(string path) => _client.GetText(path, Cancellation);

    /// <summary>As <see cref="GetText"/>, but null when this Director does not serve it (404).</summary>
    public Task<string?> GetTextIfServed(string path) => _client.GetTextIfServed(path, Cancellation);

    /// <summary>~/.conpaas: settings, certificates.</summary>
    public string ConfigDirectory => _configDirectory;

    /// <summary>The raw data with --json, else what <paramref name="human"/> writes.</summary>
    public void Show(JsonObject data, Action<TextWriter> human)
    {
        if (Json) Output.Json(Out, data);
        else human(Out);
    }

    /// <summary>A confirmation: the data with --json, else one line unless --quiet.</summary>
    public void Confirm(JsonObject data, string line)
    {
        if (Json) Output.Json(Out, data);
        else if (!Quiet) Out.WriteLine(line);
    }

    /// <summary>A progress line: on standard output for people, on standard error with --json (which keeps stdout parseable); none with --quiet.</summary>
    public void Note(string line)
    {
        if (!Quiet) (Json ? Err : Out).WriteLine(line);
    }

    public void Save(CpsSettings settings)
    {
        settings.Save(_configDirectory);
        Settings = settings;
    }

    public string SettingsPath => Path.Combine(_configDirectory, CpsSettings.FileName);

    /// <summary>Asks for a signed-in session before anything is sent; <paramref name="what"/> says what needs it.</summary>
    public void RequireSignIn(string what)
    {
        if (!SignedIn) throw CliError.Refused($"Not logged in at {DirectorName}: {what} needs a session", "UNAUTHENTICATED");
    }

    public string? Env(string name) => NonEmpty(_environment(name));

    /// <summary>A password from the option, else $CPS_PASSWORD, else asked for on the terminal.</summary>
    public string Password(string? given, bool confirm)
    {
        var password = Secret(given, "password", "--password", "CPS_PASSWORD", "Password: ");
        if (given is null && Env("CPS_PASSWORD") is null && confirm && _readSecret!("Repeat password: ") != password)
            throw CliError.BadUsage("The passwords do not match");
        return password;
    }

    /// <summary>A secret from its option, else the environment variable, else asked for on the terminal without echo.</summary>
    public string Secret(string? given, string what, string option, string variable, string prompt)
    {
        if (given is not null) return given;
        if (Env(variable) is { } fromEnvironment) return fromEnvironment;
        if (_readSecret is null) throw CliError.BadUsage($"No {what}: give {option}, set {variable}, or run cps in a terminal to be asked");
        return _readSecret(prompt) ?? "";
    }

    public void Dispose() => _client.Dispose();

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
