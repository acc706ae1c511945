using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// gRPC calls whose request is raw bytes, framed by Grpc.Net.Client over HTTP/2 as any message would be: how
/// malformed protobuf reaches a server's decoder. Responses are parsed with a nesting limit a deep txn fits in.
/// </summary>
internal static class RawGrpc
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(static b => b, static b => b);

    /// <summary>Nesting allowed when parsing a response (a txn nested as deep as etcd accepts).</summary>
    private const int ResponseNesting = 1000;

    public static Method<byte[], byte[]> Unary(string fullMethod)
    {
        string[] parts = fullMethod.Split('/');
        return new Method<byte[], byte[]>(MethodType.Unary, parts[0], parts[1], Bytes, Bytes);
    }

    public static Method<byte[], byte[]> Duplex(string fullMethod)
    {
        string[] parts = fullMethod.Split('/');
        return new Method<byte[], byte[]>(MethodType.DuplexStreaming, parts[0], parts[1], Bytes, Bytes);
    }

    /// <summary>Calls <paramref name="fullMethod"/> ("etcdserverpb.KV/Put") with <paramref name="payload"/> as the request message.</summary>
    public static Task<byte[]> CallAsync(GrpcChannel channel, string fullMethod, byte[] payload, CallOptions options) =>
        channel.CreateCallInvoker().AsyncUnaryCall(Unary(fullMethod), null, options, payload).ResponseAsync;

    public static T Parse<T>(byte[] bytes) where T : IMessage<T>, new()
    {
        var message = new T();
        message.MergeFrom(CodedInputStream.CreateWithLimits(new MemoryStream(bytes), bytes.Length + 1, ResponseNesting));
        return message;
    }

    /// <summary>A gRPC message frame: compression flag 0, big-endian length, the bytes.</summary>
    public static byte[] Frame(byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }
}
