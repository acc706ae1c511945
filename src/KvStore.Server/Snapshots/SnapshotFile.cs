using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Etcdserverpb;

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
    private static ReadOnlySpan<byte> Magic => "KVRSNAP2"u8;
    private const int ChecksumSize = 8; // first 8 bytes of the SHA-256 of everything before it

    /// <summary>
    /// The last snapshot's index and term, with the alarms as they were when it was recorded (alarms are
    /// member state outside the engine; replaying the entries after the snapshot re-applies later changes);
    /// null when no snapshot was taken yet.
    /// </summary>
    public static (long Index, long Term, List<AlarmMember> Alarms)? Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        byte[] data = File.ReadAllBytes(path);
        int body = data.Length - ChecksumSize;
        if (body < 24 || !data.AsSpan(0, 8).SequenceEqual(Magic) || !Checksum(data.AsSpan(0, body)).SequenceEqual(data.AsSpan(body)))
        {
            throw new InvalidDataException($"raft snapshot marker '{path}' is damaged");
        }
        List<AlarmMember> alarms = DecodeAlarms(data.AsSpan(24, body - 24), out _);
        return (BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(8)), BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(16)), alarms);
    }

    /// <summary>Replaces the marker atomically and durably (write a temp file, fsync, rename, fsync the directory).</summary>
    public static void Write(string directory, long index, long term, IReadOnlyList<AlarmMember> alarms)
    {
        Directory.CreateDirectory(directory);
        byte[] encodedAlarms = EncodeAlarms(alarms);
        var data = new byte[24 + encodedAlarms.Length + ChecksumSize];
        Magic.CopyTo(data);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), index);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(16), term);
        encodedAlarms.CopyTo(data.AsSpan(24));
        int body = data.Length - ChecksumSize;
        Checksum(data.AsSpan(0, body)).CopyTo(data.AsSpan(body));
        string path = Path.Combine(directory, FileName), temp = path + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(data);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        FsyncDirectory(directory);
    }

    /// <summary>Alarms as a count then (member id, alarm type) pairs, little-endian.</summary>
    public static byte[] EncodeAlarms(IReadOnlyList<AlarmMember> alarms)
    {
        var bytes = new byte[4 + alarms.Count * 12];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, alarms.Count);
        for (int i = 0; i < alarms.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4 + i * 12), alarms[i].MemberID);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12 + i * 12), (int)alarms[i].Alarm);
        }
        return bytes;
    }

    public static List<AlarmMember> DecodeAlarms(ReadOnlySpan<byte> bytes, out int consumed)
    {
        int count = bytes.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(bytes) : -1;
        if (count < 0 || count > (bytes.Length - 4) / 12) throw new InvalidDataException("damaged alarm list in a raft snapshot");
        var alarms = new List<AlarmMember>(count);
        for (int i = 0; i < count; i++)
        {
            alarms.Add(new AlarmMember
            {
                MemberID = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(4 + i * 12)..]),
                Alarm = (AlarmType)BinaryPrimitives.ReadInt32LittleEndian(bytes[(12 + i * 12)..]),
            });
        }
        consumed = 4 + count * 12;
        return alarms;
    }

    private static byte[] Checksum(ReadOnlySpan<byte> data) => SHA256.HashData(data)[..8];

    /// <summary>Makes the rename durable. .NET cannot open a directory, so this calls libc on Linux.</summary>
    internal static void FsyncDirectory(string directory)
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
