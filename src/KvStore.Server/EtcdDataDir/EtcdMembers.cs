using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kvstorepb.EtcdDataDir;

namespace KvStore.Server.EtcdDataDir;

/// <summary>
/// An etcd 3.4 member's view of its cluster, rebuilt as etcd 3.4 rebuilds it on start (membership.RaftCluster.Recover
/// reads the v2 store, not the backend's members bucket): the members of the newest Raft snapshot's v2 store
/// (/0/members/ID/raftAttributes and /attributes), then the WAL entries after that snapshot: conf changes (add,
/// update, remove) and the attribute publishes (a v2 PUT of /0/members/ID/attributes).
/// </summary>
internal sealed class EtcdMembers
{
    private readonly SortedDictionary<ulong, Member> _members = [];

    private sealed class Member
    {
        public List<string> PeerUrls { get; set; } = [];
        public string Name { get; set; } = "";
        public List<string> ClientUrls { get; set; } = [];
        public bool IsLearner { get; set; }
    }

    /// <summary>The Raft index the members were read at (the snapshot's; 0 without one).</summary>
    public ulong SnapshotIndex { get; private set; }

    public int Count => _members.Count;

    public bool HasLearners => _members.Values.Any(m => m.IsLearner);

    /// <summary>The members as kvstore's member record holds them (etcd's ids).</summary>
    public IReadOnlyList<MemberInfo> ToMemberInfos() =>
        _members.Select(m => new MemberInfo(m.Key, m.Value.Name, m.Value.PeerUrls, m.Value.ClientUrls)).ToList();

    /// <summary>The members of the newest readable member/snap/*.snap file (none: an empty cluster at index 0).</summary>
    public static EtcdMembers FromSnapshots(string snapDir)
    {
        var members = new EtcdMembers();
        string[] files = Directory.Exists(snapDir) ? Directory.GetFiles(snapDir, "*.snap") : [];
        foreach (string file in files.OrderDescending(StringComparer.Ordinal))
        {
            SnapFile snap = SnapFile.Parser.ParseFrom(File.ReadAllBytes(file));
            // etcd's snapshotter skips a file whose CRC does not match and reads the one before it.
            if (KvStore.Wal.Crc32C.Append(0, snap.Data.Span) != snap.Crc) continue;
            RaftSnapshot raft = RaftSnapshot.Parser.ParseFrom(snap.Data);
            members.SnapshotIndex = raft.Metadata?.Index ?? 0;
            members.LoadV2Store(raft.Data.ToStringUtf8());
            break;
        }
        return members;
    }

    private void LoadV2Store(string json)
    {
        JsonNode? nodes = JsonNode.Parse(json)?["Root"]?["Children"]?["0"]?["Children"]?["members"]?["Children"];
        if (nodes is not JsonObject byId) return;
        foreach ((string idText, JsonNode? node) in byId)
        {
            var member = new Member();
            if (node?["Children"]?["raftAttributes"]?["Value"]?.GetValue<string>() is { } raft) ReadRaftAttributes(member, raft);
            if (node?["Children"]?["attributes"]?["Value"]?.GetValue<string>() is { } attributes) ReadAttributes(member, attributes);
            _members[ulong.Parse(idText, NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = member;
        }
    }

    /// <summary>Applies a conf change entry (raftpb.ConfChange; its context is the member as JSON).</summary>
    public void ApplyConfChange(RaftConfChange change)
    {
        const int AddNode = 0, RemoveNode = 1, UpdateNode = 2, AddLearnerNode = 3;
        switch (change.Type)
        {
            case AddNode or AddLearnerNode:
            {
                var member = new Member();
                ReadMember(member, change.Context.ToStringUtf8());
                member.IsLearner |= change.Type == AddLearnerNode;
                _members[change.NodeId] = member;
                break;
            }
            case UpdateNode when _members.TryGetValue(change.NodeId, out Member? member):
                // an update changes the peer URLs (a learner's promotion clears isLearner)
                ReadRaftAttributes(member, change.Context.ToStringUtf8());
                break;
            case RemoveNode:
                _members.Remove(change.NodeId);
                break;
        }
    }

    /// <summary>Applies a v2 request if it is a member's attribute publish (PUT /0/members/ID/attributes); others change no member.</summary>
    public void ApplyV2(V2Request request)
    {
        const string Prefix = "/0/members/", Suffix = "/attributes";
        if (request.Method != "PUT" || !request.Path.StartsWith(Prefix, StringComparison.Ordinal)
            || !request.Path.EndsWith(Suffix, StringComparison.Ordinal)) return;
        string idText = request.Path[Prefix.Length..^Suffix.Length];
        if (ulong.TryParse(idText, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong id)
            && _members.TryGetValue(id, out Member? member))
        {
            ReadAttributes(member, request.Val);
        }
    }

    /// <summary>membership.Member's JSON: id, peerURLs, isLearner, name, clientURLs.</summary>
    private static void ReadMember(Member member, string json)
    {
        ReadRaftAttributes(member, json);
        ReadAttributes(member, json);
    }

    private static void ReadRaftAttributes(Member member, string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        if (doc.RootElement.TryGetProperty("peerURLs", out JsonElement urls)) member.PeerUrls = Strings(urls);
        member.IsLearner = doc.RootElement.TryGetProperty("isLearner", out JsonElement learner) && learner.ValueKind == JsonValueKind.True;
    }

    private static void ReadAttributes(Member member, string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        if (doc.RootElement.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String) member.Name = name.GetString()!;
        if (doc.RootElement.TryGetProperty("clientURLs", out JsonElement urls)) member.ClientUrls = Strings(urls);
    }

    private static List<string> Strings(JsonElement array) =>
        array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().Select(e => e.GetString() ?? "").ToList() : [];
}
