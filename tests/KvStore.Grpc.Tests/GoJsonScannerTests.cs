using System.Buffers;
using System.Text;
using KvStore.Grpc.Gateway;

namespace KvStore.Grpc.Tests;

/// <summary>GoJsonScanner against Go's encoding/json syntax errors, one row per scanner state that refuses.</summary>
public class GoJsonScannerTests
{
    [Theory]
    [InlineData("ten", "invalid character 'e' in literal true (expecting 'r')")]
    [InlineData("fals", "invalid character ' ' in literal false (expecting 'e')")]
    [InlineData("nul1", "invalid character '1' in literal null (expecting 'l')")]
    [InlineData("5x", "invalid character 'x' after top-level value")]
    [InlineData("", "unexpected end of JSON input")]
    [InlineData("  ", "unexpected end of JSON input")]
    [InlineData("x", "invalid character 'x' looking for beginning of value")]
    [InlineData("{\"a\" 1}", "invalid character '1' after object key")]
    [InlineData("{\"a\":1 \"b\"}", "invalid character '\"' after object key:value pair")]
    [InlineData("{1:2}", "invalid character '1' looking for beginning of object key string")]
    [InlineData("[1 2]", "invalid character '2' after array element")]
    [InlineData("\"\\x\"", "invalid character 'x' in string escape code")]
    [InlineData("\"\\u12g4\"", "invalid character 'g' in \\u hexadecimal character escape")]
    [InlineData("\"a\u0001\"", "invalid character '\\x01' in string literal")]
    [InlineData("\"a\n\"", "invalid character '\\n' in string literal")]
    [InlineData("-a", "invalid character 'a' in numeric literal")]
    [InlineData("1.e", "invalid character 'e' after decimal point in numeric literal")]
    [InlineData("1e+", "invalid character ' ' in exponent of numeric literal")]
    [InlineData("'", "invalid character '\\'' looking for beginning of value")]
    [InlineData("{\"a\":1}", null)]
    [InlineData(" [1, -2.5e3, true, null, \"\\u00e9\"] ", null)]
    [InlineData("01", "invalid character '1' after top-level value")]
    public void CheckValid_words_errors_as_Go(string json, string? error) =>
        Assert.Equal(error, GoJsonScanner.CheckValid(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Nesting_past_10000_is_refused() =>
        Assert.Equal("invalid character '[' exceeded max depth", GoJsonScanner.CheckValid(Encoding.UTF8.GetBytes(new string('[', 10001))));

    [Theory]
    [InlineData("{", true, "Error", 0, "unexpected EOF")]
    [InlineData("{", false, "NeedMore", 0, null)]
    [InlineData("   ", true, "Empty", 0, null)]
    [InlineData("{\"a\":1}{\"b\":2}", false, "Value", 7, null)]
    [InlineData("5 ", false, "Value", 1, null)]
    [InlineData("5", true, "Value", 1, null)]
    [InlineData("5x", false, "Value", 1, null)]
    [InlineData(" ]", true, "Error", 0, "invalid character ']' looking for beginning of value")]
    public void FindValue_reads_the_first_value_as_json_Decoder_does(string json, bool final, string expected, long length, string? error)
    {
        var found = Enum.Parse<GoJsonScanner.Found>(expected);
        Assert.Equal(found, GoJsonScanner.FindValue(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), final, out long end, out string? text));
        if (found == GoJsonScanner.Found.Value) Assert.Equal(length, end);
        Assert.Equal(error, text);
    }
}
