namespace KvStore.Host.Kestrel.Hpack;

/// <summary>
/// An HPACK decoder (RFC 7541) that keeps the dynamic table one sender builds over a connection: the header
/// blocks must be decoded in the order they were sent. <paramref name="maxTableSize"/> is the
/// SETTINGS_HEADER_TABLE_SIZE the receiver advertised, the largest size update the sender may ask for.
/// </summary>
internal sealed class HpackDecoder(int maxTableSize = 4096)
{
    private readonly int _maxTableSize = maxTableSize;
    private const int EntryOverhead = 32;

    // Oldest first: dynamic index 1 (HPACK index 62) is the last entry.
    private readonly List<HeaderField> _entries = [];
    private int _tableSize = maxTableSize;

    /// <summary>The table's size as RFC 7541 section 4.1 counts it (name + value + 32 per entry).</summary>
    public int TableSize { get; private set; }

    public int TableCount => _entries.Count;

    /// <summary>The maximum size the sender set last (initially the advertised maximum).</summary>
    public int MaxTableSize => _tableSize;

    /// <summary>Decodes a whole header block, updating the dynamic table, and adds its fields to <paramref name="fields"/>.</summary>
    public void Decode(ReadOnlySpan<byte> block, List<HeaderField> fields)
    {
        var position = 0;
        var first = true;
        while (position < block.Length)
        {
            var b = block[position];
            if ((b & 0x80) != 0)
            {
                // Indexed header field (6.1).
                var index = ReadInteger(block, ref position, 7);
                fields.Add(Lookup(index));
            }
            else if ((b & 0x40) != 0)
            {
                // Literal with incremental indexing (6.2.1).
                var field = ReadLiteral(block, ref position, 6, false);
                Add(field);
                fields.Add(field);
            }
            else if ((b & 0x20) != 0)
            {
                // Dynamic table size update (6.3): only at the start of a block.
                UpdateTableSize(block, ref position, first);
                continue;
            }
            else
            {
                // Literal without indexing (6.2.2) or never indexed (6.2.3).
                fields.Add(ReadLiteral(block, ref position, 4, (b & 0x10) != 0));
            }
            first = false;
        }
    }

    /// <summary>A dynamic table size update (6.3), allowed only at the start of a block and up to the agreed maximum.</summary>
    private void UpdateTableSize(ReadOnlySpan<byte> block, ref int position, bool first)
    {
        if (!first)
        {
            throw new HpackDecodingException("dynamic table size update after a header field");
        }
        var size = ReadInteger(block, ref position, 5);
        if (size > _maxTableSize)
        {
            throw new HpackDecodingException($"dynamic table size update to {size} exceeds {_maxTableSize}");
        }
        _tableSize = size;
        Evict(0);
    }

    /// <summary>A test on a field's value, for <see cref="TryDecodeUnmatched"/>.</summary>
    public delegate bool ValueMatch(ReadOnlySpan<byte> value);

    // The table as it was before the block TryDecodeUnmatched decodes, put back when a field matches.
    private readonly List<HeaderField> _saved = [];
    private byte[] _scratch = new byte[256];

    /// <summary>
    /// Decodes a whole header block as <see cref="Decode"/> does, without materialising the fields that do not go
    /// into the dynamic table, unless a field named <paramref name="name"/> has a value <paramref name="match"/>
    /// accepts: then the table is left as it was before the block and the result is false (decode it again with
    /// <see cref="Decode"/> to have its fields).
    /// </summary>
    public bool TryDecodeUnmatched(ReadOnlySpan<byte> block, ReadOnlySpan<byte> name, ValueMatch match)
    {
        _saved.Clear();
        _saved.AddRange(_entries);
        var (savedSize, savedMax) = (TableSize, _tableSize);
        try
        {
            if (!Scan(block, name, match))
            {
                return true;
            }
        }
        catch
        {
            Restore();
            throw;
        }
        Restore();
        return false;

        void Restore()
        {
            _entries.Clear();
            _entries.AddRange(_saved);
            (TableSize, _tableSize) = (savedSize, savedMax);
        }
    }

    private bool Scan(ReadOnlySpan<byte> block, ReadOnlySpan<byte> name, ValueMatch match)
    {
        var position = 0;
        var first = true;
        var matched = false;
        while (position < block.Length)
        {
            var b = block[position];
            if ((b & 0x80) != 0)
            {
                var field = Lookup(ReadInteger(block, ref position, 7));
                matched |= field.Name.AsSpan().SequenceEqual(name) && match(field.Value);
            }
            else if ((b & 0x40) != 0)
            {
                var field = ReadLiteral(block, ref position, 6, false);
                Add(field);
                matched |= field.Name.AsSpan().SequenceEqual(name) && match(field.Value);
            }
            else if ((b & 0x20) != 0)
            {
                UpdateTableSize(block, ref position, first);
                continue;
            }
            else
            {
                // A literal that is not indexed: only its name is looked at, and its value only for the name asked for.
                var nameIndex = ReadInteger(block, ref position, 4);
                var named = nameIndex == 0
                    ? ReadStringInto(block, ref position).SequenceEqual(name)
                    : Lookup(nameIndex).Name.AsSpan().SequenceEqual(name);
                if (named)
                {
                    var value = ReadStringInto(block, ref position);
                    matched |= match(value);
                }
                else
                {
                    SkipString(block, ref position);
                }
            }
            first = false;
        }
        return matched;
    }

    private static void SkipString(ReadOnlySpan<byte> block, ref int position)
    {
        if (position >= block.Length)
        {
            throw new HpackDecodingException("truncated string");
        }
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HpackDecodingException("truncated string");
        }
        position += length;
    }

    /// <summary>A string decoded into a scratch buffer (valid until the next call) or, when raw, the block's own bytes.</summary>
    private ReadOnlySpan<byte> ReadStringInto(ReadOnlySpan<byte> block, ref int position)
    {
        var raw = ReadRawString(block, ref position, out var huffman);
        if (!huffman)
        {
            return raw;
        }
        var max = Huffman.MaxDecodedLength(raw.Length);
        if (_scratch.Length < max)
        {
            _scratch = new byte[max];
        }
        if (!Huffman.TryDecode(raw, _scratch, out var written))
        {
            throw new HpackDecodingException("invalid Huffman string");
        }
        return _scratch.AsSpan(0, written);
    }

    private HeaderField Lookup(int index)
    {
        if (index <= 0)
        {
            throw new HpackDecodingException("index 0");
        }
        if (index <= StaticTable.Count)
        {
            var (name, value) = StaticTable.Get(index);
            return new HeaderField(name, value, StaticIndex: index, StaticNameIndex: index);
        }
        var dynamic = index - StaticTable.Count;
        if (dynamic > _entries.Count)
        {
            throw new HpackDecodingException($"index {index} is beyond the dynamic table");
        }
        return _entries[^dynamic] with { NeverIndexed = false };
    }

    private HeaderField ReadLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits, bool neverIndexed)
    {
        var nameIndex = ReadInteger(block, ref position, prefixBits);
        var name = nameIndex == 0 ? ReadString(block, ref position) : Lookup(nameIndex).Name;
        var value = ReadString(block, ref position);
        // The static-table match is looked up only for an entry that goes into the dynamic table (Add), where the
        // sender may reference it on every request; a literal the encoder re-encodes is looked up then.
        return new HeaderField(name, value, neverIndexed);
    }

    private void Add(HeaderField field)
    {
        var size = field.Name.Length + field.Value.Length + EntryOverhead;
        // An entry larger than the table empties it and is not added (4.4).
        Evict(Math.Min(size, _tableSize + 1));
        if (size <= _tableSize)
        {
            var staticIndex = StaticTable.Find(field.Name, field.Value, out var staticNameIndex);
            _entries.Add(field with { NeverIndexed = false, StaticIndex = staticIndex, StaticNameIndex = staticNameIndex });
            TableSize += size;
        }
    }

    /// <summary>Evicts oldest entries until <paramref name="room"/> more bytes fit.</summary>
    private void Evict(int room)
    {
        var evicted = 0;
        while (evicted < _entries.Count && TableSize + room > _tableSize)
        {
            var entry = _entries[evicted++];
            TableSize -= entry.Name.Length + entry.Value.Length + EntryOverhead;
        }
        _entries.RemoveRange(0, evicted);
    }

    private static byte[] ReadString(ReadOnlySpan<byte> block, ref int position)
    {
        var raw = ReadRawString(block, ref position, out var huffman);
        if (!huffman)
        {
            return raw.ToArray();
        }
        var decoded = new byte[Huffman.MaxDecodedLength(raw.Length)];
        if (!Huffman.TryDecode(raw, decoded, out var written))
        {
            throw new HpackDecodingException("invalid Huffman string");
        }
        return decoded[..written];
    }

    /// <summary>A string literal's octets as sent (5.2) and whether they are Huffman-coded.</summary>
    private static ReadOnlySpan<byte> ReadRawString(ReadOnlySpan<byte> block, ref int position, out bool huffman)
    {
        if (position >= block.Length)
        {
            throw new HpackDecodingException("truncated string");
        }
        huffman = (block[position] & 0x80) != 0;
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HpackDecodingException("truncated string");
        }
        var raw = block.Slice(position, length);
        position += length;
        return raw;
    }

    /// <summary>An integer with an N-bit prefix (5.1), at most 2^31 - 1.</summary>
    internal static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        if (position >= block.Length)
        {
            throw new HpackDecodingException("truncated integer");
        }
        var max = (1 << prefixBits) - 1;
        long value = block[position++] & max;
        if (value < max)
        {
            return (int)value;
        }
        for (var shift = 0; ; shift += 7)
        {
            if (position >= block.Length)
            {
                throw new HpackDecodingException("truncated integer");
            }
            if (shift > 28)
            {
                throw new HpackDecodingException("integer too large");
            }
            var b = block[position++];
            value += (long)(b & 0x7f) << shift;
            if (value > int.MaxValue)
            {
                throw new HpackDecodingException("integer too large");
            }
            if ((b & 0x80) == 0)
            {
                return (int)value;
            }
        }
    }
}
