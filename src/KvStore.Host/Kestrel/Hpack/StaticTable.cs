namespace KvStore.Host.Kestrel.Hpack;

/// <summary>The HPACK static table (RFC 7541, Appendix A), indexes 1 to 61.</summary>
internal static class StaticTable
{
    public const int Count = 61;

    private static readonly (byte[] Name, byte[] Value)[] Entries =
    [
        E(":authority", ""), E(":method", "GET"), E(":method", "POST"), E(":path", "/"),
        E(":path", "/index.html"), E(":scheme", "http"), E(":scheme", "https"), E(":status", "200"),
        E(":status", "204"), E(":status", "206"), E(":status", "304"), E(":status", "400"),
        E(":status", "404"), E(":status", "500"), E("accept-charset", ""), E("accept-encoding", "gzip, deflate"),
        E("accept-language", ""), E("accept-ranges", ""), E("accept", ""), E("access-control-allow-origin", ""),
        E("age", ""), E("allow", ""), E("authorization", ""), E("cache-control", ""),
        E("content-disposition", ""), E("content-encoding", ""), E("content-language", ""), E("content-length", ""),
        E("content-location", ""), E("content-range", ""), E("content-type", ""), E("cookie", ""),
        E("date", ""), E("etag", ""), E("expect", ""), E("expires", ""),
        E("from", ""), E("host", ""), E("if-match", ""), E("if-modified-since", ""),
        E("if-none-match", ""), E("if-range", ""), E("if-unmodified-since", ""), E("last-modified", ""),
        E("link", ""), E("location", ""), E("max-forwards", ""), E("proxy-authenticate", ""),
        E("proxy-authorization", ""), E("range", ""), E("referer", ""), E("refresh", ""),
        E("retry-after", ""), E("server", ""), E("set-cookie", ""), E("strict-transport-security", ""),
        E("transfer-encoding", ""), E("user-agent", ""), E("vary", ""), E("via", ""),
        E("www-authenticate", ""),
    ];

    /// <summary>The entry at a 1-based index.</summary>
    public static (byte[] Name, byte[] Value) Get(int index) => Entries[index - 1];

    /// <summary>The 1-based index of an exact match, else 0; <paramref name="nameIndex"/> is the first entry with the name, else 0.</summary>
    public static int Find(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, out int nameIndex)
    {
        nameIndex = 0;
        for (var i = 0; i < Entries.Length; i++)
        {
            if (!name.SequenceEqual(Entries[i].Name))
            {
                continue;
            }
            if (nameIndex == 0)
            {
                nameIndex = i + 1;
            }
            if (value.SequenceEqual(Entries[i].Value))
            {
                return i + 1;
            }
        }
        return 0;
    }

    private static (byte[], byte[]) E(string name, string value) =>
        (System.Text.Encoding.ASCII.GetBytes(name), System.Text.Encoding.ASCII.GetBytes(value));
}
