using System.Net;
using System.Security.Cryptography;
using System.Text;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using Google.Protobuf;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>The outcome of a membership change: the member concerned, the members after it, or an error.</summary>
public readonly record struct MembershipResult(MemberInfo? Member, IReadOnlyList<MemberInfo> Members, ServerError Error = ServerError.None);

/// <summary>
/// Membership (etcd's membership.RaftCluster plus EtcdServer.AddMember/RemoveMember/UpdateMember/MoveLeader).
/// Two records are kept in step:
/// <list type="bullet">
/// <item>our own record (ids, names, peer and client URLs), changed only by a Raft entry carrying the whole
/// record after the change and stored in member/members.pb (atomically) when applied, so every member and
/// every restart sees the same members;</item>
/// <item>DotNext's voter configuration (peer end points), in a file beside it, which the leader's reconciler
/// moves towards the record one member at a time: AddMemberAsync once the new member is up (DotNext first
/// catches it up), RemoveMemberAsync for a member no longer in the record.</item>
/// </list>
/// A member added with etcdctl therefore counts towards the quorum only once it has started and caught up
/// (etcd counts it at once); until then MemberList shows it with an empty name, as etcd does.
/// </summary>
public sealed partial class EtcdServer
{
    private const string RecordFile = "members.pb";

    private readonly SemaphoreSlim _membershipGate = new(1, 1);
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly EndPointConfigurationStorage _configStorage;
    private readonly string _recordPath;
    private Membership _membership;
    private ulong _memberId;

    /// <summary>The member record at one applied index (immutable; replaced as a whole).</summary>
    private sealed record Membership(ulong ClusterId, IReadOnlyList<MemberInfo> Members, long AppliedIndex)
    {
        /// <summary>Ids of removed members, never given out again (etcd's removed set; MemberAdd: "member not found").</summary>
        public IReadOnlyList<ulong> RemovedIds { get; init; } = [];

        public MemberInfo? ById(ulong id) => Members.FirstOrDefault(m => m.Id == id);

        public ClusterMembers ToProto()
        {
            var record = new ClusterMembers { ClusterId = ClusterId, AppliedIndex = AppliedIndex };
            record.Members.AddRange(Members.Select(ToRecord));
            record.RemovedIds.AddRange(RemovedIds);
            return record;
        }

        public static Membership FromProto(ClusterMembers record) =>
            new(record.ClusterId, record.Members.Select(ToInfo).ToList(), record.AppliedIndex) { RemovedIds = record.RemovedIds.ToList() };

        public static MemberInfo ToInfo(MemberRecord r) => new(r.Id, r.Name, r.PeerUrls.ToList(), r.ClientUrls.ToList());

        public static MemberRecord ToRecord(MemberInfo m)
        {
            var r = new MemberRecord { Id = m.Id, Name = m.Name };
            r.PeerUrls.AddRange(m.PeerUrls);
            r.ClientUrls.AddRange(m.ClientUrls);
            return r;
        }
    }

    public ulong ClusterId => Volatile.Read(ref _membership).ClusterId;

    public ulong MemberId => Volatile.Read(ref _memberId);

    public IReadOnlyList<MemberInfo> Members => Volatile.Read(ref _membership).Members;


    /// <summary>etcd's URL text: no trailing slash.</summary>
    internal static string Url(string url) => url.Trim().TrimEnd('/');

    /// <summary>
    /// The record this member starts with: the stored one (a restart: the flags' --initial-cluster is then
    /// ignored, as etcd), else for a new cluster the members of --initial-cluster, else (joining an existing
    /// cluster) none until the leader's log brings it.
    /// </summary>
    private Membership LoadOrBootstrapMembership(ServerConfig config)
    {
        if (File.Exists(_recordPath))
        {
            return Membership.FromProto(ClusterMembers.Parser.ParseFrom(File.ReadAllBytes(_recordPath)));
        }
        if (config.InitialClusterState == "existing") return new Membership(0, [], 0);
        string selfClientUrls = string.Join(",", config.AdvertiseClientUrls.Select(u => Url(u.ToString())));
        var members = MemberIds.ParseInitialCluster(config.InitialCluster)
            .Select(m => new MemberInfo(MemberIds.Member(m.PeerUrls.Select(Url), config.InitialClusterToken), m.Name,
                m.PeerUrls.Select(Url).ToList(),
                m.Name == config.Name ? selfClientUrls.Split(',') : []))
            .ToList();
        if (members.All(m => m.Name != config.Name))
        {
            throw new ArgumentException($"--initial-cluster has no member named '{config.Name}'");
        }
        var bootstrap = new Membership(MemberIds.Cluster(members.Select(m => m.Id)), members, 0);
        WriteRecord(bootstrap);
        return bootstrap;
    }

    /// <summary>
    /// This member in a record: the one holding one of our advertised peer URLs (a just-added member has no name yet).
    /// Only for a record that is the latest this member knows (bootstrap, restart): an older one may hold an earlier
    /// member with the same peer URL, so a joining member learns its id from the leader (EtcdServer.Join.cs).
    /// </summary>
    private ulong FindSelf(Membership membership)
    {
        var ours = Config.InitialAdvertisePeerUrls.Select(u => Url(u.ToString())).ToHashSet(StringComparer.Ordinal);
        MemberInfo? self = membership.Members.FirstOrDefault(m => m.PeerUrls.Any(ours.Contains))
            ?? membership.Members.FirstOrDefault(m => m.Name == Config.Name && m.Name.Length > 0);
        return self?.Id ?? 0;
    }

    private readonly bool _resetVoters;
    private readonly string _configStoragePath;

    /// <summary>
    /// A single-member cluster restarted on another peer URL (same name, same data dir): etcd's lone member never
    /// dials its own peer URL, so it simply runs on; here the member record and DotNext's one voter follow the new
    /// URL. A member of several cannot do this (the others dial the old URL): that takes `member update`.
    /// </summary>
    private bool AdoptNewPeerUrlOfSingleMember()
    {
        Membership current = _membership;
        if (current.Members.Count != 1 || current.Members[0].Name != Config.Name) return false;
        var ours = Config.InitialAdvertisePeerUrls.Select(u => Url(u.ToString())).ToList();
        MemberInfo self = current.Members[0];
        if (self.PeerUrls.Any(ours.Contains)) return false;
        _membership = current with { Members = [self with { PeerUrls = ours }] };
        WriteRecord(_membership);
        _memberId = self.Id;
        _joined.TrySetResult();
        return true;
    }

    private void WriteRecord(Membership membership)
    {
        string temp = _recordPath + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            membership.ToProto().WriteTo(file);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, _recordPath, overwrite: true);
    }

    /// <summary>Applies a committed record (every member, in log order). A replayed older entry changes nothing.</summary>
    internal void ApplyMembers(long index, ClusterMembers record)
    {
        if (index <= Volatile.Read(ref _membership).AppliedIndex) return;
        ReplaceMembership(Membership.FromProto(record) with { AppliedIndex = index }, mustPersist: false);
    }

    /// <summary>The applied record, as a snapshot sent to a member carries it.</summary>
    internal ClusterMembers MembersRecord() => Volatile.Read(ref _membership).ToProto();

    /// <summary>
    /// Installs the leader's record from a snapshot: the member skips the log up to the snapshot, membership entries
    /// included (a member added under load, whose own entry the leader's snapshot already covered, waited for it for
    /// good). Applies only a record newer than the member's; the entries after it apply on top.
    /// Test: FaultMechanismTests.MemberAddedBackAfterTheLeaderSnapshottedPastItsAdditionJoinsFromTheSnapshot.
    /// </summary>
    internal void InstallMembers(ClusterMembers record)
    {
        Membership current = Volatile.Read(ref _membership);
        if (record.AppliedIndex < current.AppliedIndex || (record.AppliedIndex == current.AppliedIndex && current.Members.Count > 0)) return;
        // Persisted or the restore fails: the payload it came from is deleted next, and no log entry holds the record.
        ReplaceMembership(Membership.FromProto(record), mustPersist: true);
    }

    private void ReplaceMembership(Membership next, bool mustPersist)
    {
        Membership current = Volatile.Read(ref _membership);
        if (next.ClusterId == 0) next = next with { ClusterId = current.ClusterId };
        try
        {
            WriteRecord(next);
        }
        catch (IOException e) when (!mustPersist)
        {
            Log.RecordWriteFailed(_logger, next.AppliedIndex, e); // the log still holds the entry: a restart replays it
        }
        Volatile.Write(ref _membership, next);
        // By id only (etcd: a ConfChangeRemoveNode of another id never stops a member): removing an earlier member
        // with this peer URL, replayed by a member added back, is someone else's removal.
        // Test: FaultMechanismTests.MemberRemovedAndAddedBackTwiceWithTheSamePeerUrlServesEachTime.
        ulong self = MemberId;
        if (self != 0 && current.ById(self) is not null && next.ById(self) is null) OnRemoved();
        if (self != 0 && next.ById(self) is not null) _joined.TrySetResult();
        Log.MembersApplied(_logger, next.AppliedIndex, next.Members.Count);
    }

    private readonly CancellationTokenSource _removed = new();

    /// <summary>
    /// Cancelled once this member has been removed from the cluster (etcd: "the member has been permanently
    /// removed from the cluster"; etcd then stops, and so does the host).
    /// </summary>
    public CancellationToken Removed => _removed.Token;

    private void OnRemoved()
    {
        Log.RemovedFromCluster(_logger, MemberId);
        _ = Task.Run(async () =>
        {
            // Give the leader (maybe this member) time to take it out of the Raft voters before it goes away.
            var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(Config.ElectionTimeoutMs * 5L);
            try
            {
                while (DateTime.UtcNow < deadline && (await _configStorage.MembersAsync(_stopping.Token).ConfigureAwait(false)).Contains(_peerEndPoint))
                {
                    await Task.Delay(100, _stopping.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
            }
            _removed.Cancel();
        }, CancellationToken.None);
    }

    // ---- membership changes, on the leader (EtcdServer.PeerCalls.cs passes a follower's on to it) ----

    private Task<MembershipResult> LeaderAddMemberAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken) =>
        ChangeMembershipAsync(current =>
        {
            if (isLearner) return (null, null, ServerError.LearnerNotSupported);
            var urls = peerUrls.Select(Url).ToList();
            if (urls.Count == 0 || !urls.All(ValidPeerUrl)) return (null, null, ServerError.MemberBadUrls);
            // etcd's membership.NewMember("", urls, "", now): sha1(sorted URLs + unix seconds).
            var sorted = urls.OrderBy(u => u, StringComparer.Ordinal);
            string seed = string.Concat(sorted) + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            ulong id = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(SHA1.HashData(Encoding.UTF8.GetBytes(seed)));
            if (current.ById(id) is not null) return (null, null, ServerError.MemberExists);
            if (current.RemovedIds.Contains(id)) return (null, null, ServerError.MemberNotFound); // etcd's ErrIDRemoved
            if (current.Members.Any(m => m.PeerUrls.Intersect(urls).Any())) return (null, null, ServerError.PeerUrlExists);
            if (!ReadyToAddVotingMember(current)) return (null, null, ServerError.NotEnoughStartedMembers);
            var added = new MemberInfo(id, "", urls, []);
            return (added, current with { Members = [.. current.Members, added] }, ServerError.None);
        }, cancellationToken);

    private Task<MembershipResult> LeaderRemoveMemberAsync(ulong id, CancellationToken cancellationToken) =>
        ChangeMembershipAsync(current =>
        {
            if (current.ById(id) is not { } removed) return (null, null, ServerError.MemberNotFound);
            ServerError check = MayRemoveMember(current, removed);
            if (check != ServerError.None) return (null, null, check);
            return (removed, current with { Members = current.Members.Where(m => m.Id != id).ToList(), RemovedIds = [.. current.RemovedIds, id] }, ServerError.None);
        }, cancellationToken, waitForVoters: true);

    private Task<MembershipResult> LeaderUpdateMemberAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken) =>
        ChangeMembershipAsync(current =>
        {
            var urls = peerUrls.Select(Url).ToList();
            if (urls.Count == 0 || !urls.All(ValidPeerUrl)) return (null, null, ServerError.MemberBadUrls);
            if (current.ById(id) is not { } member) return (null, null, ServerError.MemberNotFound);
            if (current.Members.Any(m => m.Id != id && m.PeerUrls.Intersect(urls).Any())) return (null, null, ServerError.PeerUrlExists);
            var updated = member with { PeerUrls = urls };
            return (updated, current with { Members = current.Members.Select(m => m.Id == id ? updated : m).ToList() }, ServerError.None);
        }, cancellationToken);

    /// <summary>etcd's PromoteMember: every member here is a voter, so there is never a learner to promote.</summary>
    public Task<MembershipResult> PromoteMemberAsync(ulong id, CancellationToken cancellationToken)
    {
        Membership current = Volatile.Read(ref _membership);
        ServerError error = current.ById(id) is null ? ServerError.MemberNotFound : ServerError.MemberNotLearner;
        return Task.FromResult(new MembershipResult(null, current.Members, error));
    }

    private static bool ValidPeerUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" && uri.Port > 0 && IPAddress.TryParse(uri.Host, out _)
        || (Uri.TryCreate(url, UriKind.Absolute, out uri) && uri.Host == "localhost" && uri.Port > 0);

    /// <summary>
    /// One change at a time (etcd serializes conf changes through Raft): decide on the current record under the
    /// gate, replicate the record after the change, and answer once it is applied here.
    /// </summary>
    private async Task<MembershipResult> ChangeMembershipAsync(
        Func<Membership, (MemberInfo? Member, Membership? Next, ServerError Error)> change, CancellationToken cancellationToken,
        bool waitForVoters = false)
    {
        if (_disposed) return new MembershipResult(null, Members, ServerError.Stopped);
        if (!IsLeader) return new MembershipResult(null, Members, LeaderId == 0 ? ServerError.NoLeader : ServerError.NotLeader);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            await _membershipGate.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                (MemberInfo? member, Membership? next, ServerError error) = change(Volatile.Read(ref _membership));
                if (error != ServerError.None || next is null) return new MembershipResult(null, Members, error);
                var batch = new RaftBatch { Members = next.ToProto() };
                if (_leaderLog.TermOrZero() is not (> 0 and var term)) return new MembershipResult(null, Members, ServerError.LeaderChanged);
                await _leaderLog.AppendAsync(batch, term, timeout.Token).ConfigureAwait(false);
                Log.MembershipChanged(_logger, member!.Id, string.Join(",", member.PeerUrls), next.Members.Count);
                _reconcileNow.TrySetResult();
                if (waitForVoters) await WaitForVotersAsync(next, timeout.Token).ConfigureAwait(false);
                return new MembershipResult(member, Members);
            }
            finally
            {
                _membershipGate.Release();
            }
        }
        catch (NotLeaderException)
        {
            return new MembershipResult(null, Members, ServerError.NoLeader);
        }
        catch (OperationCanceledException)
        {
            return new MembershipResult(null, Members, _stopping.IsCancellationRequested ? ServerError.Stopped : ServerError.Timeout);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return new MembershipResult(null, Members, ServerError.Stopped);
        }
    }

    /// <summary>Waits until DotNext's voters are the record's (a removal is done when the member no longer votes).</summary>
    private async Task WaitForVotersAsync(Membership record, CancellationToken token)
    {
        var wanted = record.Members.Select(EndPointOf).ToHashSet();
        while (!token.IsCancellationRequested && IsLeader)
        {
            IReadOnlySet<EndPoint> voters = await _configStorage.MembersAsync(token).ConfigureAwait(false);
            if (voters.All(wanted.Contains)) return;
            await Task.Delay(50, token).ConfigureAwait(false);
        }
    }

    private static EndPoint EndPointOf(MemberInfo m) => ToEndPoint(new Uri(m.PeerUrls[0]));

    /// <summary>The DotNext member behind a record member (null when it is not a voter yet).</summary>
    private IRaftClusterMember? RaftMember(MemberInfo m)
    {
        EndPoint ep = EndPointOf(m);
        return _cluster.Members.FirstOrDefault(c => c.EndPoint.Equals(ep));
    }

    /// <summary>A member counts as started when it is this one, or a voter the leader hears from.</summary>
    private bool IsStarted(MemberInfo m) =>
        m.Id == MemberId || RaftMember(m) is { Status: ClusterMemberStatus.Available };

    /// <summary>etcd's RaftCluster.IsReadyToAddVotingMember: the started members stay a quorum of the cluster with the new one.</summary>
    private bool ReadyToAddVotingMember(Membership current)
    {
        int members = current.Members.Count + 1;
        int started = current.Members.Count(IsStarted);
        if (started == 1 && members == 2) return true;
        return started >= members / 2 + 1;
    }

    /// <summary>etcd's mayRemoveMember: the started members left must still be a quorum.</summary>
    private ServerError MayRemoveMember(Membership current, MemberInfo removed)
    {
        var left = current.Members.Where(m => m.Id != removed.Id).ToList();
        int started = left.Count(IsStarted);
        if (started < left.Count / 2 + 1) return ServerError.NotEnoughStartedMembers;
        if (removed.Id != MemberId && !IsStarted(removed)) return ServerError.None; // a downed member is safe to remove
        int active = current.Members.Count(IsStarted);
        return active - 1 < 1 + (current.Members.Count - 1) / 2 ? ServerError.Unhealthy : ServerError.None;
    }

    // ---- the leader's reconciler: DotNext voters follow the record; members publish their attributes ----

    private TaskCompletionSource _reconcileNow = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task ReconcileLoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            TaskCompletionSource signal = _reconcileNow;
            await Task.WhenAny(signal.Task, Task.Delay(500, token)).ConfigureAwait(false);
            if (signal.Task.IsCompleted) Interlocked.CompareExchange(ref _reconcileNow, new(TaskCreationOptions.RunContinuationsAsynchronously), signal);
            if (!IsLeader) continue;
            try
            {
                await ReconcileVotersAsync(token).ConfigureAwait(false);
                await PublishAttributesAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.ReconcileFailed(_logger, e.Message);
            }
        }
    }

    private async Task ReconcileVotersAsync(CancellationToken token)
    {
        Membership record = Volatile.Read(ref _membership);
        if (record.Members.Count == 0) return;
        var wanted = record.Members.Select(EndPointOf).ToList();
        IReadOnlySet<EndPoint> voters = await _configStorage.MembersAsync(token).ConfigureAwait(false);
        if (voters.FirstOrDefault(v => !wanted.Contains(v)) is { } gone)
        {
            Log.RemovingVoter(_logger, gone.ToString()!);
            await _cluster.RemoveMemberAsync(gone, token).ConfigureAwait(false);
            return;
        }
        if (wanted.FirstOrDefault(w => !voters.Contains(w)) is { } added)
        {
            // DotNext catches the new member up first (log or snapshot), so try only once it answers and knows
            // which member it is, and give the catch-up time; until then, every round asks again.
            if (!await TellJoinerItsIdAsync(record, added, token).ConfigureAwait(false)) return;
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
            attempt.CancelAfter(TimeSpan.FromSeconds(Math.Max(60, Config.ElectionTimeoutMs * 20L / 1000)));
            try
            {
                // A member caught up by a Raft snapshot learns the members, and itself, from the snapshot's record.
                if (await _cluster.AddMemberAsync(added, attempt.Token).ConfigureAwait(false)) Log.AddedVoter(_logger, added.ToString()!);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                // not up yet
            }
        }
    }

    /// <summary>etcd's publish: each started member's name and client URLs (from its Raft metadata) enter the record.</summary>
    private async Task PublishAttributesAsync(CancellationToken token)
    {
        Membership record = Volatile.Read(ref _membership);
        var changed = new List<MemberInfo>(record.Members.Count);
        bool any = false;
        foreach (MemberInfo m in record.Members)
        {
            (string Name, string[] ClientUrls)? attrs = null;
            if (m.Id == MemberId)
            {
                attrs = (Config.Name, Config.AdvertiseClientUrls.Select(u => Url(u.ToString())).ToArray());
            }
            else if (RaftMember(m) is { Status: ClusterMemberStatus.Available } raft)
            {
                IReadOnlyDictionary<string, string> meta = await raft.GetMetadataAsync(false, token).ConfigureAwait(false);
                if (meta.TryGetValue("name", out string? name) && meta.TryGetValue("client-urls", out string? urls))
                {
                    attrs = (name, urls.Split(',', StringSplitOptions.RemoveEmptyEntries));
                }
            }
            if (attrs is { } a && (a.Name != m.Name || !a.ClientUrls.SequenceEqual(m.ClientUrls)))
            {
                changed.Add(m with { Name = a.Name, ClientUrls = a.ClientUrls });
                any = true;
            }
            else
            {
                changed.Add(m);
            }
        }
        if (any) await ProposeRecordAsync(record, record with { Members = changed }, token).ConfigureAwait(false);
    }

    /// <summary>Replicates <paramref name="next"/> unless the record changed since <paramref name="basis"/>.</summary>
    private async Task ProposeRecordAsync(Membership basis, Membership next, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(RequestTimeout);
        await _membershipGate.WaitAsync(timeout.Token).ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(basis, Volatile.Read(ref _membership))) return; // changed meanwhile: next round
            var batch = new RaftBatch { Members = next.ToProto() };
            if (_leaderLog.TermOrZero() is not (> 0 and var term)) return; // no longer leading: the next leader re-proposes
            await _leaderLog.AppendAsync(batch, term, timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            _membershipGate.Release();
        }
    }

    /// <summary>The member of <see cref="Members"/> at a Raft endpoint (its first peer URL).</summary>
    private MemberInfo? MemberAt(EndPoint endPoint)
    {
        foreach (MemberInfo m in Members)
        {
            if (m.PeerUrls.Count > 0 && Uri.TryCreate(m.PeerUrls[0], UriKind.Absolute, out Uri? url) && IsAt(url, endPoint)) return m;
        }
        return null;
    }

    private static bool IsAt(Uri url, EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.Port == url.Port && (IPAddress.TryParse(url.Host, out IPAddress? address)
            ? address.Equals(ip.Address)
            : url.Host == "localhost" && IPAddress.IsLoopback(ip.Address)),
        DnsEndPoint dns => dns.Port == url.Port && string.Equals(dns.Host, url.Host, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>Fetches every remote member's metadata until all are known (member names and client URLs for the member list, the leader id).</summary>
    private async Task MetadataLoopAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(100, Config.ElectionTimeoutMs)));
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            foreach (RaftClusterMember member in _cluster.Members)
            {
                if (!member.IsRemote || member.TryGetMetadata() is not null) continue;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(TimeSpan.FromMilliseconds(Config.ElectionTimeoutMs * 2));
                try
                {
                    await member.GetMetadataAsync(false, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Stopping: a member that went away first (any error then) ends the loop, not the member's stop.
                    if (token.IsCancellationRequested) return;
                    // unreachable now: try again on the next tick
                    Log.MetadataFailed(_logger, member.EndPoint, e);
                }
            }
        }
    }

    // ---- MoveLeader ----

    /// <summary>
    /// etcd's MoveLeader. DotNext has no leadership transfer: this member stands by (it steps down and does not
    /// campaign) and asks any other winner to resign, until the transferee wins an election or the request
    /// times out (etcd: "etcdserver: request timed out, leader transfer took too long"). Only a member up to
    /// date can win a Raft election, so nothing committed is lost.
    /// </summary>
    public async Task<ServerError> MoveLeaderAsync(ulong targetMemberId, CancellationToken cancellationToken)
    {
        if (!IsLeader) return ServerError.NotLeader;
        if (Volatile.Read(ref _membership).ById(targetMemberId) is not { } target) return ServerError.BadLeaderTransferee;
        if (targetMemberId == MemberId) return ServerError.None;
        if (RaftMember(target) is not { } transferee) return ServerError.BadLeaderTransferee; // not a voter yet
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        timeout.CancelAfter(RequestTimeout);
        CancellationToken token = timeout.Token;
        Log.LeaderTransferStarting(_logger, MemberId, targetMemberId);
        await AskOthersToStandByAsync(targetMemberId, token).ConfigureAwait(false);
        await _membershipGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            await _cluster.EnableStandbyModeAsync(token).ConfigureAwait(false);
            while (true)
            {
                await Task.Delay(Math.Max(10, Config.HeartbeatIntervalMs / 2), token).ConfigureAwait(false);
                IRaftClusterMember? leader = _cluster.Leader;
                if (leader is null || !leader.IsRemote) continue;
                if (ReferenceEquals(leader, transferee) || leader.EndPoint.Equals(transferee.EndPoint)) break;
                try
                {
                    await leader.ResignAsync(token).ConfigureAwait(false); // another member won: make it try again
                }
                catch (Exception e) when (e is not OperationCanceledException && e is not OutOfMemoryException)
                {
                    // unreachable for a moment: the next round asks again
                }
            }
            Log.LeaderTransferFinished(_logger, MemberId, targetMemberId);
            return ServerError.None;
        }
        catch (OperationCanceledException)
        {
            return _stopping.IsCancellationRequested ? ServerError.Stopped : ServerError.LeaderTransferTimeout;
        }
        finally
        {
            try
            {
                await _cluster.RevertToNormalModeAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
            }
            _membershipGate.Release();
        }
    }

    /// <summary>During a leader transfer to <paramref name="targetMemberId"/>: stop campaigning until it leads (bounded by the request timeout).</summary>
    internal async Task<ServerError> StandByForTransferAsync(ulong targetMemberId, CancellationToken cancellationToken)
    {
        if (IsLeader) return ServerError.NotLeader; // only the leader starts a transfer; a leader never stands by for one
        if (targetMemberId == MemberId || Volatile.Read(ref _membership).ById(targetMemberId) is null) return ServerError.None;
        if (!await _cluster.EnableStandbyModeAsync(cancellationToken).ConfigureAwait(false)) return ServerError.None;
        _ = Task.Run(async () =>
        {
            var deadline = DateTime.UtcNow + RequestTimeout;
            try
            {
                while (DateTime.UtcNow < deadline && LeaderId != targetMemberId && !_stopping.IsCancellationRequested)
                {
                    await Task.Delay(50, _stopping.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                try
                {
                    await _cluster.RevertToNormalModeAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }, CancellationToken.None);
        return ServerError.None;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "the member has been permanently removed from the cluster ({MemberId:x16}); stopping")]
        public static partial void RemovedFromCluster(ILogger logger, ulong memberId);

        [LoggerMessage(Level = LogLevel.Information, Message = "applied membership at raft index {Index}: {Count} members")]
        public static partial void MembersApplied(ILogger logger, long index, int count);

        [LoggerMessage(Level = LogLevel.Error, Message = "writing the member record at raft index {Index} failed")]
        public static partial void RecordWriteFailed(ILogger logger, long index, Exception e);

        [LoggerMessage(Level = LogLevel.Information, Message = "membership changed for member {MemberId:x16} ({PeerUrls}): {Count} members")]
        public static partial void MembershipChanged(ILogger logger, ulong memberId, string peerUrls, int count);

        [LoggerMessage(Level = LogLevel.Information, Message = "removing voter {EndPoint}")]
        public static partial void RemovingVoter(ILogger logger, string endPoint);

        [LoggerMessage(Level = LogLevel.Information, Message = "added voter {EndPoint}")]
        public static partial void AddedVoter(ILogger logger, string endPoint);

        [LoggerMessage(Level = LogLevel.Debug, Message = "membership reconcile round failed: {Reason}")]
        public static partial void ReconcileFailed(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "leadership transfer starting from {From:x16} to {To:x16}")]
        public static partial void LeaderTransferStarting(ILogger logger, ulong from, ulong to);

        [LoggerMessage(Level = LogLevel.Information, Message = "leadership transfer finished from {From:x16} to {To:x16}")]
        public static partial void LeaderTransferFinished(ILogger logger, ulong from, ulong to);

        [LoggerMessage(Level = LogLevel.Debug, Message = "metadata of member {EndPoint} not available")]
        public static partial void MetadataFailed(ILogger logger, EndPoint endPoint, Exception e);

        [LoggerMessage(Level = LogLevel.Information, Message = "waiting to be added to the existing cluster by its leader (member add, then this member's peer URL)")]
        public static partial void WaitingToJoin(ILogger logger);
    }
}
