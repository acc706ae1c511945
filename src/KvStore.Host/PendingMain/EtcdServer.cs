// TEMPORARY (branch host): a stand-in for KvStore.Server.EtcdServer, which the lead is writing on main with
// this signature. It applies proposals straight to an MvccStore (no Raft, no WAL) so that the host can be
// built and tested. Delete this folder when main's EtcdServer is merged.
using System.Diagnostics;
using Etcdserverpb;
using KvStore.Mvcc;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

public sealed class EtcdServer : IEtcdServer, IAsyncDisposable
{
    private readonly Lock _applyLock = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _index;

    private EtcdServer(ServerConfig config, MvccStore store)
    {
        Config = config;
        Store = store;
        _index = store.ConsistentIndex;
        Members = [new MemberInfo(MemberId, config.Name, [.. config.InitialAdvertisePeerUrls.Select(u => u.GetLeftPart(UriPartial.Authority))], [.. config.AdvertiseClientUrls.Select(u => u.GetLeftPart(UriPartial.Authority))])];
    }

    public static Task<EtcdServer> StartAsync(ServerConfig config, ILoggerFactory loggers, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        _ = loggers;
        var directory = Path.Combine(config.DataDir, "member", "mvcc");
        Directory.CreateDirectory(directory);
        return Task.FromResult(new EtcdServer(config, MvccStore.Open(directory)));
    }

    public ulong ClusterId => 0x1000;

    public ulong MemberId => 0x8e9e05c52164694d;

    public ulong LeaderId => MemberId;

    public long RaftTerm => 2;

    public long RaftIndex => Volatile.Read(ref _index);

    public long AppliedIndex => Volatile.Read(ref _index);

    public MvccStore Store { get; }

    public ServerConfig Config { get; }

    public IReadOnlyList<MemberInfo> Members { get; }

    public IReadOnlyList<AlarmMember> Alarms => [];

    public IReadOnlyList<string> StatusErrors => [];

    public long DbSizeBytes => Store.StorageSizeBytes;

    public ResponseHeader Header(long revision) => new() { ClusterId = ClusterId, MemberId = MemberId, Revision = revision, RaftTerm = (ulong)RaftTerm };

    public Task<ProposeResult> ProposeAsync(InternalRaftRequest request, CancellationToken cancellationToken)
    {
        lock (_applyLock)
        {
            var result = Store.Apply(++_index, request, _clock.ElapsedMilliseconds);
            return Task.FromResult(new ProposeResult(result.Response, result.Error));
        }
    }

    public Task<ServerError> ReadIndexAsync(CancellationToken cancellationToken) => Task.FromResult(ServerError.None);

    public Task<(LeaseKeepAliveResponse? Response, MvccError MvccError, ServerError Error)> LeaseRenewAsync(long id, CancellationToken cancellationToken)
    {
        var result = Store.LeaseRenew(id, _clock.ElapsedMilliseconds);
        return Task.FromResult<(LeaseKeepAliveResponse?, MvccError, ServerError)>((result.Response, result.Error, ServerError.None));
    }

    public Task<(LeaseTimeToLiveResponse? Response, MvccError MvccError, ServerError Error)> LeaseTimeToLiveAsync(LeaseTimeToLiveRequest request, CancellationToken cancellationToken)
    {
        var result = Store.LeaseTimeToLive(request, _clock.ElapsedMilliseconds);
        return Task.FromResult<(LeaseTimeToLiveResponse?, MvccError, ServerError)>((result.Response, result.Error, ServerError.None));
    }

    public Task<ServerError> MoveLeaderAsync(ulong targetMemberId, CancellationToken cancellationToken) =>
        Task.FromResult(ServerError.BadLeaderTransferee);

    public ValueTask DisposeAsync()
    {
        Store.Dispose();
        return ValueTask.CompletedTask;
    }
}
