using System.Collections.Concurrent;
using Grpc.Net.Client;

namespace KvStore.Grpc;

/// <summary>gRPC channels from this member to the others' client URLs (member changes passed to the leader, leader transfer).</summary>
internal static class MemberChannels
{
    private static readonly ConcurrentDictionary<string, GrpcChannel> Channels = new(StringComparer.Ordinal);

    public static GrpcChannel For(string clientUrl) => Channels.GetOrAdd(clientUrl, u => GrpcChannel.ForAddress(u));
}
