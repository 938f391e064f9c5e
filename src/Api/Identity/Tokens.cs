using System.Security.Cryptography;
using System.Text;

namespace Conpaas.Api.Identity;

/// <summary>Bearer tokens: 256 random bits; the store only ever sees their SHA-256.</summary>
public static class Tokens
{
    private const string Prefix = "cps_";

    public static string New() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static bool LooksValid(string token) => token.StartsWith(Prefix, StringComparison.Ordinal) && token.Length is > 20 and < 100;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
