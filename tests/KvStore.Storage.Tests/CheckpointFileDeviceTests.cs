using System.Runtime.InteropServices;
using FASTER.core;

namespace KvStore.Storage.Tests;

/// <summary>
/// <see cref="CheckpointFileDevice"/>: the bytes land where FASTER's own device puts them, and no read, write or
/// completion needs a thread-pool thread (the stall in docs/maintenance.md).
/// </summary>
public sealed class CheckpointFileDeviceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("checkpoint-device-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task WritesLandInTheSegmentFileFasterNamesAndReadBack_CompletedOffThePool()
    {
        string name = Path.Combine(_dir, "index", "ht.dat");
        using var device = new CheckpointFileDevice(name);
        var first = new byte[4096];
        var second = new byte[1024];
        new Random(1).NextBytes(first);
        new Random(2).NextBytes(second);

        DeviceCompletion wrote = await DeviceCalls.WriteAsync(device, first, destination: 512);
        Assert.Equal(new DeviceCompletion(0, 4096, OnPoolThread: false, "faster-checkpoint-io"), wrote);
        DeviceCompletion wroteSecond = await DeviceCalls.WriteAsync(device, second, destination: 0, segment: 1);
        Assert.Equal((0u, 1024u), wroteSecond.Outcome);

        // FASTER's own device names segment files "<name>.<segment>"; a restart reads them with FASTER's device.
        Assert.Equal(first, File.ReadAllBytes(name + ".0").AsSpan(512).ToArray());
        Assert.Equal(second, File.ReadAllBytes(name + ".1"));
        (DeviceCompletion read, byte[] data) = await DeviceCalls.ReadAsync(device, 512, 4096);
        Assert.Equal(new DeviceCompletion(0, 4096, OnPoolThread: false, "faster-checkpoint-io"), read);
        Assert.Equal(first, data);
        Assert.Equal(512 + 4096, device.GetFileSize(0));
    }

    [Fact]
    public async Task AWriteWaitedForInsideACompletionFinishes()
    {
        // FASTER waits for a metadata write with a blocking wait; should that ever run inside one of this device's
        // completions, the write it waits for must not queue behind the completion that waits.
        using var device = new CheckpointFileDevice(Path.Combine(_dir, "info.dat"));
        var inner = new byte[512];
        new Random(3).NextBytes(inner);
        var waited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pin = GCHandle.Alloc(new byte[512], GCHandleType.Pinned);
        device.WriteAsync(pin.AddrOfPinnedObject(), 0, 0, 512, (_, _, _) =>
        {
            using var written = new SemaphoreSlim(0);
            var innerPin = GCHandle.Alloc(inner, GCHandleType.Pinned);
            device.WriteAsync(innerPin.AddrOfPinnedObject(), 0, 512, 512, (_, _, _) => written.Release(), null!);
            waited.SetResult(written.Wait(TimeSpan.FromSeconds(10)));
            innerPin.Free();
        }, null!);
        Assert.True(await waited.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        pin.Free();
        Assert.Equal(inner, (await DeviceCalls.ReadAsync(device, 512, 512)).Data);
    }

    [Fact]
    public async Task AFileThatCannotBeOpenedEndsTheWriteWithAnError()
    {
        // A directory where the segment file should be: the open fails, the completion still comes, with an error.
        Directory.CreateDirectory(Path.Combine(_dir, "blocked.dat.0"));
        using var device = new CheckpointFileDevice(Path.Combine(_dir, "blocked.dat"));
        DeviceCompletion wrote = await DeviceCalls.WriteAsync(device, new byte[512], destination: 0).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotEqual(0u, wrote.Error);
        Assert.Equal(0u, wrote.Bytes);
    }

    [Fact]
    public async Task RemovingASegmentDeletesItsFile()
    {
        string name = Path.Combine(_dir, "ofb.dat");
        using var device = new CheckpointFileDevice(name);
        Assert.Equal(0u, (await DeviceCalls.WriteAsync(device, new byte[512], destination: 0)).Error);
        Assert.True(File.Exists(name + ".0"));
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        device.RemoveSegmentAsync(0, _ => removed.SetResult(), null!);
        await removed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(File.Exists(name + ".0"));
    }
}
