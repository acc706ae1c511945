namespace KvStore.Host.Kestrel.Hpack;

/// <summary>One decoded header field; <paramref name="NeverIndexed"/> keeps the sender's "never indexed" mark.</summary>
internal readonly record struct HeaderField(byte[] Name, byte[] Value, bool NeverIndexed = false);

/// <summary>A header block that does not decode (RFC 7541 calls it a COMPRESSION_ERROR).</summary>
internal sealed class HpackDecodingException(string message) : Exception(message);
