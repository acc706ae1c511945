using FASTER.core;

namespace KvStore.Storage.Tests;

/// <summary><see cref="ChunkedWriteDevice"/> over FASTER's own file device: same bytes on disk, no write above a chunk.</summary>
public sealed class ChunkedWriteDeviceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chunked-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Records each write the chunked device issues; fails the write numbered <see cref="FailAt"/> (from 1).</summary>
    private sealed class RecordingDevice(IDevice inner) : DeviceWrapper(inner)
    {
        public List<uint> Writes { get; } = [];
        public int FailAt { get; init; }

        public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite,
            DeviceIOCompletionCallback callback, object context)
        {
            lock (Writes) Writes.Add(numBytesToWrite);
            if (Writes.Count == FailAt) callback(5, 0, context); // EIO
            else base.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytesToWrite, callback, context);
        }
    }

    private (IDevice File, RecordingDevice Recording, ChunkedWriteDevice Chunked) Open(int failAt = 0)
    {
        IDevice file = Devices.CreateLogDevice(Path.Combine(_dir, "log"), preallocateFile: false, deleteOnClose: false);
        file.Initialize(1L << 30);
        var recording = new RecordingDevice(file) { FailAt = failAt };
        return (file, recording, new ChunkedWriteDevice(recording));
    }

    [Fact]
    public async Task ALargeWriteGoesInChunksOneAfterAnotherAndLandsWhole()
    {
        (IDevice file, RecordingDevice recording, ChunkedWriteDevice chunked) = Open();
        using IDevice owned = chunked;
        var data = new byte[(int)(4 * ChunkedWriteDevice.ChunkBytes) + 3 * 512];
        new Random(7).NextBytes(data);
        Assert.Equal((0u, (uint)data.Length), (await DeviceCalls.WriteAsync(chunked, data, destination: 4096)).Outcome);
        Assert.Equal([ChunkedWriteDevice.ChunkBytes, ChunkedWriteDevice.ChunkBytes, ChunkedWriteDevice.ChunkBytes,
            ChunkedWriteDevice.ChunkBytes, 3 * 512u], recording.Writes);
        Assert.Equal(data, await DeviceCalls.ReadOkAsync(file, 4096, data.Length));
    }

    [Fact]
    public async Task AWriteOfAChunkOrLessGoesWhole()
    {
        (IDevice file, RecordingDevice recording, ChunkedWriteDevice chunked) = Open();
        using IDevice owned = chunked;
        var data = new byte[(int)ChunkedWriteDevice.ChunkBytes];
        new Random(8).NextBytes(data);
        Assert.Equal((0u, (uint)data.Length), (await DeviceCalls.WriteAsync(chunked, data, destination: 0)).Outcome);
        Assert.Equal([ChunkedWriteDevice.ChunkBytes], recording.Writes);
        Assert.Equal(data, await DeviceCalls.ReadOkAsync(file, 0, data.Length));
    }

    [Fact]
    public async Task AFailedChunkEndsTheWriteWithItsErrorAndTheBytesBeforeIt()
    {
        (_, RecordingDevice recording, ChunkedWriteDevice chunked) = Open(failAt: 2);
        using IDevice owned = chunked;
        var data = new byte[(int)(3 * ChunkedWriteDevice.ChunkBytes)];
        Assert.Equal((5u, ChunkedWriteDevice.ChunkBytes), (await DeviceCalls.WriteAsync(chunked, data, destination: 0)).Outcome);
        Assert.Equal(2, recording.Writes.Count); // nothing issued after the failure
    }
}
