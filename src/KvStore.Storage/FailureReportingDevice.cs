using FASTER.core;

namespace KvStore.Storage;

/// <summary>
/// A FASTER device that reports every failed write to <see cref="DeviceWriteFailure"/> before FASTER sees it, and
/// otherwise is the device it wraps.
/// </summary>
internal sealed class FailureReportingDevice(IDevice inner, DeviceWriteFailure failure) : DeviceWrapper(inner)
{
    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite,
        DeviceIOCompletionCallback callback, object context) =>
        Inner.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytesToWrite, Reporting(callback, numBytesToWrite), context);

    public override void WriteAsync(IntPtr alignedSourceAddress, ulong alignedDestinationAddress, uint numBytesToWrite,
        DeviceIOCompletionCallback callback, object context) =>
        Inner.WriteAsync(alignedSourceAddress, alignedDestinationAddress, numBytesToWrite, Reporting(callback, numBytesToWrite), context);

    private DeviceIOCompletionCallback Reporting(DeviceIOCompletionCallback callback, uint bytes) => (errorCode, numBytes, context) =>
    {
        if (errorCode != 0) failure.Report(Inner.FileName, bytes, errorCode);
        callback(errorCode, numBytes, context);
    };
}
