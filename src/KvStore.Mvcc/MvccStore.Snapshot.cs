using System.Buffers.Binary;
using System.Security.Cryptography;
using Google.Protobuf;
using KvStore.Storage;

namespace KvStore.Mvcc;

public sealed partial class MvccStore
{
    private static readonly byte[] SnapshotMagic = "KVSNAP01"u8.ToArray();
    private const byte TagEnd = 0, TagRecord = 1, TagLease = 2, TagAuth = 3;

    /// <summary>
    /// Writes the whole state (history as compaction left it, leases, the auth record, revisions and the consistent index) to
    /// <paramref name="destination"/>, ending with the SHA-256 of everything before it. Writers wait while
    /// the state is read.
    /// </summary>
    public void Export(Stream destination)
    {
        using var hashing = new HashingStream(destination);
        _lock.EnterReadLock();
        try
        {
            hashing.Write(SnapshotMagic);
            WriteInt64(hashing, _consistentIndex);
            WriteInt64(hashing, _currentRev);
            WriteInt64(hashing, _compactRev);
            WriteInt64(hashing, _compactSubCount);
            Span<byte> rev = stackalloc byte[Revision.EncodedSize];
            foreach (Revision r in HistoryRevisions(_currentRev))
            {
                byte[] record = _records.Read(r) ?? throw new InvalidOperationException($"record {r} missing");
                hashing.WriteByte(TagRecord);
                r.WriteTo(rev);
                hashing.Write(rev);
                WriteBytes(hashing, record);
            }
            foreach (Leasepb.Lease l in _lessor.Records())
            {
                hashing.WriteByte(TagLease);
                WriteBytes(hashing, l.ToByteArray());
            }
            if (_records.Read(Auth.AuthRecord.Key) is { } auth)
            {
                hashing.WriteByte(TagAuth);
                WriteBytes(hashing, auth);
            }
            hashing.WriteByte(TagEnd);
        }
        finally
        {
            _lock.ExitReadLock();
        }
        destination.Write(hashing.Hash());
    }

    /// <summary>
    /// Hands <paramref name="visitor"/> what <see cref="Export"/> writes, in etcd's terms, under the read lock:
    /// the revisions, every history record in revision order (the mvccpb.KeyValue bytes), the leases (leasepb.Lease
    /// bytes) in id order and the auth record (decoded). Used to write an etcd backend (Backup/EtcdBackupWriter).
    /// </summary>
    public void ExportState(Backup.IStateVisitor visitor)
    {
        _lock.EnterReadLock();
        try
        {
            visitor.Revisions(_consistentIndex, _currentRev, _compactRev);
            foreach (Revision r in HistoryRevisions(_currentRev))
            {
                byte[] record = _records.Read(r) ?? throw new InvalidOperationException($"record {r} missing");
                visitor.KeyValue(r.Main, r.Sub, record[0] == RecordCodec.KindTombstone, record.AsSpan(1));
            }
            foreach (Leasepb.Lease l in _lessor.Records()) visitor.Lease(l.ID, l.ToByteArray());
            Auth.AuthRecord auth = Auth.AuthRecord.Decode(_records.Read(Auth.AuthRecord.Key));
            visitor.Auth(auth.Enabled, auth.Revision, auth.Users, auth.Roles);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Creates a store in <see cref="MvccOptions.Directory"/> (which must hold no store yet) from a stream
    /// written by <see cref="Export"/>, checks its SHA-256, and checkpoints it.
    /// </summary>
    public static MvccStore Import(Stream source, MvccOptions options)
    {
        string engineDir = options.StorageOrDefault().Directory;
        if (System.IO.Directory.Exists(engineDir) && System.IO.Directory.EnumerateFileSystemEntries(engineDir).Any())
        {
            throw new IOException($"cannot import a snapshot into '{engineDir}': it already holds a store");
        }
        var store = new MvccStore(options);
        try
        {
            try
            {
                store.ImportRecords(source, replace: false);
            }
            catch (EndOfStreamException e)
            {
                // A damaged length or a cut stream: refuse it like any other damage.
                throw new InvalidDataException("snapshot is truncated or damaged", e);
            }
            store.CheckpointAsync().GetAwaiter().GetResult();
            return store;
        }
        catch
        {
            store.Dispose();
            System.IO.Directory.Delete(engineDir, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Replaces this store's whole state with a snapshot written by <see cref="Export"/> (a Raft snapshot
    /// installed on a lagging member), then checkpoints it. <paramref name="source"/> must be seekable; the
    /// snapshot runs from its current position to its end. Its SHA-256 is checked before anything is touched,
    /// so a damaged snapshot leaves the store as it was.
    /// Watchers stay open: they are moved to the unsynced group at their next revision and catch up from the
    /// restored history (etcd's watchableStore.Restore), or end with the compact revision when it is gone.
    /// </summary>
    public async Task RestoreAsync(Stream source)
    {
        long start = source.Position;
        VerifyChecksum(source, start);
        source.Position = start;
        try
        {
            ImportRecords(source, replace: true);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("snapshot is truncated or damaged", e);
        }
        await CheckpointAsync().ConfigureAwait(false);
    }

    /// <summary>Forgets every record, key, lease and revision (before a snapshot replaces them). Caller holds the write lock.</summary>
    private void DropAllLocked()
    {
        var stale = new List<Revision>();
        lock (_logCompactionGate) // a record a log compaction step moves could be missed by the scan, and stay
        {
            _records.ForEachLive((key, _) => stale.Add(key));
            foreach (Revision key in stale) _records.Delete(key);
        }
        _index.Clear();
        _lessor.Reset();
        _currentRev = 1;
        _compactRev = -1;
        _compactSubCount = 0;
        _finishedCompactRev = _compactingRev = -1; // the batches of a compaction in progress start over on the new history
        _compactCursor = null;
        _compactDrops.Clear();
    }

    /// <summary>
    /// Checks that <paramref name="source"/>, from its current position to its end, is a whole snapshot written by
    /// <see cref="Export"/> (its trailing SHA-256); throws <see cref="InvalidDataException"/> otherwise. Leaves the
    /// position where it was.
    /// </summary>
    public static void VerifySnapshot(Stream source)
    {
        long start = source.Position;
        VerifyChecksum(source, start);
        source.Position = start;
    }

    /// <summary>Checks the trailing SHA-256 of a snapshot stream (read from <paramref name="start"/> to its end).</summary>
    private static void VerifyChecksum(Stream source, long start)
    {
        long length = source.Length - start;
        if (length < SnapshotMagic.Length + 32) throw new InvalidDataException("snapshot is truncated or damaged");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        for (long left = length - 32; left > 0;)
        {
            int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new InvalidDataException("snapshot is truncated or damaged");
            sha.AppendData(buffer, 0, n);
            left -= n;
        }
        Span<byte> actual = stackalloc byte[32];
        source.ReadExactly(actual);
        if (!actual.SequenceEqual(sha.GetCurrentHash())) throw new InvalidDataException("snapshot checksum mismatch");
    }

    /// <summary>
    /// Reads a snapshot into the records and rebuilds the in-memory state, all under the write lock. With
    /// <paramref name="replace"/>, first drops every record this store holds and moves its watchers aside.
    /// </summary>
    private void ImportRecords(Stream source, bool replace)
    {
        using var hashing = new HashingStream(source);
        Span<byte> magic = stackalloc byte[8];
        hashing.ReadExactly(magic);
        if (!magic.SequenceEqual(SnapshotMagic)) throw new InvalidDataException("not a kvstore snapshot");
        long consistentIndex = ReadInt64(hashing);
        long currentRev = ReadInt64(hashing);
        long compactRev = ReadInt64(hashing);
        long compactSubs = ReadInt64(hashing);
        var leaseRecords = new List<byte[]>();
        byte[]? authRecord = null;
        _lock.EnterWriteLock();
        try
        {
            if (replace) DropAllLocked();
            Span<byte> rev = stackalloc byte[Revision.EncodedSize];
            while (true)
            {
                int tag = hashing.ReadByte();
                if (tag == TagEnd) break;
                if (tag == TagRecord)
                {
                    hashing.ReadExactly(rev);
                    var r = new Revision(BinaryPrimitives.ReadInt64BigEndian(rev), BinaryPrimitives.ReadInt64BigEndian(rev[8..]));
                    _records.Upsert(r, ReadBytes(hashing));
                }
                else if (tag == TagLease)
                {
                    leaseRecords.Add(ReadBytes(hashing)); // parsed once the checksum has been verified
                }
                else if (tag == TagAuth)
                {
                    authRecord = ReadBytes(hashing);
                }
                else
                {
                    throw new InvalidDataException($"bad snapshot record tag {tag}");
                }
            }
            byte[] expected = hashing.Hash();
            Span<byte> actual = stackalloc byte[32];
            source.ReadExactly(actual);
            if (!actual.SequenceEqual(expected)) throw new InvalidDataException("snapshot checksum mismatch");

            foreach (byte[] record in leaseRecords)
            {
                var pb = Leasepb.Lease.Parser.ParseFrom(record);
                _records.Upsert(RecordCodec.LeaseKey(pb.ID), record);
            }

            if (authRecord is not null) _records.Upsert(Auth.AuthRecord.Key, authRecord);

            _compactRev = compactRev;
            _compactSubCount = compactSubs;
            _records.Upsert(RecordCodec.MetaKey, RecordCodec.EncodeMeta(compactRev, compactSubs, finishedCompactRev: -1));
            _consistentIndex = consistentIndex;
            _index.Clear();
            _lessor.Reset();
            RebuildFromRecords();
            _currentRev = Math.Max(_currentRev, currentRev);
            _bytesSinceCheckpoint = 1;
            if (replace) _watchers.UnsyncAll();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private static void WriteInt64(Stream s, long v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, v);
        s.Write(b);
    }

    private static long ReadInt64(Stream s)
    {
        Span<byte> b = stackalloc byte[8];
        s.ReadExactly(b);
        return BinaryPrimitives.ReadInt64LittleEndian(b);
    }

    private static void WriteBytes(Stream s, byte[] bytes)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, bytes.Length);
        s.Write(len);
        s.Write(bytes);
    }

    /// <summary>Up to this many bytes a record is read at once; a longer one in chunks (see <see cref="ReadBytes"/>).</summary>
    private const int ReadChunk = 1 << 20;

    private static byte[] ReadBytes(Stream s)
    {
        Span<byte> len = stackalloc byte[4];
        s.ReadExactly(len);
        int length = BinaryPrimitives.ReadInt32LittleEndian(len);
        if (length < 0) throw new InvalidDataException($"bad snapshot record length {length}");
        if (length <= ReadChunk)
        {
            var bytes = new byte[length];
            s.ReadExactly(bytes);
            return bytes;
        }
        // A damaged length must not allocate more than the stream really holds: grow chunk by chunk, so a
        // bogus length ends in EndOfStreamException after at most the rest of the stream.
        using var buffer = new MemoryStream();
        var chunk = new byte[ReadChunk];
        for (int left = length; left > 0; left -= ReadChunk)
        {
            int n = Math.Min(left, ReadChunk);
            s.ReadExactly(chunk, 0, n);
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>Passes bytes through to an inner stream while hashing them with SHA-256.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public byte[] Hash() => _sha.GetCurrentHash();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _sha.AppendData(buffer);
            inner.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            _sha.AppendData(buffer[..n]);
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _sha.Dispose();
            base.Dispose(disposing);
        }
    }
}
