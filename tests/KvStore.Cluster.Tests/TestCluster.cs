using Etcdserverpb;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace KvStore.Cluster.Tests;

/// <summary>
/// N kvstore processes on free loopback ports, each with its own temp data dir, Raft traffic between them through
/// a <see cref="PeerProxy"/>. Members can be killed (SIGKILL), paused (SIGSTOP/SIGCONT), cut off and restarted
/// from their data dirs. Everything started is killed and deleted on dispose.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    /// <summary>Time a member gets to print its ready line (the box is small and loaded).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "kvstore-cluster-tests", Guid.NewGuid().ToString("N"));
    private readonly PeerProxy _proxy;
    private readonly string _initialCluster;
    private readonly string _token = "kvstore-test-" + Guid.NewGuid().ToString("N")[..8];
    private readonly IReadOnlyDictionary<string, string>? _environment;

    private TestCluster(int size, IReadOnlyDictionary<string, string>? environment)
    {
        _environment = environment;
        Directory.CreateDirectory(_root);
        _proxy = new PeerProxy(() => (Members ?? []).Where(m => m.Process is { HasExited: false }).ToDictionary(m => m.Process!.Id, m => m.Name));
        var members = new List<ClusterMember>();
        for (int i = 0; i < size; i++)
        {
            string name = $"m{i + 1}";
            int peerPort = FreePort();
            int advertisedPeerPort = size > 1 ? _proxy.Add(name, peerPort) : peerPort;
            members.Add(new ClusterMember(name, i, FreePort(), peerPort, advertisedPeerPort, Path.Combine(_root, name)));
        }
        Members = members;
        _initialCluster = string.Join(",", members.Select(m => $"{m.Name}=http://127.0.0.1:{m.AdvertisedPeerPort}"));
    }

    /// <summary>Every member ever started (removed ones included); replaced, never changed, when one is added.</summary>
    public IReadOnlyList<ClusterMember> Members { get; private set; }

    public PeerProxy Proxy => _proxy;

    /// <summary>Every client URL ("http://127.0.0.1:port").</summary>
    public IEnumerable<string> ClientUrls => Members.Select(m => m.ClientUrl);

    /// <summary>Starts every member (with <paramref name="environment"/> added to theirs) and waits until all serve and one leads.</summary>
    public static async Task<TestCluster> StartAsync(int size, IReadOnlyDictionary<string, string>? environment = null)
    {
        var cluster = new TestCluster(size, environment);
        try
        {
            foreach (var m in cluster.Members)
            {
                cluster.Launch(m);
            }
            foreach (var m in cluster.Members)
            {
                await WaitReadyAsync(m);
            }
            await cluster.WaitForLeaderAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The one member that says it leads (by Maintenance.Status: leader == its own id), within the timeout.</summary>
    public async Task<ClusterMember> WaitForLeaderAsync(TimeSpan? timeout = null, ClusterMember? notThis = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var leaders = new List<(ClusterMember Member, ulong Term)>();
            foreach (var m in Members.Where(m => m.IsRunning && !m.IsPaused && m != notThis))
            {
                if (await m.TryStatusAsync() is { } s && s.Leader != 0 && s.Leader == s.Header.MemberId)
                {
                    leaders.Add((m, s.RaftTerm));
                }
            }
            if (leaders.Count > 0)
            {
                return leaders.MaxBy(l => l.Term).Member;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("no leader among " + string.Join(", ", Members.Select(m => m.Describe())) + "\n" + Logs());
            }
            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL: the member dies at once, nothing flushed beyond what it already fsynced.</summary>
    public void Kill(ClusterMember member)
    {
        member.Process!.KillHard();
        member.IsPaused = false;
    }

    /// <summary>SIGSTOP: the process freezes (a long GC pause, a stuck VM) but keeps its sockets.</summary>
    public static void Pause(ClusterMember member)
    {
        member.Process!.Signal(ChildProcess.SigStop);
        member.IsPaused = true;
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public static void Resume(ClusterMember member)
    {
        member.Process!.Signal(ChildProcess.SigCont);
        member.IsPaused = false;
    }

    /// <summary>Starts a stopped or killed member again from its data dir and waits until it serves.</summary>
    public async Task RestartAsync(ClusterMember member)
    {
        member.Process?.Dispose();
        Launch(member);
        await WaitReadyAsync(member);
    }

    /// <summary>
    /// A new member's ports and data dir (behind a proxy like the others), to be named in Cluster.MemberAdd by
    /// <see cref="ClusterMember.AdvertisedPeerUrl"/> and then started by <see cref="JoinAsync"/>.
    /// </summary>
    public ClusterMember NewMember()
    {
        string name = $"m{Members.Count + 1}";
        int peerPort = FreePort();
        var m = new ClusterMember(name, Members.Count, FreePort(), peerPort, _proxy.Add(name, peerPort), Path.Combine(_root, name));
        Members = [.. Members, m];
        return m;
    }

    /// <summary>Starts an added member with --initial-cluster-state existing and the current members, and waits until it serves.</summary>
    public async Task JoinAsync(ClusterMember member, IEnumerable<ClusterMember> current)
    {
        string initialCluster = string.Join(",", current.Append(member).Select(m => $"{m.Name}={m.AdvertisedPeerUrl}"));
        Launch(member, initialCluster, "existing");
        await WaitReadyAsync(member);
    }

    /// <summary>Cuts the member's Raft links to all the others (clients still reach it).</summary>
    public void Cut(ClusterMember member) => _proxy.Cut(member.Name);

    public void Heal() => _proxy.Heal();

    /// <summary>
    /// Waits until every running member has applied the same Raft index as the leader and answers HashKV at
    /// <paramref name="revision"/>; returns each member's (hash, compact revision).
    /// </summary>
    public async Task<IReadOnlyList<(ClusterMember Member, uint Hash, long HashRevision)>> HashKvAsync(long revision, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var hashes = new List<(ClusterMember, uint, long)>();
            string? wait = null;
            foreach (var m in Members.Where(m => m.IsRunning))
            {
                try
                {
                    var r = await m.Maintenance.HashKVAsync(new HashKVRequest { Revision = revision }, deadline: DateTime.UtcNow.AddSeconds(10));
                    hashes.Add((m, r.Hash, r.Header.Revision));
                }
                catch (RpcException e)
                {
                    wait = $"{m.Name}: {e.Status.Detail}";
                }
            }
            if (wait is null && hashes.Select(h => h.Item2).Distinct().Count() == 1)
            {
                return hashes;
            }
            if (DateTime.UtcNow > deadline)
            {
                // Let the caller assert on what it got (unequal hashes are the interesting failure).
                if (wait is null)
                {
                    return hashes;
                }
                var states = new List<string>();
                foreach (var m in Members.Where(m => m.IsRunning))
                {
                    var s = await m.TryStatusAsync();
                    states.Add(s is null ? $"{m.Name}: no status" :
                        $"{m.Name}: leader {s.Leader:x16} term {s.RaftTerm} raft index {s.RaftIndex} applied {s.RaftAppliedIndex} revision {s.Header.Revision}");
                }
                throw new TimeoutException($"HashKV at revision {revision}: {wait}\n{string.Join("\n", states)}\n{Logs(40)}");
            }
            await Task.Delay(300);
        }
    }

    /// <summary>The last lines of every member's log, for a failure message.</summary>
    public string Logs(int lines = 15) =>
        string.Join("\n", Members.Select(m => $"--- {m.Describe()}:\n{m.Process?.Tail(lines)}"));

    private void Launch(ClusterMember m) => Launch(m, m.InitialCluster ?? _initialCluster, m.InitialClusterState ?? "new");

    private void Launch(ClusterMember m, string initialCluster, string state)
    {
        m.InitialCluster = initialCluster;
        m.InitialClusterState = state;
        Directory.CreateDirectory(m.Directory);
        string client = m.ClientUrl;
        string[] args =
        [
            "--name", m.Name,
            "--data-dir", m.DataDir,
            "--listen-client-urls", client,
            "--advertise-client-urls", client,
            "--listen-peer-urls", $"http://127.0.0.1:{m.PeerPort}",
            "--initial-advertise-peer-urls", $"http://127.0.0.1:{m.AdvertisedPeerPort}",
            "--initial-cluster", initialCluster,
            "--initial-cluster-token", _token,
            "--initial-cluster-state", state,
        ];
        m.Process = ChildProcess.KvStore(args, m.Directory, _environment);
        m.IsPaused = false;
    }

    private static async Task WaitReadyAsync(ClusterMember m)
    {
        if (!await m.Process!.WaitForLineAsync(SingleMember.ReadyLine, StartTimeout))
        {
            throw new InvalidOperationException($"{m.Name} did not get ready:\n{m.Process.Tail()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var m in Members)
        {
            m.Process?.Dispose();
            m.Dispose();
        }
        await _proxy.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>See <see cref="Ports.Stable"/>.</summary>
    public static int FreePort() => Ports.Stable();
}

/// <summary>One member of a <see cref="TestCluster"/>: its ports, data dir, current process and gRPC clients.</summary>
internal sealed class ClusterMember : IDisposable
{
    private readonly GrpcChannel _channel;

    public ClusterMember(string name, int index, int clientPort, int peerPort, int advertisedPeerPort, string directory)
    {
        Name = name;
        Index = index;
        ClientPort = clientPort;
        PeerPort = peerPort;
        AdvertisedPeerPort = advertisedPeerPort;
        Directory = directory;
        // No receive limit (etcdctl sets none either): the long fault runs read back tens of thousands of keys at once.
        _channel = GrpcChannel.ForAddress(ClientUrl, new GrpcChannelOptions { MaxReceiveMessageSize = null });
        Kv = new KV.KVClient(_channel);
        Watch = new Watch.WatchClient(_channel);
        Lease = new Lease.LeaseClient(_channel);
        Maintenance = new Maintenance.MaintenanceClient(_channel);
        Cluster = new Etcdserverpb.Cluster.ClusterClient(_channel);
        RetryingKv = new KV.KVClient(_channel.Intercept(new NoLeaderRetry()));
    }

    public string Name { get; }
    public int Index { get; }
    public int ClientPort { get; }

    /// <summary>The port this member listens on for Raft peers.</summary>
    public int PeerPort { get; }

    /// <summary>The port the others dial (its proxy's in a cluster of several).</summary>
    public int AdvertisedPeerPort { get; }

    public string Directory { get; }
    public string DataDir => Path.Combine(Directory, "data");
    public string ClientUrl => $"http://127.0.0.1:{ClientPort}";
    public string AdvertisedPeerUrl => $"http://127.0.0.1:{AdvertisedPeerPort}";

    /// <summary>The flags of its last start (a restart repeats them, as an operator's unit file would).</summary>
    public string? InitialCluster { get; set; }
    public string? InitialClusterState { get; set; }

    public ChildProcess? Process { get; set; }
    public bool IsRunning => Process is { HasExited: false };
    public bool IsPaused { get; set; }

    public KV.KVClient Kv { get; }

    /// <summary>KV calls to this member that wait out an election (<see cref="NoLeaderRetry"/>).</summary>
    public KV.KVClient RetryingKv { get; }
    public Watch.WatchClient Watch { get; }
    public Lease.LeaseClient Lease { get; }
    public Maintenance.MaintenanceClient Maintenance { get; }
    public Etcdserverpb.Cluster.ClusterClient Cluster { get; }

    /// <summary>Maintenance.Status, or null when the member does not answer within a few seconds.</summary>
    public async Task<StatusResponse?> TryStatusAsync()
    {
        try
        {
            return await Maintenance.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(3));
        }
        catch (RpcException)
        {
            return null;
        }
    }

    /// <summary>One keep-alive on this member's own stream (no failover: a follower passes it to the leader).</summary>
    public async Task<LeaseKeepAliveResponse> KeepAliveOnceAsync(long id, TimeSpan timeout)
    {
        using var call = Lease.LeaseKeepAlive(deadline: DateTime.UtcNow + timeout);
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), $"{Name} ended the keep-alive stream");
        await call.RequestStream.CompleteAsync();
        return call.ResponseStream.Current;
    }

    /// <summary>
    /// Arms failpoint <paramref name="name"/> with <paramref name="term"/> ("off" disarms) on a member started with
    /// KVSTORE_FAILPOINTS=1 (PUT /debug/failpoints/NAME).
    /// </summary>
    public Task SetFailpointAsync(string name, string term) => FailpointClient.SetAsync(ClientUrl, Name, name, term);

    public string Describe() => $"{Name}({(IsRunning ? IsPaused ? "paused" : "running" : "down")})";

    public override string ToString() => Name;

    public void Dispose() => _channel.Dispose();
}
