using FASTER.core;

namespace KvStore.Storage;

/// <summary>
/// A FASTER device that writes a large write as consecutive writes of at most <see cref="ChunkBytes"/>, each issued
/// when the one before completed, and completes the whole once the last did (or at the first failure, with the bytes
/// written before it). FASTER's file device writes with O_SYNC, and a checkpoint writes the whole hash index (16 MB)
/// in one write: the Raft log's fdatasync queued behind it held every put for 20-70 ms. In chunks, it waits for one
/// chunk at most (ChunkedWriteDeviceTests). For the checkpoint files only: the log's own page writes (4 MB) stay
/// whole, since a page flushed slower holds writers once FASTER's in-memory log is full.
/// </summary>
internal sealed class ChunkedWriteDevice(IDevice inner) : DeviceWrapper(inner)
{
    /// <summary>The largest write issued to the wrapped device (a multiple of any sector size).</summary>
    public const uint ChunkBytes = 256 * 1024;

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite,
        DeviceIOCompletionCallback callback, object context) =>
        InChunks(sourceAddress, destinationAddress, numBytesToWrite, callback, context,
            (source, destination, bytes, done) => Inner.WriteAsync(source, segmentId, destination, bytes, done, context));

    public override void WriteAsync(IntPtr alignedSourceAddress, ulong alignedDestinationAddress, uint numBytesToWrite,
        DeviceIOCompletionCallback callback, object context) =>
        InChunks(alignedSourceAddress, alignedDestinationAddress, numBytesToWrite, callback, context,
            (source, destination, bytes, done) => Inner.WriteAsync(source, destination, bytes, done, context));

    /// <summary>FASTER keeps the source buffer until the callback, so the chunks read it in place.</summary>
    private static void InChunks(IntPtr source, ulong destination, uint bytes, DeviceIOCompletionCallback callback, object context,
        Action<IntPtr, ulong, uint, DeviceIOCompletionCallback> write)
    {
        if (bytes <= ChunkBytes)
        {
            write(source, destination, bytes, callback);
            return;
        }
        uint offset = 0, issued = ChunkBytes;
        write(source, destination, issued, Next);

        void Next(uint errorCode, uint numBytes, object _)
        {
            if (errorCode != 0)
            {
                callback(errorCode, offset + numBytes, context);
                return;
            }
            offset += issued;
            if (offset == bytes)
            {
                callback(0, bytes, context);
                return;
            }
            issued = Math.Min(ChunkBytes, bytes - offset);
            write(source + (nint)offset, destination + offset, issued, Next);
        }
    }
}
