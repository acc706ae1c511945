using Etcdserverpb;
using Google.Protobuf;

namespace KvStore.CrashChild;

/// <summary>
/// A deterministic stream of Raft commands from a seed: puts (some with leases, prev_kv, ignore_value),
/// deletes of keys and ranges, txns (nested ones too) whose compares hold or not, compactions, lease
/// grants, revokes and checkpoints. Some commands are expected to fail (unknown lease, compacted or future
/// revision, existing lease id, ignore_value on a missing key, duplicate keys in a txn); their outcome is
/// still deterministic, which is all a replayed log needs. The stream depends on the seed only, never on
/// a store's state, so the crashing child and the reference run produce the same commands.
/// </summary>
public sealed class CommandGenerator
{
    private const int KeySpace = 160;
    private readonly Random _rng;
    private readonly List<long> _leases = [];
    private long _nextLeaseId = 1000;
    private long _writes;        // rough count of revisions made so far (an upper bound on the current revision)
    private long _lastCompaction;

    public CommandGenerator(int seed) => _rng = new Random(seed);

    /// <summary>The first <paramref name="count"/> commands for <paramref name="seed"/>.</summary>
    public static IEnumerable<InternalRaftRequest> Generate(int seed, long count)
    {
        var generator = new CommandGenerator(seed);
        for (long i = 0; i < count; i++) yield return generator.Next();
    }

    public InternalRaftRequest Next()
    {
        int roll = _rng.Next(100);
        return roll switch
        {
            < 42 => new InternalRaftRequest { Put = NextPut() },
            < 52 => new InternalRaftRequest { DeleteRange = NextDelete() },
            < 72 => new InternalRaftRequest { Txn = NextTxn(depth: 0) },
            < 76 => new InternalRaftRequest { Compaction = NextCompaction() },
            < 85 => new InternalRaftRequest { LeaseGrant = NextLeaseGrant() },
            < 91 => new InternalRaftRequest { LeaseRevoke = NextLeaseRevoke() },
            < 94 => new InternalRaftRequest { LeaseCheckpoint = NextLeaseCheckpoint() },
            _ => new InternalRaftRequest { Range = new RangeRequest { Key = Key(), RangeEnd = RangeEndOrEmpty() } },
        };
    }

    private ByteString Key() => Key(_rng.Next(KeySpace));

    private static ByteString Key(int n) => ByteString.CopyFromUtf8($"k/{n:D3}");

    private ByteString RangeEndOrEmpty()
    {
        if (_rng.Next(3) != 0) return ByteString.Empty;
        return _rng.Next(4) == 0 ? ByteString.CopyFrom(0) : Key(_rng.Next(KeySpace) + 5);
    }

    private ByteString Value()
    {
        // Mostly small values, some of a few KB, so checkpoints by size and log spill happen often.
        int size = _rng.Next(10) == 0 ? _rng.Next(2000, 6000) : _rng.Next(8, 600);
        var bytes = new byte[size];
        _rng.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private long LeaseForPut()
    {
        int roll = _rng.Next(100);
        if (roll < 70 || _leases.Count == 0) return 0;
        if (roll < 95) return _leases[_rng.Next(_leases.Count)];
        return 999_999; // never granted: LeaseNotFound
    }

    private PutRequest NextPut()
    {
        _writes++;
        var put = new PutRequest { Key = Key(), Lease = LeaseForPut(), PrevKv = _rng.Next(4) == 0 };
        if (_rng.Next(15) == 0)
        {
            put.IgnoreValue = true; // KeyNotFound when the key is not live
            if (_rng.Next(2) == 0) put.Lease = 0;
        }
        else
        {
            put.Value = Value();
        }
        return put;
    }

    private DeleteRangeRequest NextDelete()
    {
        _writes++;
        int from = _rng.Next(KeySpace);
        var del = new DeleteRangeRequest { Key = Key(from), PrevKv = _rng.Next(3) == 0 };
        if (_rng.Next(3) == 0) del.RangeEnd = Key(from + _rng.Next(1, 12));
        return del;
    }

    private TxnRequest NextTxn(int depth)
    {
        _writes++;
        var txn = new TxnRequest();
        int compares = _rng.Next(0, 3);
        for (int c = 0; c < compares; c++) txn.Compare.Add(NextCompare());
        var used = new HashSet<int>();
        for (int s = _rng.Next(1, 4); s > 0; s--) txn.Success.Add(NextOp(depth, used));
        used.Clear();
        for (int f = _rng.Next(0, 3); f > 0; f--) txn.Failure.Add(NextOp(depth, used));
        return txn;
    }

    private Compare NextCompare()
    {
        var compare = new Compare
        {
            Key = Key(),
            Result = (Compare.Types.CompareResult)_rng.Next(4),
            Target = (Compare.Types.CompareTarget)_rng.Next(5),
        };
        switch (compare.Target)
        {
            case Compare.Types.CompareTarget.Version: compare.Version = _rng.Next(0, 4); break;
            case Compare.Types.CompareTarget.Create: compare.CreateRevision = _rng.Next(0, (int)_writes + 2); break;
            case Compare.Types.CompareTarget.Mod: compare.ModRevision = _rng.Next(0, (int)_writes + 2); break;
            case Compare.Types.CompareTarget.Value: compare.Value = ByteString.CopyFrom((byte)_rng.Next(256)); break;
            case Compare.Types.CompareTarget.Lease: compare.Lease = _leases.Count > 0 ? _leases[^1] : 0; break;
        }
        if (_rng.Next(6) == 0) compare.RangeEnd = Key(_rng.Next(KeySpace) + 3);
        return compare;
    }

    private RequestOp NextOp(int depth, HashSet<int> used)
    {
        int roll = _rng.Next(100);
        int n = _rng.Next(KeySpace);
        // A key put or deleted twice in one branch is a DuplicateKey error; allow it now and then.
        if (roll < 45)
        {
            if (!used.Add(n) && _rng.Next(4) != 0) n = (n + 1) % KeySpace;
            used.Add(n);
            return new RequestOp { RequestPut = new PutRequest { Key = Key(n), Value = Value(), Lease = LeaseForPut() } };
        }
        if (roll < 65)
        {
            used.Add(n);
            return new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Key(n), PrevKv = _rng.Next(2) == 0 } };
        }
        if (roll < 90 || depth >= 2)
        {
            var range = new RangeRequest { Key = Key(n), RangeEnd = RangeEndOrEmpty(), Limit = _rng.Next(0, 5) };
            if (_rng.Next(8) == 0) range.Revision = Math.Max(1, _writes - _rng.Next(0, 100)); // maybe compacted or future
            return new RequestOp { RequestRange = range };
        }
        return new RequestOp { RequestTxn = NextTxn(depth + 1) };
    }

    private CompactionRequest NextCompaction()
    {
        // Mostly a revision well behind the writes made so far (about half of them make a revision);
        // sometimes one at or below the last compaction, or one in the future.
        int roll = _rng.Next(10);
        if (roll == 0) return new CompactionRequest { Revision = _lastCompaction }; // Compacted
        if (roll == 1) return new CompactionRequest { Revision = _writes + 1000 }; // FutureRevision
        long rev = Math.Max(_lastCompaction + 1, _writes / 3 + _rng.Next(0, (int)Math.Max(1, _writes / 5)));
        _lastCompaction = rev;
        return new CompactionRequest { Revision = rev };
    }

    private LeaseGrantRequest NextLeaseGrant()
    {
        int roll = _rng.Next(10);
        long ttl = _rng.Next(1, 200);
        if (roll == 0 && _leases.Count > 0) return new LeaseGrantRequest { ID = _leases[0], TTL = ttl }; // LeaseExists
        if (roll == 1) return new LeaseGrantRequest { ID = 0, TTL = ttl }; // the store picks the id
        long id = _nextLeaseId++;
        _leases.Add(id);
        return new LeaseGrantRequest { ID = id, TTL = ttl };
    }

    private LeaseRevokeRequest NextLeaseRevoke()
    {
        if (_leases.Count == 0 || _rng.Next(8) == 0) return new LeaseRevokeRequest { ID = 777_777 }; // LeaseNotFound
        int at = _rng.Next(_leases.Count);
        long id = _leases[at];
        _leases.RemoveAt(at);
        return new LeaseRevokeRequest { ID = id };
    }

    private LeaseCheckpointRequest NextLeaseCheckpoint()
    {
        var request = new LeaseCheckpointRequest();
        long id = _leases.Count > 0 && _rng.Next(6) != 0 ? _leases[_rng.Next(_leases.Count)] : 555_555;
        request.Checkpoints.Add(new LeaseCheckpoint { ID = id, RemainingTTL = _rng.Next(1, 100) });
        return request;
    }
}
