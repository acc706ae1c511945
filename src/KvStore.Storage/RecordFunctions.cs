using FASTER.core;

namespace KvStore.Storage;

/// <summary>Copies a record's bytes out of FASTER's log into a fresh array owned by the caller.</summary>
internal sealed class RecordFunctions : SpanByteFunctions<Revision, byte[]?, Empty>
{
    public override bool SingleReader(ref Revision key, ref SpanByte input, ref SpanByte value, ref byte[]? dst, ref ReadInfo readInfo)
    {
        dst = value.AsReadOnlySpan().ToArray();
        return true;
    }

    public override bool ConcurrentReader(ref Revision key, ref SpanByte input, ref SpanByte value, ref byte[]? dst, ref ReadInfo readInfo)
    {
        dst = value.AsReadOnlySpan().ToArray();
        return true;
    }
}
