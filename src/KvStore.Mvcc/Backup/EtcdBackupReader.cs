using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Authpb;
using KvStore.Bbolt;
using KvStore.Storage;

namespace KvStore.Mvcc.Backup;

/// <summary>etcdctl's snapshot status: CRC-32C of every bucket name, key and value, last revision, key count, size.</summary>
public sealed record BackupStatus(uint Hash, long Revision, int TotalKey, long TotalSize);

/// <summary>What a restore brought in (for the operator's log).</summary>
public sealed record BackupRestoreResult(long Revision, long CompactRevision, int Revisions, int Leases, int Users, int Roles, bool AuthEnabled);

/// <summary>
/// Reads etcd 3.4's backend (a bbolt file: a snapshot taken with etcdctl snapshot save, or a member's
/// member/snap/db) bucket by bucket, as etcd's mvcc, lessor and auth store read it when they open it, into a new
/// engine store; and computes etcdctl snapshot status. Buckets: key (17-byte revisions main BE '_' sub BE, 18 with
/// 't' for a tombstone; values mvccpb.KeyValue), meta (finishedCompactRev, scheduledCompactRev as revisions;
/// consistent_index, not carried over: the restored member starts a new Raft log), lease (leasepb.Lease), auth
/// (authEnabled, authRevision BE), authUsers (authpb.User), authRoles (authpb.Role). members, members_removed,
/// cluster and alarm are left behind: a restore makes a new cluster from its flags, as etcd's does.
/// </summary>
public static class EtcdBackupReader
{
    /// <summary>Bytes of SHA-256 that etcd's Snapshot RPC appends to the bbolt file.</summary>
    public const int HashSize = 32;

    /// <summary>etcd's hasChecksum: a file of n bytes has a SHA-256 appended when n % 512 == 32.</summary>
    public static bool HasChecksum(long length) => length % 512 == HashSize;

    /// <summary>
    /// etcd's restore hash check: with a SHA-256 appended, it must be the hash of what precedes it; without one,
    /// only <paramref name="skipHashCheck"/> lets the file through. Returns the length of the bbolt file proper.
    /// Errors carry etcd's messages.
    /// </summary>
    public static long VerifyHash(string path, bool skipHashCheck)
    {
        using FileStream file = File.OpenRead(path);
        long length = file.Length;
        bool hasHash = HasChecksum(length);
        if (!hasHash && !skipHashCheck) throw new InvalidDataException("snapshot missing hash but --skip-hash-check=false");
        if (!hasHash) return length;
        long dbLength = length - HashSize;
        if (!skipHashCheck)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            for (long left = dbLength; left > 0;)
            {
                int n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) throw new EndOfStreamException();
                sha.AppendData(buffer, 0, n);
                left -= n;
            }
            var expected = new byte[HashSize];
            file.Position = dbLength;
            file.ReadExactly(expected);
            byte[] actual = sha.GetCurrentHash();
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                throw new InvalidDataException($"expected sha256 {GoBytes(expected)}, got {GoBytes(actual)}");
            }
        }
        return dbLength;
    }

    /// <summary>A byte slice as Go's %v prints it: [1 2 255].</summary>
    private static string GoBytes(byte[] bytes) => "[" + string.Join(' ', bytes) + "]";

    /// <summary>etcd's snapshot Status (clientv3/snapshot): integrity check, then the hash over every bucket.</summary>
    public static BackupStatus Status(string path)
    {
        using BoltReader bolt = BoltReader.Open(path);
        List<string> errors = bolt.Check();
        if (errors.Count > 0)
        {
            throw new InvalidDataException($"snapshot file integrity check failed. {errors.Count} errors found.\n" + string.Join("\n", errors));
        }
        uint hash = 0;
        long revision = 0;
        int totalKey = 0;
        foreach (BoltEntry bucket in bolt.Entries(bolt.Root))
        {
            if (!bucket.IsBucket) throw new InvalidDataException($"cannot get hash of bucket {Encoding.UTF8.GetString(bucket.Key)}");
            hash = Crc32C.Append(hash, bucket.Key);
            bool isKeyBucket = bucket.Key.AsSpan().SequenceEqual("key"u8);
            foreach (BoltEntry e in bolt.Entries(BoltReader.OpenBucket(bucket.Value)))
            {
                hash = Crc32C.Append(hash, e.Key);
                // bbolt's ForEach hands a nested bucket's value as nil: nothing hashed for it.
                if (!e.IsBucket) hash = Crc32C.Append(hash, e.Value);
                if (isKeyBucket) revision = ParseRevision(e.Key).Main;
                totalKey++;
            }
        }
        return new BackupStatus(hash, revision, totalKey, bolt.Size);
    }

    /// <summary>etcd's bytesToRev: main and sub big-endian around a '_'.</summary>
    private static Revision ParseRevision(ReadOnlySpan<byte> key)
    {
        if (key.Length < 17) throw new InvalidDataException($"bad revision key of {key.Length} bytes in the key bucket");
        return new Revision(BinaryPrimitives.ReadInt64BigEndian(key), BinaryPrimitives.ReadInt64BigEndian(key[9..]));
    }

    /// <summary>
    /// Creates a new engine store in <paramref name="options"/>' directory from the backend in <paramref name="path"/>
    /// (a trailing SHA-256 is ignored: bbolt reads pages only), as etcd's store, lessor and auth store open it:
    /// history as compaction left it, the compact revision (finished; a scheduled one not yet finished is done now,
    /// as etcd does on open), leases with their TTLs, and the auth store. Returns the store, checkpointed at
    /// consistent index 0; the caller disposes it.
    /// </summary>
    public static async Task<(MvccStore Store, BackupRestoreResult Result)> RestoreAsync(string path, MvccOptions options)
    {
        using BoltReader bolt = BoltReader.Open(path);
        BoltBucket? Bucket(string name) => bolt.Bucket(bolt.Root, Encoding.UTF8.GetBytes(name));

        long finishedCompact = -1, scheduledCompact = 0;
        if (Bucket("meta") is { } meta)
        {
            foreach (BoltEntry e in bolt.Entries(meta))
            {
                if (e.Key.AsSpan().SequenceEqual("finishedCompactRev"u8)) finishedCompact = ParseRevision(e.Value).Main;
                else if (e.Key.AsSpan().SequenceEqual("scheduledCompactRev"u8)) scheduledCompact = ParseRevision(e.Value).Main;
            }
        }

        MvccStore store = MvccStore.CreateForBackup(options);
        try
        {
            int revisions = 0, leases = 0, users = 0, roles = 0;
            long compactSubs = 0;
            if (Bucket("key") is { } keys)
            {
                foreach (BoltEntry e in bolt.Entries(keys))
                {
                    if (e.IsBucket) throw new InvalidDataException("unexpected nested bucket in the key bucket");
                    Revision rev = ParseRevision(e.Key);
                    bool tombstone = e.Key.Length > 17 && e.Key[17] == (byte)'t';
                    store.LoadHistoryRecord(rev, tombstone, e.Value);
                    // The sub revisions the compact revision had that are still stored (its tombstones are not).
                    if (rev.Main == finishedCompact) compactSubs = Math.Max(compactSubs, rev.Sub + 1);
                    revisions++;
                }
            }
            if (Bucket("lease") is { } leaseBucket)
            {
                foreach (BoltEntry e in bolt.Entries(leaseBucket))
                {
                    store.LoadLease(Leasepb.Lease.Parser.ParseFrom(e.Value));
                    leases++;
                }
            }
            bool authEnabled = false;
            ulong authRevision = 0;
            if (Bucket("auth") is { } auth)
            {
                foreach (BoltEntry e in bolt.Entries(auth))
                {
                    if (e.Key.AsSpan().SequenceEqual("authEnabled"u8)) authEnabled = e.Value is [1];
                    else if (e.Key.AsSpan().SequenceEqual("authRevision"u8) && e.Value.Length == 8)
                    {
                        authRevision = BinaryPrimitives.ReadUInt64BigEndian(e.Value);
                    }
                }
            }
            var userList = new List<User>();
            var roleList = new List<Role>();
            if (Bucket("authUsers") is { } userBucket)
            {
                foreach (BoltEntry e in bolt.Entries(userBucket)) userList.Add(User.Parser.ParseFrom(e.Value));
            }
            if (Bucket("authRoles") is { } roleBucket)
            {
                foreach (BoltEntry e in bolt.Entries(roleBucket)) roleList.Add(Role.Parser.ParseFrom(e.Value));
            }
            users = userList.Count;
            roles = roleList.Count;
            // etcd's NewAuthStore: a backend without an auth revision starts at 1.
            store.LoadAuth(authEnabled, authRevision == 0 ? 1 : authRevision, userList, roleList);

            await store.FinishBackupLoadAsync(finishedCompact, compactSubs).ConfigureAwait(false);
            if (scheduledCompact > finishedCompact && scheduledCompact <= store.CurrentRevision)
            {
                // etcd's store.restore resumes a compaction that was scheduled but not finished.
                store.Compact(scheduledCompact);
                await store.CheckpointAsync().ConfigureAwait(false);
            }
            return (store, new BackupRestoreResult(store.CurrentRevision, store.CompactRevision, revisions, leases, users, roles, authEnabled));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}
