using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Operations.Tests;

/// <summary>
/// --max-concurrent-streams: a client on one HTTP/2 connection holds the limit's worth of watch streams; its next
/// stream waits (the server announced the limit in its SETTINGS) and starts once one of the others closes, on
/// real etcd 3.4 and on kvstore alike.
/// </summary>
public sealed class MaxConcurrentStreamsTests
{
    private const int Limit = 3;

    [Theory]
    [InlineData("etcd")]
    [InlineData("kvstore")]
    public async Task The_stream_past_the_limit_waits_until_one_closes(string server)
    {
        string[] flags = ["--max-concurrent-streams", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        using SingleMember member = server == "etcd" ? SingleMember.StartEtcd(flags, tmpfs: true) : SingleMember.StartKvStore(flags, tmpfs: true);
        // One connection, as Go's clientv3 keeps: the client queues a stream the connection has no room for.
        using var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false };
        using var channel = GrpcChannel.ForAddress(member.ClientUrl, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var watch = new Watch.WatchClient(channel);

        var open = new List<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>>();
        for (int i = 0; i < Limit; i++) open.Add(await CreateAsync(watch, "held" + i));

        Task<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>> extra = CreateAsync(watch, "extra");
        Task waited = await Task.WhenAny(extra, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.NotSame(extra, waited); // a stream past the limit neither starts nor fails: it waits

        open[0].Dispose(); // one stream ends (RST_STREAM): the waiting one starts
        using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> started = await extra.WaitAsync(TimeSpan.FromSeconds(60));
        var kv = new KV.KVClient(channel);
        // The unary call needs a stream too: close one more so that it has room, then see its event on the started watch.
        open[1].Dispose();
        await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("extra"), Value = ByteString.CopyFromUtf8("v") });
        Assert.True(await started.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("extra", Assert.Single(started.ResponseStream.Current.Events).Kv.Key.ToStringUtf8());
        foreach (var call in open) call.Dispose();
    }

    /// <summary>Opens a watch stream on <paramref name="key"/> and waits for its "created" answer.</summary>
    private static async Task<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>> CreateAsync(Watch.WatchClient watch, string key)
    {
        var call = watch.Watch();
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(key) } });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.True(call.ResponseStream.Current.Created);
        return call;
    }
}
