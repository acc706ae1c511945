using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// One server of a <see cref="HostilePair"/> (real etcd 3.4 or kvstore) as a case sees it: its URL, a shared
/// connection, fresh connections, the credentials of an administrator (root, on an auth pair) and the two checks
/// every case ends with: the state (revision, HashKV) and a put/get on a fresh connection.
/// </summary>
internal sealed class HostileSide : IDisposable
{
    /// <summary>The key every "still serves" probe writes; it sorts before every key a case reads.</summary>
    public static readonly ByteString ProbeKey = ByteString.CopyFromUtf8("0probe");

    private readonly Func<GrpcChannel> _newChannel;
    private Metadata? _admin;

    public HostileSide(SingleMember member, Func<GrpcChannel>? newChannel = null)
    {
        Member = member;
        _newChannel = newChannel ?? (() => PlainChannel(member.ClientUrl));
        Channel = NewChannel();
    }

    /// <summary>"etcd" or "kvstore".</summary>
    public string Name => Member.Name;

    public SingleMember Member { get; }

    public string ClientUrl => Member.ClientUrl;

    /// <summary>The connection cases share; a case that may spoil a connection opens its own.</summary>
    public GrpcChannel Channel { get; }

    public KV.KVClient Kv => new(Channel);

    /// <summary>A new connection (one HTTP/2 connection per channel).</summary>
    public GrpcChannel NewChannel() => _newChannel();

    public static GrpcChannel PlainChannel(string url) => GrpcChannel.ForAddress(url, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = null,
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false },
    });

    /// <summary>Signs in as root for every later <see cref="Admin"/> call (auth pairs).</summary>
    public async Task SignInAdminAsync(string user, string password)
    {
        var auth = new Auth.AuthClient(Channel);
        var reply = await auth.AuthenticateAsync(new AuthenticateRequest { Name = user, Password = password }, deadline: Deadline());
        _admin = new Metadata { { "token", reply.Token } };
    }

    /// <summary>Call options with the administrator's token (none on a pair without auth) and a 30 s deadline.</summary>
    public CallOptions Admin => new(headers: _admin, deadline: Deadline());

    /// <summary>Call options with <paramref name="headers"/> instead of the administrator's token.</summary>
    public static CallOptions As(Metadata? headers) => new(headers: headers, deadline: Deadline());

    public static DateTime Deadline() => DateTime.UtcNow.AddSeconds(30);

    /// <summary>The revision and HashKV's hash at it: equal before and after a case that must write nothing.</summary>
    public async Task<(long Revision, uint Hash)> StateAsync()
    {
        var reply = await new Maintenance.MaintenanceClient(Channel).HashKVAsync(new HashKVRequest(), Admin);
        return (reply.Header.Revision, reply.Hash);
    }

    /// <summary>"Still serves": a put and a get of it on a fresh connection.</summary>
    public async Task ProbeAsync(string value)
    {
        using GrpcChannel channel = NewChannel();
        var kv = new KV.KVClient(channel);
        var v = ByteString.CopyFromUtf8(value);
        await kv.PutAsync(new PutRequest { Key = ProbeKey, Value = v }, Admin);
        RangeResponse got = await kv.RangeAsync(new RangeRequest { Key = ProbeKey }, Admin);
        if (got.Kvs.Count != 1 || got.Kvs[0].Value != v) throw new InvalidOperationException($"{Name}: the probe read back {got}");
    }

    public void Dispose()
    {
        Channel.Dispose();
        Member.Dispose();
    }
}
