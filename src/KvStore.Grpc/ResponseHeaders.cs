using Etcdserverpb;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>etcd's v3rpc header.fill: this member's ids and term; the revision the response carries, else the current one.</summary>
internal static class ResponseHeaders
{
    public static ResponseHeader Fill(this IEtcdServer server, ResponseHeader? header) =>
        server.Header(header is { Revision: > 0 } ? header.Revision : server.CurrentRevision);
}
