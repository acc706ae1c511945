namespace KvStore.Host.Kestrel.Hpack;

/// <summary>
/// One decoded header field; <paramref name="NeverIndexed"/> keeps the sender's "never indexed" mark.
/// <paramref name="StaticIndex"/> and <paramref name="StaticNameIndex"/> are its static-table exact match and
/// name match (0: none, -1: not looked up yet), found once when the field is decoded so a field the sender
/// keeps referencing from its dynamic table is not searched for again on every request.
/// </summary>
internal readonly record struct HeaderField(byte[] Name, byte[] Value, bool NeverIndexed = false, int StaticIndex = -1, int StaticNameIndex = -1);

/// <summary>A header block that does not decode (RFC 7541 calls it a COMPRESSION_ERROR).</summary>
internal sealed class HpackDecodingException(string message) : Exception(message);
