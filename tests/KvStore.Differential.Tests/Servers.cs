using Grpc.Net.Client;

namespace KvStore.Differential.Tests;

/// <summary>The two servers compared: real etcd 3.4 and kvstore, each alone on tmpfs (behaviour, not disks).</summary>
internal static class Servers
{
    public static SingleMember StartEtcd() => SingleMember.StartEtcd(tmpfs: true);

    public static SingleMember StartKvStore() => SingleMember.StartKvStore(tmpfs: true);

    public static GrpcChannel Channel(this SingleMember server) =>
        GrpcChannel.ForAddress(server.ClientUrl, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
}
