using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace KvStore.Server.Snapshots;

/// <summary>
/// The member's Raft snapshot marker, &lt;data-dir&gt;/member/snap/snapshot: the Raft index and term of the last
/// snapshot (etcd's member/snap/*.snap, minus the data: the engine's FASTER checkpoint is the data). It is
/// written only after a durable engine checkpoint covers that index, and the WAL drops entries up to it only
/// after it is written, so on restart the engine holds everything the WAL no longer has.
/// </summary>
internal static partial class SnapshotFile
{
    private const string FileName = "snapshot";
    private static ReadOnlySpan<byte> Magic => "KVRSNAP1"u8;
    private const int Size = 8 + 8 + 8 + 8; // magic, index, term, first 8 bytes of SHA-256 of the rest

    /// <summary>The last snapshot's index and term; null when none was taken yet.</summary>
    public static (long Index, long Term)? Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        byte[] data = File.ReadAllBytes(path);
        if (data.Length != Size || !data.AsSpan(0, 8).SequenceEqual(Magic) || !Checksum(data.AsSpan(0, 24)).SequenceEqual(data.AsSpan(24)))
        {
            throw new InvalidDataException($"raft snapshot marker '{path}' is damaged");
        }
        return (BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(8)), BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(16)));
    }

    /// <summary>Replaces the marker atomically and durably (write a temp file, fsync, rename, fsync the directory).</summary>
    public static void Write(string directory, long index, long term)
    {
        Directory.CreateDirectory(directory);
        var data = new byte[Size];
        Magic.CopyTo(data);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), index);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(16), term);
        Checksum(data.AsSpan(0, 24)).CopyTo(data.AsSpan(24));
        string path = Path.Combine(directory, FileName), temp = path + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(data);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        FsyncDirectory(directory);
    }

    private static byte[] Checksum(ReadOnlySpan<byte> data) => SHA256.HashData(data)[..8];

    /// <summary>Makes the rename durable. .NET cannot open a directory, so this calls libc on Linux.</summary>
    private static void FsyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open directory '{directory}' to fsync it: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory '{directory}' failed: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
