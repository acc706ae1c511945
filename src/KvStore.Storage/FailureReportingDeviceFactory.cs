using FASTER.core;

namespace KvStore.Storage;

/// <summary>
/// FASTER's local checkpoint files (index, overflow buckets, metadata) on devices that report failed writes, write in
/// chunks (<see cref="ChunkedWriteDevice"/>) and need no thread-pool thread (<see cref="CheckpointFileDevice"/>). After
/// a failed write it deletes nothing: FASTER 2.6.5 commits a checkpoint whose index or metadata write failed and then
/// removes the previous one, and that previous one is what a restart must recover from.
/// </summary>
internal sealed class FailureReportingDeviceFactory(DeviceWriteFailure failure) : INamedDeviceFactory
{
    private readonly LocalStorageNamedDeviceFactory _inner = new();

    private string _baseName = "";

    public void Initialize(string baseName)
    {
        _baseName = baseName;
        _inner.Initialize(baseName);
    }

    public IDevice Get(FileDescriptor fileInfo) => new FailureReportingDevice(
        new ChunkedWriteDevice(new CheckpointFileDevice(Path.Combine(_baseName, fileInfo.directoryName, fileInfo.fileName))), failure);

    public IEnumerable<FileDescriptor> ListContents(string path) => _inner.ListContents(path);

    public void Delete(FileDescriptor fileInfo)
    {
        if (!failure.HasFailed) _inner.Delete(fileInfo);
    }
}
