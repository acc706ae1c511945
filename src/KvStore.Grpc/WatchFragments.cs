using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;

namespace KvStore.Grpc;

/// <summary>
/// etcd's sendFragments: a response of at least the size limit with two or more events goes out as several
/// responses, all but the last with fragment=true, each taking events while it stays under the limit (one
/// event alone may exceed it).
/// </summary>
internal static class WatchFragments
{
    /// <summary>Tag of WatchResponse.events (field 11, length-delimited): one byte.</summary>
    private const int EventTagBytes = 1;

    public static async Task SendAsync(WatchResponse response, int maxBytes, IAsyncStreamWriter<WatchResponse> writer, CancellationToken ct)
    {
        if (response.CalculateSize() < maxBytes || response.Events.Count < 2)
        {
            await writer.WriteAsync(response, ct).ConfigureAwait(false);
            return;
        }
        foreach (WatchResponse fragment in Split(response, maxBytes)) await writer.WriteAsync(fragment, ct).ConfigureAwait(false);
    }

    internal static List<WatchResponse> Split(WatchResponse response, int maxBytes)
    {
        var fragments = new List<WatchResponse>();
        int idx = 0;
        while (true)
        {
            WatchResponse cur = Empty(response);
            int size = cur.CalculateSize(); // without events, fragment=true
            foreach (Event ev in response.Events.Skip(idx))
            {
                int evSize = ev.CalculateSize();
                size += EventTagBytes + CodedOutputStream.ComputeLengthSize(evSize) + evSize;
                if (cur.Events.Count > 0 && size >= maxBytes) break; // this event goes to the next fragment
                cur.Events.Add(ev);
                idx++;
            }
            if (idx == response.Events.Count) cur.Fragment = false; // the last fragment
            fragments.Add(cur);
            if (!cur.Fragment) return fragments;
        }
    }

    private static WatchResponse Empty(WatchResponse r) => new()
    {
        Header = r.Header,
        WatchId = r.WatchId,
        Created = r.Created,
        Canceled = r.Canceled,
        CompactRevision = r.CompactRevision,
        CancelReason = r.CancelReason,
        Fragment = true,
    };
}
