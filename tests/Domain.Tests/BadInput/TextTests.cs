using Xunit;

namespace Conpaas.Domain.Tests.BadInput;

public class TextTests
{
    [Theory]
    [InlineData("caf\u00e9", "cafe\u0301")]
    [InlineData("APP", "app")]
    [InlineData("  Ann ", "ann")]
    [InlineData("Zo\u00cb", "zoe\u0308")]
    [InlineData("STRA\u017fSE", "strasse")] // long s: lower-casing alone keeps it apart
    public void names_differing_only_in_composition_case_or_surrounding_spaces_have_one_key(string a, string b) =>
        Assert.Equal(Text.Key(a), Text.Key(b));

    [Theory]
    [InlineData("shop", "shop2")]
    [InlineData("\ufb01le", "file")] // NFC, not NFKC: the ligature stays a different name
    public void different_names_keep_different_keys(string a, string b) => Assert.NotEqual(Text.Key(a), Text.Key(b));

    [Fact]
    public void a_stored_name_is_trimmed_and_composed_but_keeps_its_case() =>
        Assert.Equal("My Caf\u00e9", Text.Normal("  My Cafe\u0301 "));

    [Fact]
    public void a_short_value_is_quoted_whole_and_a_long_one_cut_at_64_characters()
    {
        Assert.Equal("abc", Text.Quote("abc"));
        Assert.Equal(new string('x', 64), Text.Quote(new string('x', 64)));
        Assert.Equal(new string('x', 64) + "…", Text.Quote(new string('x', 60_000)));
        Assert.Equal("", Text.Quote(null));
    }

    [Fact]
    public void a_quote_never_splits_a_surrogate_pair()
    {
        var value = new string('x', 63) + "\U0001F600" + "tail";
        Assert.Equal(new string('x', 63) + "…", Text.Quote(value));
    }

    [Fact]
    public void nul_and_lone_surrogates_are_refused_naming_the_field()
    {
        // Built here: a lone surrogate does not survive as theory data.
        var cases = new[]
        {
            ("a\u0000b", "'name' must not contain the NUL character"),
            ("x" + (char)0xD800, "'name' is not valid Unicode text (a lone surrogate)"),
            ((char)0xDC00 + "y", "'name' is not valid Unicode text (a lone surrogate)"),
            ("" + (char)0xD800 + (char)0xD800 + (char)0xDC00, "'name' is not valid Unicode text (a lone surrogate)"),
        };
        foreach (var (value, message) in cases)
        {
            var error = Text.CheckUnicode("name", value);
            Assert.Equal((ErrorCode.INVALID_INPUT, "name", message), (error?.Code, error?.Field, error?.Message));
        }
    }

    [Theory]
    [InlineData("line\nbreaks\tand tabs")]
    [InlineData("emoji \U0001F600 pair")]
    public void free_text_with_line_breaks_and_surrogate_pairs_is_valid_unicode(string value) => Assert.Null(Text.CheckUnicode("text", value));

    [Fact]
    public void a_name_with_a_lone_surrogate_is_refused_and_its_key_does_not_throw()
    {
        var bad = "bad" + (char)0xD800;
        Assert.Equal(ErrorCode.INVALID_INPUT, Text.CheckName("name", bad)!.Code);
        Assert.Equal(bad, Text.Key("BAD" + (char)0xD800));
    }
}
