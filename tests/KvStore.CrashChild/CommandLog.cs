using System.Buffers.Binary;
using Etcdserverpb;
using Google.Protobuf;

namespace KvStore.CrashChild;

/// <summary>
/// A minimal stand-in for the Raft write-ahead log: length-prefixed <see cref="InternalRaftRequest"/> entries,
/// entry i (1-based) is the command at log index i. Every append is fsynced before it returns, so a command
/// is durable before the state machine applies it. A torn last entry (the writer was killed mid-append) is
/// cut off when the log is opened.
/// </summary>
public sealed class CommandLog : IDisposable
{
    private readonly FileStream _file;
    private readonly List<InternalRaftRequest> _entries;

    private CommandLog(FileStream file, List<InternalRaftRequest> entries)
    {
        _file = file;
        _entries = entries;
    }

    /// <summary>The logged commands; entry k has log index k + 1.</summary>
    public IReadOnlyList<InternalRaftRequest> Entries => _entries;

    /// <summary>Index of the last logged command (0 when empty).</summary>
    public long LastIndex => _entries.Count;

    /// <summary>Opens (or creates) the log at <paramref name="path"/>, reading every whole entry.</summary>
    public static CommandLog Open(string path)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        var entries = ReadEntries(file, out long validLength);
        if (validLength < file.Length)
        {
            file.SetLength(validLength); // torn tail from a kill mid-append
            file.Flush(flushToDisk: true);
        }
        file.Position = validLength;
        return new CommandLog(file, entries);
    }

    /// <summary>Reads the whole entries of the log at <paramref name="path"/> without changing it.</summary>
    public static List<InternalRaftRequest> ReadAll(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return ReadEntries(file, out _);
    }

    private static List<InternalRaftRequest> ReadEntries(FileStream file, out long validLength)
    {
        var entries = new List<InternalRaftRequest>();
        validLength = 0;
        file.Position = 0;
        Span<byte> prefix = stackalloc byte[4];
        while (true)
        {
            if (file.ReadAtLeast(prefix, 4, throwOnEndOfStream: false) < 4) break;
            int length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
            if (length < 0 || length > file.Length - file.Position) break;
            var body = new byte[length];
            file.ReadExactly(body);
            entries.Add(InternalRaftRequest.Parser.ParseFrom(body));
            validLength = file.Position;
        }
        return entries;
    }

    /// <summary>Appends <paramref name="command"/> and fsyncs; returns its log index.</summary>
    public long Append(InternalRaftRequest command)
    {
        byte[] body = command.ToByteArray();
        var entry = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(entry, body.Length);
        body.CopyTo(entry, 4);
        _file.Write(entry);
        _file.Flush(flushToDisk: true);
        _entries.Add(command);
        return _entries.Count;
    }

    public void Dispose() => _file.Dispose();
}
