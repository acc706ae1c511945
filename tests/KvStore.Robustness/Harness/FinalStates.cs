using Grpc.Core;
using KvStore.Robustness.History;
using KvStore.Robustness.Traffic;
using Rpc = Etcdserverpb;

namespace KvStore.Robustness.Harness;

/// <summary>
/// Each member's state once faults and traffic have stopped: waits until all members have reported the same revision
/// for <c>quiet</c> (leases may still expire), then reads everything at that revision with serializable requests, its
/// HashKV and its leases.
/// </summary>
public static class FinalStates
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(90);

    public static async Task<List<MemberState>> CollectAsync(ClusterTarget target, IReadOnlyList<MemberChannel> members, TimeSpan quiet)
    {
        long revision = await SettledRevisionAsync(members, quiet).ConfigureAwait(false);
        var states = new List<MemberState>();
        foreach (MemberChannel m in members)
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            var all = new Rpc.RangeRequest { Key = Wire.Bytes("\0"), RangeEnd = Wire.Bytes("\0"), Revision = revision, Serializable = true };
            var range = await m.Kv.RangeAsync(all, deadline: deadline).ConfigureAwait(false);
            var hash = await m.Maintenance.HashKVAsync(new Rpc.HashKVRequest { Revision = revision }, deadline: deadline).ConfigureAwait(false);
            var leases = await m.Lease.LeaseLeasesAsync(new Rpc.LeaseLeasesRequest(), deadline: deadline).ConfigureAwait(false);
            states.Add(new MemberState(target.MemberNames[m.Member], m.Url, revision, hash.CompactRevision, hash.Hash,
                range.Kvs.Select(Wire.FromKv).ToList(), leases.Leases.Select(l => l.ID).Order().ToList()));
        }
        return states;
    }

    private static async Task<long> SettledRevisionAsync(IReadOnlyList<MemberChannel> members, TimeSpan quiet)
    {
        DateTime deadline = DateTime.UtcNow + SettleTimeout;
        long previous = -1;
        DateTime since = DateTime.UtcNow;
        while (true)
        {
            var revisions = new List<long>();
            foreach (MemberChannel m in members)
            {
                try
                {
                    var r = await m.Kv.RangeAsync(new Rpc.RangeRequest { Key = Wire.Bytes("health"), Serializable = true },
                        deadline: DateTime.UtcNow.AddSeconds(2)).ConfigureAwait(false);
                    revisions.Add(r.Header.Revision);
                }
                catch (RpcException)
                {
                    revisions.Add(-1);
                }
            }
            bool same = revisions.All(r => r == revisions[0] && r >= 0);
            if (!same || revisions[0] != previous) since = DateTime.UtcNow;
            else if (DateTime.UtcNow - since >= quiet) return previous;
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the members' revisions did not settle: {string.Join(", ", revisions)}");
            }
            previous = same ? revisions[0] : -1;
            await Task.Delay(500).ConfigureAwait(false);
        }
    }
}
