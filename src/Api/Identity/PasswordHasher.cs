using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace Conpaas.Api.Identity;

/// <summary>Argon2id at the OWASP minimum (19 MiB, 2 passes, 1 lane), stored in the PHC string format.</summary>
public sealed class PasswordHasher
{
    private const int MemoryKiB = 19 * 1024, Passes = 2, Lanes = 1, SaltBytes = 16, HashBytes = 32;

    // Verified against unknown names too, so a login for a missing user costs the same time as a wrong password.
    private readonly Lazy<string> _decoy;

    public PasswordHasher() => _decoy = new Lazy<string>(() => Hash(Convert.ToHexString(RandomNumberGenerator.GetBytes(16))));

    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Compute(password, salt, MemoryKiB, Passes, Lanes, HashBytes);
        return $"$argon2id$v=19$m={MemoryKiB},t={Passes},p={Lanes}${B64(salt)}${B64(hash)}";
    }

    public bool Verify(string password, string encoded)
    {
        var parts = encoded.Split('$');
        if (parts.Length != 6 || parts[1] != "argon2id") return false;
        var cost = parts[3].Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1]));
        var salt = FromB64(parts[4]);
        var expected = FromB64(parts[5]);
        var actual = Compute(password, salt, cost["m"], cost["t"], cost["p"], expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    public void VerifyDecoy(string password) => Verify(password, _decoy.Value);

    private static byte[] Compute(string password, byte[] salt, int memoryKiB, int passes, int lanes, int length)
    {
        using var argon = new Argon2id(Encoding.UTF8.GetBytes(password))
        {
            Salt = salt, MemorySize = memoryKiB, Iterations = passes, DegreeOfParallelism = lanes,
        };
        return argon.GetBytes(length);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] FromB64(string text) => Convert.FromBase64String(text.PadRight(text.Length + (4 - text.Length % 4) % 4, '='));
}
