using System.Security.Cryptography;
using Conpaas.Domain;

namespace Conpaas.Api.Certificates;

/// <summary>Certificate serial numbers: random, positive, 20 bytes; written as upper-case hexadecimal like openssl x509 -serial.</summary>
public static class Serials
{
    public const int Bytes = 20;

    /// <summary>
    /// 158 random bits (ConPaaS drew from 1..2048 and could collide). The first byte is 01xxxxxx: the number is positive
    /// (no sign byte needed in DER) and always exactly 20 bytes, the most RFC 5280 allows.
    /// </summary>
    public static byte[] New()
    {
        var serial = RandomNumberGenerator.GetBytes(Bytes);
        serial[0] = (byte)((serial[0] & 0x3F) | 0x40);
        return serial;
    }

    /// <summary>
    /// A serial as the user typed it ("7A:3F…", "7a3f…", "0x7A3F…") in the stored form, or INVALID_INPUT naming the
    /// argument. Leading zero bytes, as some tools print them, do not count.
    /// </summary>
    public static string Normalize(string? serial, string field)
    {
        if (string.IsNullOrWhiteSpace(serial)) throw DomainError.Missing(field).ToException();
        var text = serial.Trim().Replace(":", "").Replace(" ", "");
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) text = text[2..];
        text = text.TrimStart('0').ToUpperInvariant();
        if (text.Length is 0 or > 2 * Bytes || !text.All(Uri.IsHexDigit))
            throw DomainError.Invalid(field, $"'{Text.Quote(serial.Trim())}' is not a certificate serial number: expected hexadecimal, as openssl x509 -noout -serial prints it").ToException();
        return text;
    }
}
