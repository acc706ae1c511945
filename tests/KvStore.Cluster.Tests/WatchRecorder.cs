using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.Cluster.Tests;

/// <summary>
/// A watch on one member over a prefix, from a revision on, recording the revision of every event it delivers.
/// Under a <see cref="WriteLoad"/> every revision is a put under the prefix, so the revisions must follow one
/// another without a gap or a repeat, whatever happens to the leader.
/// </summary>
internal sealed class WatchRecorder : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly AsyncDuplexStreamingCall<WatchRequest, WatchResponse> _call;
    private readonly List<long> _revisions = [];
    private readonly Task _reader;
    private readonly long _start;

    public WatchRecorder(ClusterMember member, string prefix, long startRevision)
    {
        Member = member;
        _start = startRevision;
        _call = member.Watch.Watch(cancellationToken: _stop.Token);
        _reader = Task.Run(async () =>
        {
            await _call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ClusterClient.PrefixEnd(prefix), StartRevision = startRevision },
            });
            try
            {
                while (await _call.ResponseStream.MoveNext(_stop.Token))
                {
                    var r = _call.ResponseStream.Current;
                    if (r.Canceled)
                    {
                        Error = $"watch canceled: {r.CancelReason}";
                        return;
                    }
                    lock (_revisions)
                    {
                        _revisions.AddRange(r.Events.Select(e => e.Kv.ModRevision));
                    }
                }
                Error = "watch stream ended";
            }
            catch (RpcException e) when (!_stop.IsCancellationRequested)
            {
                Error = $"watch failed: {e.Status}";
            }
            catch (RpcException)
            {
            }
        });
    }

    public ClusterMember Member { get; }

    /// <summary>Why the watch stopped before it was disposed, if it did.</summary>
    public string? Error { get; private set; }

    public int Count
    {
        get
        {
            lock (_revisions)
            {
                return _revisions.Count;
            }
        }
    }

    /// <summary>Waits until an event at <paramref name="revision"/> or later arrived; false if the watch ended or the time is up.</summary>
    public async Task<bool> WaitForRevisionAsync(long revision, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && Error is null)
        {
            lock (_revisions)
            {
                if (_revisions.Count > 0 && _revisions[^1] >= revision)
                {
                    return true;
                }
            }
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>The first gap or repeat in the revisions delivered, or null if they follow one another.</summary>
    public string? FirstGapOrRepeat()
    {
        lock (_revisions)
        {
            if (_revisions.Count > 0 && _revisions[0] != _start)
            {
                return $"first revision {_revisions[0]}, watched from {_start}";
            }
            for (int i = 1; i < _revisions.Count; i++)
            {
                if (_revisions[i] != _revisions[i - 1] + 1)
                {
                    return $"revision {_revisions[i]} after {_revisions[i - 1]} (event {i})";
                }
            }
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException)
        {
        }
        _call.Dispose();
        _stop.Dispose();
    }
}
