using System.Buffers.Binary;
using System.Net;
using Grpc.Core;
using KvStore.Server.Replication;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>
/// How a member added with MemberAdd learns its id (etcd's joining member finds it in the cluster's member list):
/// before making it a voter, the leader tells it which member of the record it is, and it keeps the id in
/// member/member-id. Finding itself by peer URL while it replays the log would take an earlier member added at the
/// same peer URL (removed since) for itself, and stop when that one's removal is applied.
/// Test: FaultMechanismTests.MemberRemovedAndAddedBackTwiceWithTheSamePeerUrlServesEachTime.
/// </summary>
public sealed partial class EtcdServer
{
    private const string MemberIdFile = "member-id";

    private readonly string _memberIdPath;
    private readonly Lock _joinLock = new();
    private long _joinRecordIndex; // the applied index of the leader's record that named this member's id

    /// <summary>On the leader: tells the member at <paramref name="endPoint"/> its id in <paramref name="record"/>; true once it holds that id.</summary>
    private async Task<bool> TellJoinerItsIdAsync(Membership record, EndPoint endPoint, CancellationToken token)
    {
        if (record.Members.FirstOrDefault(m => EndPointOf(m).Equals(endPoint)) is not { } joiner) return false;
        // Only a record holding every committed change: a new leader may not have applied them all yet, and an older
        // record may still name an earlier member at this peer URL.
        if (await ReadIndexAsync(token).ConfigureAwait(false) != ServerError.None || !IsLeader
            || !ReferenceEquals(record, Volatile.Read(ref _membership)))
        {
            return false;
        }
        try
        {
            JoinResponse response = await _link.Client(endPoint)
                .JoinAsync(new JoinRequest { MemberId = joiner.Id, Members = record.ToProto() }, _link.Headers,
                    deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: token)
                .ConfigureAwait(false);
            if (response.MemberId == joiner.Id) return true;
            Log.JoinerHoldsOtherId(_logger, endPoint.ToString()!, joiner.Id, response.MemberId);
            return false;
        }
        catch (RpcException) when (!token.IsCancellationRequested)
        {
            return false; // not up yet
        }
    }

    /// <summary>
    /// On a member asked to join (PeerService): takes the id the leader names, unless it has joined already (its
    /// applied record holds its id), the record does not give that id one of its peer URLs, or the id it holds came
    /// from a newer record (a deposed leader's). Answers the id it holds.
    /// </summary>
    internal JoinResponse AcceptJoin(JoinRequest request)
    {
        var ours = Config.InitialAdvertisePeerUrls.Select(u => Url(u.ToString())).ToHashSet(StringComparer.Ordinal);
        bool ourUrl = request.Members?.Members.Any(m => m.Id == request.MemberId && m.PeerUrls.Select(Url).Any(ours.Contains)) ?? false;
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
        [LoggerMessage(Level = LogLevel.Information, Message = "joining the existing cluster as member {MemberId:x16}")]
        public static partial void JoiningAs(ILogger logger, ulong memberId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "the member at {EndPoint} is not added as a voter: the record names it {Wanted:x16}, it holds {Held:x16}")]
        public static partial void JoinerHoldsOtherId(ILogger logger, string endPoint, ulong wanted, ulong held);
    }
}
