using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers.Kv;

/// <summary>One effect or observation of an operation on one key, applied in the operation's order.</summary>
internal abstract record KeyStep
{
    /// <summary>Applies the step; false with the reason when the state contradicts what the operation saw.</summary>
    public abstract bool Apply(ref KeyState state, out string? reason);
}

/// <summary>The operation saw the key as Kv (null: absent): a read result or a previous value.</summary>
internal sealed record ExpectStep(KeyValue? Kv, string What) : KeyStep
{
    public override bool Apply(ref KeyState state, out string? reason)
    {
        reason = state.Matches(Kv) ? null : $"{What} returned {Describe.Kv(Kv)} where the key held {state}";
        return reason is null;
    }
}

internal sealed record PutStep(string Value, long Lease, long Revision) : KeyStep
{
    public override bool Apply(ref KeyState state, out string? reason)
    {
        state = state.Put(Value, Lease, Revision);
        reason = null;
        return true;
    }
}

internal sealed record DeleteStep : KeyStep
{
    public override bool Apply(ref KeyState state, out string? reason)
    {
        state = KeyState.Absent;
        reason = null;
        return true;
    }
}

/// <summary>A lease revocation deletes the key when it is attached to the lease.</summary>
internal sealed record RevokeStep(long Lease) : KeyStep
{
    public override bool Apply(ref KeyState state, out string? reason)
    {
        if (state.Exists && state.Lease == Lease)
        {
            state = KeyState.Absent;
        }
        reason = null;
        return true;
    }
}

/// <summary>
/// A txn's compares on this key: all hold when it succeeded; when it failed and every compare is on this key, one
/// of them fails (compares on other keys are checked on their own timelines).
/// </summary>
internal sealed record GuardStep(IReadOnlyList<Compare> Compares, bool AllHold) : KeyStep
{
    public override bool Apply(ref KeyState state, out string? reason)
    {
        var current = state;
        var results = Compares.Select(c => KvOps.Holds(c, current)).ToList();
        var consistent = AllHold ? results.All(r => r != false) : results.Any(r => r != true);
        reason = consistent ? null : $"txn {(AllHold ? "succeeded" : "failed")} but its compares {(AllHold ? "fail" : "hold")} on {state}";
        return consistent;
    }
}
