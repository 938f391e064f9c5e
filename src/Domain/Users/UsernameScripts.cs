using System.Text;

namespace Conpaas.Domain.Users;

/// <summary>
/// Usernames that look like another person's: a Cyrillic 'а' in "аdmin", a Greek 'ο' in "rοot". A small part of
/// UTS #39 (Unicode security mechanisms): the letters of a name may come from at most one of the scripts whose letters
/// pass for Latin ones (the "single script" rule, over those scripts only), and compatibility forms (full-width or
/// mathematical letters, which NFKC folds onto plain ones) are refused. Letters of other scripts (Han, Arabic, …) are
/// not limited by this rule; digits, marks and punctuation belong to no script here.
/// </summary>
public static class UsernameScripts
{
    // Blocks of Unicode 15 (https://www.unicode.org/Public/UCD/latest/ucd/Scripts.txt): letters only are looked up.
    private static readonly (int First, int Last, string Script)[] Ranges =
    [
        (0x0041, 0x005A, "Latin"), (0x0061, 0x007A, "Latin"), (0x00AA, 0x00AA, "Latin"), (0x00BA, 0x00BA, "Latin"),
        (0x00C0, 0x024F, "Latin"), (0x0250, 0x02AF, "Latin"), (0x1D00, 0x1D25, "Latin"), (0x1E00, 0x1EFF, "Latin"),
        (0x2C60, 0x2C7F, "Latin"), (0xA720, 0xA7FF, "Latin"), (0xAB30, 0xAB64, "Latin"),
        (0x0370, 0x03FF, "Greek"), (0x1F00, 0x1FFF, "Greek"), (0x2C80, 0x2CFF, "Coptic"),
        (0x0400, 0x052F, "Cyrillic"), (0x1C80, 0x1C8F, "Cyrillic"), (0x2DE0, 0x2DFF, "Cyrillic"), (0xA640, 0xA69F, "Cyrillic"),
        (0x0530, 0x058F, "Armenian"), (0xFB13, 0xFB17, "Armenian"),
        (0x13A0, 0x13FF, "Cherokee"), (0xAB70, 0xABBF, "Cherokee"),
    ];

    // Blocks of styled forms of Latin letters and digits.
    private static readonly (int First, int Last, string Name)[] Styled =
    [
        (0x1D2C, 0x1D6A, "modifier letters"), (0x2070, 0x209F, "superscripts and subscripts"), (0x2100, 0x214F, "letterlike symbols"),
        (0x2460, 0x24FF, "enclosed alphanumerics"), (0xFB00, 0xFB06, "Latin ligatures"), (0xFF01, 0xFFEF, "full-width and half-width forms"),
        (0x1D400, 0x1D7FF, "mathematical letters"), (0x1F100, 0x1F1FF, "enclosed alphanumerics"),
    ];

    /// <summary>The look-alike scripts whose letters the name mixes, by name (fewer than two: nothing to refuse).</summary>
    public static IReadOnlyList<string> Mixed(string name) =>
        name.EnumerateRunes().Where(Rune.IsLetter).Select(r => Find(Ranges, r)).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>The kind of the first styled letter or digit of the name, or null.</summary>
    public static string? StyledForm(string name) => name.EnumerateRunes().Select(r => Find(Styled, r)).FirstOrDefault(k => k is not null);

    private static string? Find((int First, int Last, string Name)[] table, Rune rune)
    {
        foreach (var (first, last, found) in table)
            if (rune.Value >= first && rune.Value <= last) return found;
        return null;
    }
}
