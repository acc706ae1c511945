using System.Globalization;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.ApiServer.Storage;

/// <summary>
/// kube-apiserver's periodic compaction (storage/etcd3/compact.go). Every interval each apiserver runs a txn on the key
/// <c>compact_rev_key</c>: if its version still equals the compaction "time" this apiserver last saw, it writes the
/// revision it read one interval ago and compacts to that revision; otherwise another apiserver won this round and
/// this one only learns the new time. So N apiservers on one etcd compact once per interval, and every compaction
/// keeps at least one interval of history for watchers to catch up from.
/// </summary>
public sealed class Compactor : IAsyncDisposable
{
    /// <summary>kube-apiserver's --etcd-compaction-interval default.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(5);

    /// <summary>The key the apiservers agree on (the name kube-apiserver uses).</summary>
    public const string CompactRevKey = "compact_rev_key";

    private readonly IKeyValue _kv;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _time;
    private long _revision;

    public Compactor(IKeyValue kv, ILogger<Compactor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(kv);
        _kv = kv;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Starts compacting every <paramref name="interval"/> (kube: 0 disables compaction) until disposed.</summary>
    public static Compactor Start(IKeyValue kv, TimeSpan interval, ILogger<Compactor>? logger = null)
    {
        var compactor = new Compactor(kv, logger);
        if (interval > TimeSpan.Zero) compactor._loop = compactor.RunAsync(interval, compactor._stop.Token);
        return compactor;
    }

    /// <summary>The compaction time (compact_rev_key's version) this compactor last saw.</summary>
    public long Time => _time;

    /// <summary>The revision the next round will compact to (the store's revision at the last round).</summary>
    public long Revision => _revision;

    private async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                await CompactOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or StoreException)
            {
                Log.CompactionFailed(_logger, _revision, e);
            }
        }
    }

    /// <summary>
    /// One round (kube's compact()): CAS compact_rev_key on its version; the winner stores and compacts to the revision
    /// seen last round (none on the first round: kube does not compact at bootstrap). Returns whether it compacted.
    /// </summary>
    public async Task<bool> CompactOnceAsync(CancellationToken cancellationToken)
    {
        ByteString key = ObjectStore.Bytes(CompactRevKey);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare
        {
            Key = key, Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = _time,
        });
        ByteString revision = ObjectStore.Bytes(_revision.ToString(CultureInfo.InvariantCulture));
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = revision } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = key } });
        TxnResponse response = await _kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        long current = response.Header.Revision;
        if (!response.Succeeded)
        {
            _time = response.Responses[0].ResponseRange.Kvs[0].Version;
            _revision = current;
            return false;
        }
        long target = _revision;
        _time++;
        _revision = current;
        if (target == 0) return false;
        await _kv.CompactAsync(new CompactionRequest { Revision = target }, cancellationToken).ConfigureAwait(false);
        Log.Compacted(_logger, target);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
