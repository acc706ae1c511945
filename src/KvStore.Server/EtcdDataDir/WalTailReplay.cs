using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Apply;
using Kvstorepb.EtcdDataDir;

namespace KvStore.Server.EtcdDataDir;

/// <summary>
/// Applies an etcd WAL's entries as etcd 3.4 applies them when it restarts (EtcdServer.applyEntryNormal and
/// applyConfChange): membership changes after the members' snapshot index, and v3 requests after the backend's
/// consistent index through etcd's applier chain: the auth checks (<see cref="AuthApplyChecks"/>), the NOSPACE cap
/// (while the alarm is raised, what the quota charges for is refused), then the engine. Passwords, which etcd 3.4
/// proposes in clear and hashes at apply, are hashed here with --bcrypt-cost.
/// </summary>
internal sealed class WalTailReplay(MvccStore store, int bcryptCost, IEnumerable<AlarmMember> alarms)
{
    private readonly BackendApplier _backend = new(store);

    /// <summary>The auth store the replay applies to (etcd's, opened on the restored backend).</summary>
    public Access.AuthStore Auth => _backend.Auth;
    private const int NormalEntry = 0, ConfChangeEntry = 1;
    private readonly HashSet<(ulong Member, AlarmType Alarm)> _alarms = alarms.Select(a => (a.MemberID, a.Alarm)).ToHashSet();

    /// <summary>Applies <paramref name="entries"/>; returns how many v3 requests reached the engine.</summary>
    public int Apply(IReadOnlyList<Kvstorepb.EtcdDataDir.RaftEntry> entries, ulong consistentIndex, EtcdMembers members)
    {
        if (entries.Count > 0 && entries[0].Index > consistentIndex + 1)
        {
            throw new InvalidDataException(
                $"wal: the backend's consistent index is {consistentIndex}, but the WAL starts at entry {entries[0].Index}");
        }
        int applied = 0;
        long nowMs = Environment.TickCount64;
        foreach (Kvstorepb.EtcdDataDir.RaftEntry entry in entries)
        {
            bool membership = entry.Index > members.SnapshotIndex;
            switch (entry.Type)
            {
                case ConfChangeEntry when membership:
                    members.ApplyConfChange(RaftConfChange.Parser.ParseFrom(entry.Data));
                    break;
                case ConfChangeEntry:
                    break;
                case NormalEntry when entry.Data.IsEmpty:
                    break; // a new leader's empty entry
                case NormalEntry:
                    if (AsV2Request(entry.Data) is { } v2)
                    {
                        if (membership) members.ApplyV2(v2);
                    }
                    else if (entry.Index > consistentIndex && ApplyV3(InternalRaftRequest.Parser.ParseFrom(entry.Data), nowMs))
                    {
                        applied++;
                    }
                    break;
                default:
                    throw new InvalidDataException($"wal: entry {entry.Index} has type {entry.Type} (a v2 conf change), which etcd 3.4 never writes");
            }
        }
        return applied;
    }

    private bool ApplyV3(InternalRaftRequest request, long nowMs)
    {
        if (request.Alarm is { } alarm)
        {
            if (alarm.Action == AlarmRequest.Types.AlarmAction.Activate && alarm.Alarm != AlarmType.None) _alarms.Add((alarm.MemberID, alarm.Alarm));
            if (alarm.Action == AlarmRequest.Types.AlarmAction.Deactivate) _alarms.Remove((alarm.MemberID, alarm.Alarm));
            return false;
        }
        if (request.Authenticate is not null) return false; // a simple token lives in memory only, in etcd too
        if (_alarms.Any(a => a.Alarm == AlarmType.Nospace) && Quota.IsWrite(request)) return false;
        HashPasswords(request);
        if (AuthApplyChecks.Check(Auth, store, request) != MvccError.None) return false;
        _backend.Apply(0, request, nowMs); // index 0: the engine's consistent index stays 0 for the member's new Raft log
        return true;
    }

    private void HashPasswords(InternalRaftRequest request)
    {
        if (request.AuthUserAdd is { } add && add.HashedPassword.Length == 0 && add.Options is not { NoPassword: true })
        {
            add.HashedPassword = BCrypt.Net.BCrypt.HashPassword(add.Password, bcryptCost);
            add.Password = "";
        }
        if (request.AuthUserChangePassword is { } change && change.HashedPassword.Length == 0)
        {
            change.HashedPassword = BCrypt.Net.BCrypt.HashPassword(change.Password, bcryptCost);
            change.Password = "";
        }
    }

    /// <summary>
    /// The entry as a v2 request, or null for a v3 one. etcd tells them apart by decoding: a bare etcdserverpb.Request
    /// does not decode as an InternalRaftRequest (its method string sits where the v2 message would be), and an
    /// InternalRaftRequest may carry one in its v2 field.
    /// </summary>
    private static V2Request? AsV2Request(ByteString data)
    {
        // A v3 request has no field 2, so its method reads empty; a wrapped one has a message there, not a method.
        if (TryParse(V2Request.Parser, data) is { } bare && IsMethod(bare.Method)) return bare;
        return TryParse(InternalRaftRequestV2.Parser, data)?.V2 is { } inner && IsMethod(inner.Method) ? inner : null;
    }

    private static T? TryParse<T>(MessageParser<T> parser, ByteString data) where T : class, IMessage<T>
    {
        try
        {
            return parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static bool IsMethod(string method) => method is "PUT" or "POST" or "DELETE" or "QGET" or "GET" or "HEAD" or "SYNC";
}
