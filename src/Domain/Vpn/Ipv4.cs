using System.Globalization;

namespace Conpaas.Domain.Vpn;

/// <summary>IPv4 addresses as big-endian <see cref="uint"/>s, so subnet arithmetic is plain integer arithmetic.</summary>
internal static class Ipv4
{
    /// <summary>Strict dotted quad: exactly four decimal octets (IPAddress.Parse would also take "10" or "10.1").</summary>
    public static bool TryParseAddress(string? text, out uint address)
    {
        address = 0;
        if (text is null) return false;
        var octets = text.Split('.');
        if (octets.Length != 4) return false;
        foreach (var octet in octets)
        {
            // Leading zeros are refused because some tools read "010" as octal 8.
            if (octet.Length is 0 or > 3 || (octet.Length > 1 && octet[0] == '0') || !octet.All(char.IsAsciiDigit))
                return false;
            var value = int.Parse(octet, CultureInfo.InvariantCulture);
            if (value > 255) return false;
            address = (address << 8) | (uint)value;
        }
        return true;
    }

    /// <summary>"0" to "32": digits only, no sign, spaces or leading zeros beyond two digits.</summary>
    public static bool TryParsePrefix(string text, out int prefix)
    {
        prefix = 0;
        return text.Length is 1 or 2
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out prefix)
            && prefix <= 32;
    }

    /// <summary>"a.b.c.d/p" with no host bits set.</summary>
    public static bool TryParseCidr(string? text, out uint network, out int prefix)
    {
        network = 0;
        prefix = 0;
        var slash = text?.IndexOf('/') ?? -1;
        return slash >= 0
            && TryParseAddress(text![..slash], out network)
            && TryParsePrefix(text[(slash + 1)..], out prefix)
            && (network & ~Mask(prefix)) == 0;
    }

    public static uint Mask(int prefix) => prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);

    // A long, because a /0 holds 2^32 addresses.
    public static long Size(int prefix) => 1L << (32 - prefix);

    public static string Format(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}");

    public static string Cidr(uint network, int prefix) => string.Create(CultureInfo.InvariantCulture, $"{Format(network)}/{prefix}");
}
