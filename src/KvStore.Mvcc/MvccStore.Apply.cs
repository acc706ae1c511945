using Etcdserverpb;
using Google.Protobuf;

namespace KvStore.Mvcc;

/// <summary>The outcome of applying one log command: the response or an expected error.</summary>
/// <param name="Handled">False for commands the engine does not own (alarms, membership).</param>
public readonly record struct ApplyResult(IMessage? Response, MvccError Error, bool Handled = true);

public sealed partial class MvccStore
{
    /// <summary>
    /// Applies one committed log command at <paramref name="index"/> (the single dispatch switch of the apply
    /// path). A command at or below <see cref="ConsistentIndex"/> is not applied again and yields
    /// <see cref="MvccError.AlreadyApplied"/>. Commands the engine does not own only move the consistent index.
    /// </summary>
    public ApplyResult Apply(long index, InternalRaftRequest request, long nowMs = 0)
    {
        if (request.Put is { } put) return From(Put(put, index));
        if (request.DeleteRange is { } del) return From(DeleteRange(del, index));
        if (request.Txn is { } txn) return From(Txn(txn, index));
        if (request.Compaction is { } compaction) return From(Compact(compaction.Revision, index));
        if (request.LeaseGrant is { } grant) return From(LeaseGrant(grant, index, nowMs));
        if (request.LeaseRevoke is { } revoke) return From(LeaseRevoke(revoke.ID, index));
        if (request.LeaseCheckpoint is { } checkpoint) return From(LeaseCheckpoint(checkpoint, index));
        if (ApplyAuth(index, request) is { } auth) return auth;
        if (request.Range is { } range)
        {
            if (!MarkApplied(index)) return new ApplyResult(null, MvccError.AlreadyApplied);
            return From(Range(range));
        }
        return MarkApplied(index) ? new ApplyResult(null, MvccError.None, Handled: false) : new ApplyResult(null, MvccError.AlreadyApplied);
    }

    private static ApplyResult From<T>(MvccResult<T> r) where T : class, IMessage => new(r.Response, r.Error);

    /// <summary>Moves the consistent index for a command applied outside the engine. False if it was already applied.</summary>
    public bool MarkApplied(long index)
    {
        MvccResult<object> r = Write<object>(index, () => new object());
        return r.Ok;
    }
}
