using System.Buffers.Binary;
using System.Net;
using KvStore.Server.DataDir;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Members;

/// <summary>
/// The member record (etcd's membership.RaftCluster): ids, names, peer and client URLs, changed only by a Raft entry
/// carrying the whole record after the change and stored in member/members.pb (atomically) when applied, so every
/// member and every restart sees the same members. Owns this member's id (member/member-id once it joined an existing
/// cluster) and the lock that makes changes one at a time.
/// </summary>
internal sealed partial class Membership
{
    private const string MemberIdFile = "member-id";

    private readonly ServerConfig _config;
    private readonly ILogger _logger;
    private readonly string _recordPath;
    private readonly string _memberIdPath;
    private readonly Func<CancellationToken, Task<bool>> _stillVoter;
    private readonly CancellationToken _stopping;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _removed = new();
    private readonly Lock _joinLock = new();
    private MembershipRecord _record;
    private ulong _memberId;
    private long _joinRecordIndex; // the applied index of the leader's record that named this member's id

    /// <param name="config">The member's configuration (name, initial cluster, advertised URLs).</param>
    /// <param name="memberDir">&lt;data-dir&gt;/member, where the record and the member id are kept.</param>
    /// <param name="stillVoter">Whether this member is still one of DotNext's voters (a removed member waits until it is not).</param>
    /// <param name="stopping">Cancelled when the member stops.</param>
    /// <param name="logger">The member's logger.</param>
    public Membership(ServerConfig config, string memberDir, Func<CancellationToken, Task<bool>> stillVoter, CancellationToken stopping,
        ILogger logger)
    {
        _config = config;
        _logger = logger;
        _stillVoter = stillVoter;
        _stopping = stopping;
        _recordPath = Path.Combine(memberDir, MembershipRecord.FileName);
        _memberIdPath = Path.Combine(memberDir, MemberIdFile);
        _record = DataDirException.Wrap(LoadOrBootstrap, "cannot open database at " + _recordPath);
        _memberId = DataDirException.Wrap(ReadMemberIdFile, "cannot open database at " + _memberIdPath) ?? FindSelf(_record);
        if (_record.ById(_memberId) is not null) _joined.TrySetResult();
        AdoptedNewPeerUrl = AdoptNewPeerUrlOfSingleMember();
    }

    public ulong ClusterId => Volatile.Read(ref _record).ClusterId;

    public ulong MemberId => Volatile.Read(ref _memberId);

    public IReadOnlyList<MemberInfo> Members => Volatile.Read(ref _record).Members;

    /// <summary>The applied record.</summary>
    public MembershipRecord Current => Volatile.Read(ref _record);

    /// <summary>Completes once the record names this member (at once, unless it joins an existing cluster).</summary>
    public Task Joined => _joined.Task;

    /// <summary>Cancelled once this member has been removed from the cluster (etcd then stops, and so does the host).</summary>
    public CancellationToken Removed => _removed.Token;

    /// <summary>A single member restarted on another peer URL: its record and DotNext's one voter follow the new URL.</summary>
    public bool AdoptedNewPeerUrl { get; }

    /// <summary>Changes are made one at a time under this lock (etcd serializes conf changes through Raft).</summary>
    public async Task<IDisposable> LockAsync(CancellationToken token)
    {
        await _gate.WaitAsync(token).ConfigureAwait(false);
        return new Release(_gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    /// <summary>The member of the record at a Raft end point (its first peer URL).</summary>
    public MemberInfo? MemberAt(EndPoint endPoint)
    {
        foreach (MemberInfo m in Members)
        {
            if (m.PeerUrls.Count > 0 && Uri.TryCreate(m.PeerUrls[0], UriKind.Absolute, out Uri? url) && MembershipRecord.IsAt(url, endPoint))
            {
                return m;
            }
        }
        return null;
    }

    /// <summary>
    /// The record this member starts with: the stored one (a restart: the flags' --initial-cluster is then ignored, as
    /// etcd), else for a new cluster the members of --initial-cluster, else (joining an existing cluster) none until the
    /// leader's log brings it.
    /// </summary>
    private MembershipRecord LoadOrBootstrap()
    {
        if (File.Exists(_recordPath))
        {
            return MembershipRecord.FromProto(ClusterMembers.Parser.ParseFrom(File.ReadAllBytes(_recordPath)));
        }
        if (_config.InitialClusterState == "existing") return new MembershipRecord(0, [], 0);
        string selfClientUrls = string.Join(",", _config.AdvertiseClientUrls.Select(u => MembershipRecord.Url(u.ToString())));
        var members = MemberIds.ParseInitialCluster(_config.InitialCluster)
            .Select(m => new MemberInfo(MemberIds.Member(m.PeerUrls.Select(MembershipRecord.Url), _config.InitialClusterToken), m.Name,
                m.PeerUrls.Select(MembershipRecord.Url).ToList(),
                m.Name == _config.Name ? selfClientUrls.Split(',') : []))
            .ToList();
        if (members.All(m => m.Name != _config.Name))
        {
            throw new ArgumentException($"--initial-cluster has no member named '{_config.Name}'");
        }
        var bootstrap = new MembershipRecord(MemberIds.Cluster(members.Select(m => m.Id)), members, 0);
        bootstrap.Write(_recordPath);
        return bootstrap;
    }

    /// <summary>
    /// This member in a record: the one holding one of our advertised peer URLs (a just-added member has no name yet).
    /// Only for a record that is the latest this member knows (bootstrap, restart): an older one may hold an earlier
    /// member with the same peer URL, so a joining member learns its id from the leader (<see cref="AcceptJoin"/>).
    /// </summary>
    private ulong FindSelf(MembershipRecord record)
    {
        HashSet<string> ours = OurPeerUrls();
        MemberInfo? self = record.Members.FirstOrDefault(m => m.PeerUrls.Any(ours.Contains))
            ?? record.Members.FirstOrDefault(m => m.Name == _config.Name && m.Name.Length > 0);
        return self?.Id ?? 0;
    }

    private HashSet<string> OurPeerUrls() =>
        _config.InitialAdvertisePeerUrls.Select(u => MembershipRecord.Url(u.ToString())).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// A single-member cluster restarted on another peer URL (same name, same data dir): etcd's lone member never dials
    /// its own peer URL, so it simply runs on; here the record follows the new URL. A member of several cannot do this
    /// (the others dial the old URL): that takes `member update`.
    /// </summary>
    private bool AdoptNewPeerUrlOfSingleMember()
    {
        MembershipRecord current = _record;
        if (current.Members.Count != 1 || current.Members[0].Name != _config.Name) return false;
        var ours = _config.InitialAdvertisePeerUrls.Select(u => MembershipRecord.Url(u.ToString())).ToList();
        MemberInfo self = current.Members[0];
        if (self.PeerUrls.Any(ours.Contains)) return false;
        _record = current with { Members = [self with { PeerUrls = ours }] };
        _record.Write(_recordPath);
        _memberId = self.Id;
        _joined.TrySetResult();
        return true;
    }

    /// <summary>Applies a committed record (every member, in log order). A replayed older entry changes nothing.</summary>
    public void Apply(long index, ClusterMembers record)
    {
        if (index <= Volatile.Read(ref _record).AppliedIndex) return;
        Replace(MembershipRecord.FromProto(record) with { AppliedIndex = index }, mustPersist: false);
    }

    /// <summary>
    /// Installs the leader's record from a snapshot, which skips the log up to it, membership entries included; only a
    /// record newer than the member's. Test: FaultMechanismTests.MemberBehindASnapshotLearnsTheMembershipChangesItCovers.
    /// </summary>
    public void Install(ClusterMembers record)
    {
        MembershipRecord current = Volatile.Read(ref _record);
        if (record.AppliedIndex < current.AppliedIndex || (record.AppliedIndex == current.AppliedIndex && current.Members.Count > 0)) return;
        // Persisted or the restore fails: the payload it came from is deleted next, and no log entry holds the record.
        Replace(MembershipRecord.FromProto(record), mustPersist: true);
    }

    private void Replace(MembershipRecord next, bool mustPersist)
    {
        MembershipRecord current = Volatile.Read(ref _record);
        if (next.ClusterId == 0) next = next with { ClusterId = current.ClusterId };
        try
        {
            next.Write(_recordPath);
        }
        catch (IOException e) when (!mustPersist)
        {
            Log.RecordWriteFailed(_logger, next.AppliedIndex, e); // the log still holds the entry: a restart replays it
        }
        Volatile.Write(ref _record, next);
        // By id only (etcd: a ConfChangeRemoveNode of another id never stops a member).
        // Test: FaultMechanismTests.MemberRemovedAndAddedBackTwiceWithTheSamePeerUrlServesEachTime.
        ulong self = MemberId;
        if (self != 0 && current.ById(self) is not null && next.ById(self) is null) OnRemoved();
        if (self != 0 && next.ById(self) is not null) _joined.TrySetResult();
        Log.MembersApplied(_logger, next.AppliedIndex, next.Members.Count);
    }

    private void OnRemoved()
    {
        Log.RemovedFromCluster(_logger, MemberId);
        _ = Task.Run(async () =>
        {
            // Give the leader (maybe this member) time to take it out of the Raft voters before it goes away.
            var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(_config.ElectionTimeoutMs * 5L);
            try
            {
                while (DateTime.UtcNow < deadline && await _stillVoter(_stopping).ConfigureAwait(false))
                {
                    await Task.Delay(100, _stopping).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
            }
            _removed.Cancel();
        }, CancellationToken.None);
    }

    /// <summary>
    /// On a member asked to join (how a member added with MemberAdd learns its id): takes the id the leader names, unless
    /// it has joined already, the record does not give that id one of its peer URLs, or the id it holds came from a newer
    /// record (a deposed leader's). Answers the id it holds.
    /// Test: FaultMechanismTests.MemberRemovedAndAddedBackTwiceWithTheSamePeerUrlServesEachTime.
    /// </summary>
    public JoinResponse AcceptJoin(JoinRequest request)
    {
        HashSet<string> ours = OurPeerUrls();
        bool ourUrl = request.Members?.Members
            .Any(m => m.Id == request.MemberId && m.PeerUrls.Select(MembershipRecord.Url).Any(ours.Contains)) ?? false;
        lock (_joinLock)
        {
            long recordIndex = request.Members?.AppliedIndex ?? 0;
            if (!_joined.Task.IsCompleted && ourUrl && request.MemberId != 0 && request.MemberId != MemberId
                && (MemberId == 0 || recordIndex > _joinRecordIndex))
            {
                WriteMemberIdFile(request.MemberId, recordIndex);
                _joinRecordIndex = recordIndex;
                Volatile.Write(ref _memberId, request.MemberId);
                Log.JoiningAs(_logger, request.MemberId);
            }
        }
        return new JoinResponse { MemberId = MemberId };
    }

    /// <summary>The id kept in member/member-id (8 bytes big-endian, then the record index that named it), or null.</summary>
    private ulong? ReadMemberIdFile()
    {
        if (!File.Exists(_memberIdPath)) return null;
        byte[] bytes = File.ReadAllBytes(_memberIdPath);
        if (bytes.Length != 16) throw new InvalidDataException($"{MemberIdFile} holds {bytes.Length} bytes, not 16");
        _joinRecordIndex = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(8));
        return BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    private void WriteMemberIdFile(ulong id, long recordIndex)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, id);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), recordIndex);
        string temp = _memberIdPath + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, _memberIdPath, overwrite: true);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "the member has been permanently removed from the cluster ({MemberId:x16}); stopping")]
        public static partial void RemovedFromCluster(ILogger logger, ulong memberId);

        [LoggerMessage(Level = LogLevel.Information, Message = "applied membership at raft index {Index}: {Count} members")]
        public static partial void MembersApplied(ILogger logger, long index, int count);

        [LoggerMessage(Level = LogLevel.Error, Message = "writing the member record at raft index {Index} failed")]
        public static partial void RecordWriteFailed(ILogger logger, long index, Exception e);

        [LoggerMessage(Level = LogLevel.Information, Message = "joining the existing cluster as member {MemberId:x16}")]
        public static partial void JoiningAs(ILogger logger, ulong memberId);
    }
}
