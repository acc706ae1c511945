using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;

namespace KvStore.Mvcc.Tests.Model;

/// <summary>Protobuf messages as JSON for failure messages, with printable byte fields shown as text.</summary>
internal static partial class Format
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    public static string Json(IMessage? message) => message is null ? "null" : Readable(Formatter.Format(message));

    public static string Bytes(ReadOnlySpan<byte> b) =>
        b.ToArray().All(c => c is >= 0x20 and < 0x7f) ? $"'{Encoding.ASCII.GetString(b)}'" : "0x" + Convert.ToHexString(b);

    /// <summary>Replaces base64 byte fields with 'text' (or 0xHEX), and long values by their length.</summary>
    private static string Readable(string json) => Base64Field().Replace(json, m =>
    {
        byte[] bytes;
        try { bytes = Convert.FromBase64String(m.Groups[2].Value); }
        catch (FormatException) { return m.Value; }
        string shown = bytes.Length > 24
            ? $"<{bytes.Length} bytes {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..8]}>"
            : Bytes(bytes);
        return $"\"{m.Groups[1].Value}\": \"{shown.Replace("\"", "\\\"")}\"";
    });

    [GeneratedRegex("\"(key|value|rangeEnd|keys)\": \"([A-Za-z0-9+/=]*)\"")]
    private static partial Regex Base64Field();
}
