using Etcdserverpb;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>etcd's v3rpc header.fill: this member's ids and term; the revision the response carries, else the current one.</summary>
internal static class ResponseHeaders
{
    public static ResponseHeader Fill(this IEtcdServer server, ResponseHeader? header) =>
        server.Header(header is { Revision: > 0 } ? header.Revision : server.Store.CurrentRevision);

    /// <summary>A proposal's response, or the RpcException for its error.</summary>
    public static T Unwrap<T>(this ProposeResult result) where T : class =>
        result.Ok && result.Response is T response ? response : throw ErrorTable.For(result);
}
