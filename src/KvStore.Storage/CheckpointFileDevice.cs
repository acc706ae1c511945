using System.Collections.Concurrent;
using FASTER.core;
using Microsoft.Win32.SafeHandles;

namespace KvStore.Storage;

/// <summary>
/// A FASTER device for the checkpoint files (hash index, overflow buckets, metadata) whose reads and writes are plain
/// blocking calls made by one dedicated thread, which also runs their completions. FASTER's own file device on Linux
/// (ManagedLocalStorageDevice) runs a write and then its completion as thread-pool work, and FASTER waits for a
/// checkpoint's metadata write with a blocking wait on the thread that drives the checkpoint, which is often the apply
/// loop in <see cref="RecordStore.Upsert"/>. With 100 clients putting, the pool had no thread free for that write and
/// every put waited 0.5-2 s (docs/maintenance.md). Here the wait is the write's own time. Writes use O_SYNC, as
/// FASTER's device does.
/// </summary>
internal sealed class CheckpointFileDevice(string fileName) : StorageDeviceBase(fileName, SectorBytes, Devices.CAPACITY_UNSPECIFIED)
{
    private const uint SectorBytes = 512;

    /// <summary>Open files by segment; only the I/O thread opens, uses and closes them.</summary>
    private readonly Dictionary<int, SafeFileHandle> _files = new();

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite,
        DeviceIOCompletionCallback callback, object context)
    {
        HandleCapacity(segmentId);
        IoThread.Run(() =>
        {
            uint error = Attempt(() => RandomAccess.Write(File(segmentId), Span(sourceAddress, numBytesToWrite), (long)destinationAddress));
            callback(error, error == 0 ? numBytesToWrite : 0, context);
        });
    }

    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength,
        DeviceIOCompletionCallback callback, object context) =>
        IoThread.Run(() =>
        {
            uint read = 0;
            uint error = Attempt(() => read = (uint)RandomAccess.Read(File(segmentId), Span(destinationAddress, readLength), (long)sourceAddress));
            callback(error, read, context);
        });

    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result) =>
        IoThread.Run(() =>
        {
            Close(segment);
            Attempt(() => System.IO.File.Delete(GetSegmentFilename(FileName, segment)));
            callback(result);
        });

    public override long GetFileSize(int segment)
    {
        if (segmentSize > 0) return segmentSize;
        var size = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        IoThread.Run(() =>
        {
            try
            {
                size.SetResult(RandomAccess.GetLength(File(segment)));
            }
            catch (Exception e)
            {
                size.SetException(e);
            }
        });
        return size.Task.GetAwaiter().GetResult();
    }

    /// <summary>Closes the files after the reads and writes issued before it.</summary>
    public override void Dispose() => IoThread.Run(() =>
    {
        foreach (int segment in _files.Keys.ToArray()) Close(segment);
    });

    private SafeFileHandle File(int segment)
    {
        if (!_files.TryGetValue(segment, out var file))
        {
            string path = GetSegmentFilename(FileName, segment);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            file = System.IO.File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite,
                FileOptions.WriteThrough);
            _files[segment] = file;
        }
        return file;
    }

    private void Close(int segment)
    {
        if (_files.Remove(segment, out var file)) file.Dispose();
    }

    private static unsafe Span<byte> Span(IntPtr address, uint bytes) => new((void*)address, checked((int)bytes));

    /// <summary>FASTER's error code for a failed call, as its own device gives it: the low 16 bits of the HResult.</summary>
    private static uint Attempt(Action io)
    {
        try
        {
            io();
            return 0;
        }
        catch (IOException e)
        {
            return (uint)(e.HResult & 0xFFFF) is var code and not 0 ? code : uint.MaxValue;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or ArgumentException)
        {
            return uint.MaxValue;
        }
    }

    /// <summary>
    /// The one thread, for the whole process, that does every checkpoint file's I/O in the order it was asked for. Work
    /// asked for on that thread itself (the next chunk from <see cref="ChunkedWriteDevice"/>'s completion, or FASTER
    /// waiting for a write from a completion) runs at once on it, so no completion waits for the thread it runs on.
    /// </summary>
    private static class IoThread
    {
        private static readonly BlockingCollection<Action> Queue = new();
        private static readonly Thread Worker = Start();

        public static void Run(Action work)
        {
            if (Thread.CurrentThread == Worker) work();
            else Queue.Add(work);
        }

        /// <summary>
        /// Its stack is large because a chunked write runs chunk after chunk from completions, one frame deeper each
        /// (64 chunks for the default 16 MB index).
        /// </summary>
        private static Thread Start()
        {
            var thread = new Thread(() =>
            {
                foreach (var work in Queue.GetConsumingEnumerable())
                {
                    try
                    {
                        work();
                    }
                    catch (Exception e)
                    {
                        // A completion of FASTER's that throws: FASTER's own device loses it too (it runs them in tasks
                        // nobody awaits). The thread lives on for every other checkpoint file.
                        Console.Error.WriteLine($"a checkpoint file completion failed: {e}");
                    }
                }
            }, maxStackSize: 16 << 20) { IsBackground = true, Name = "faster-checkpoint-io" };
            thread.Start();
            return thread;
        }
    }
}
