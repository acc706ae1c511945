using System.Runtime.InteropServices;
using FASTER.core;

namespace KvStore.Storage.Tests;

/// <summary>How a FASTER device call completed, and on which thread its completion ran.</summary>
internal sealed record DeviceCompletion(uint Error, uint Bytes, bool OnPoolThread, string? ThreadName)
{
    public (uint Error, uint Bytes) Outcome => (Error, Bytes);

    public static DeviceCompletion Now(uint error, uint bytes) =>
        new(error, bytes, Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name);
}

/// <summary>A device's callback-style reads and writes as tasks, over pinned arrays, for the device tests.</summary>
internal static class DeviceCalls
{
    public static Task<DeviceCompletion> WriteAsync(IDevice device, byte[] data, ulong destination, int segment = 0)
    {
        var done = new TaskCompletionSource<DeviceCompletion>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
        device.WriteAsync(pin.AddrOfPinnedObject(), segment, destination, (uint)data.Length, (error, bytes, _) =>
        {
            pin.Free();
            done.SetResult(DeviceCompletion.Now(error, bytes));
        }, null!);
        return done.Task;
    }

    public static async Task<(DeviceCompletion Completion, byte[] Data)> ReadAsync(IDevice device, ulong source, int length, int segment = 0)
    {
        var data = GC.AllocateArray<byte>(length, pinned: true);
        var done = new TaskCompletionSource<DeviceCompletion>(TaskCreationOptions.RunContinuationsAsynchronously);
        device.ReadAsync(segment, source, Marshal.UnsafeAddrOfPinnedArrayElement(data, 0), (uint)length,
            (error, bytes, _) => done.SetResult(DeviceCompletion.Now(error, bytes)), null!);
        return (await done.Task, data);
    }

    /// <summary>The bytes read, after asserting that the read succeeded.</summary>
    public static async Task<byte[]> ReadOkAsync(IDevice device, ulong source, int length)
    {
        (DeviceCompletion completion, byte[] data) = await ReadAsync(device, source, length);
        Assert.Equal(0u, completion.Error);
        return data;
    }
}
