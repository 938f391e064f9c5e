using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Conpaas.Api.Hosting;
using Conpaas.Domain.Users;
using Konscious.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Identity;

/// <summary>
/// Argon2id at the OWASP minimum (19 MiB, 2 passes, 1 lane), stored in the PHC string format. Each hash costs 19 MiB
/// and a core for tens of milliseconds, so callers take a <see cref="Turn"/> first: a few at a time, a bounded queue
/// behind them, RATE_LIMITED beyond it (an anonymous flood of logins must not take the Director's memory).
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    public const string MeterName = "Conpaas.Director.Identity";
    private const int MemoryKiB = 19 * 1024, Passes = 2, Lanes = 1, SaltBytes = 16, HashBytes = 32;

    // Verified against unknown names too, so a login for a missing user costs the same time as a wrong password.
    private readonly Lazy<string> _decoy;
    private readonly ConcurrencyLimiter _turns;
    private readonly UpDownCounter<int> _computing;

    public PasswordHasher(IOptions<DirectorOptions> options, IMeterFactory meters)
    {
        _decoy = new Lazy<string>(() => Hash(Convert.ToHexString(RandomNumberGenerator.GetBytes(16))));
        _turns = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.Value.MaxConcurrentPasswordHashes,
            QueueLimit = options.Value.PasswordHashQueue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _computing = meters.Create(MeterName).CreateUpDownCounter<int>("conpaas.password_hashes.computing",
            description: "Argon2id computations running now");
    }

    /// <summary>Waits for a turn to hash or verify passwords (dispose to give it back); RATE_LIMITED when the queue is full.</summary>
    public async Task<IDisposable> Turn(CancellationToken ct)
    {
        var lease = await _turns.AcquireAsync(1, ct);
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        throw Sessions.Busy.ToException();
    }

    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Compute(password, salt, MemoryKiB, Passes, Lanes, HashBytes);
        return $"$argon2id$v=19$m={MemoryKiB},t={Passes},p={Lanes}${B64(salt)}${B64(hash)}";
    }

    public bool Verify(string password, string encoded)
    {
        // No password matches the empty one (and Argon2 refuses an empty input).
        if (password.Length == 0) return false;
        var parts = encoded.Split('$');
        if (parts.Length != 6 || parts[1] != "argon2id") return false;
        var cost = parts[3].Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1]));
        var salt = FromB64(parts[4]);
        var expected = FromB64(parts[5]);
        var actual = Compute(password, salt, cost["m"], cost["t"], cost["p"], expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    public void VerifyDecoy(string password) => Verify(password, _decoy.Value);

    public void Dispose() => _turns.Dispose();

    private byte[] Compute(string password, byte[] salt, int memoryKiB, int passes, int lanes, int length)
    {
        _computing.Add(1);
        try
        {
            using var argon = new Argon2id(Encoding.UTF8.GetBytes(password))
            {
                Salt = salt, MemorySize = memoryKiB, Iterations = passes, DegreeOfParallelism = lanes,
            };
            return argon.GetBytes(length);
        }
        finally
        {
            _computing.Add(-1);
        }
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] FromB64(string text) => Convert.FromBase64String(text.PadRight(text.Length + (4 - text.Length % 4) % 4, '='));
}
